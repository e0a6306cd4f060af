import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor, redactPlanSensitive, sensitiveValues } from '../../../../src/kernel/secrets/redactor.js';

const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('Redactor', () => {
  const redactor = new Redactor();

  it.each([
    [`key ${AWS_KEY} used`, `key ${REDACTED} used`],
    [`aws_secret_access_key = ${AWS_SECRET}`, `aws_secret_access_key = ${REDACTED}`],
    [`"secretAccessKey":"${AWS_SECRET}"`, `"secretAccessKey":"${REDACTED}"`],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', `Authorization: Bearer ${REDACTED}`],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789', `token ${REDACTED}`],
    ['-----BEGIN RSA PRIVATE KEY-----MIIEow...-----END RSA PRIVATE KEY-----', REDACTED],
  ])('redacts %s', (input, expected) => {
    expect(redactor.redact(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    const text = 'terraform_data.web: Creation complete after 3s [id=6821ee77-e03a-baa3-4a1f-51ccd4e90cc1]';
    expect(redactor.redact(text)).toBe(text);
  });

  it('hides credential values from the environment wherever they appear, but not short values', () => {
    const env = Redactor.forEnvironment([], { AWS_SECRET_ACCESS_KEY: 'hunter2-super-secret', DISCORD_TOKEN: 'abc', HOME: '/root/hunter2-super-secret-not' });
    expect(env.redact('echo hunter2-super-secret')).toBe(`echo ${REDACTED}`);
    expect(env.redact('abc is short')).toBe('abc is short');
  });

  it('adds configured patterns and literal values', () => {
    const custom = Redactor.forEnvironment(['acme_[a-z0-9]{8}'], {}).with(['s3cr3t-value']);
    expect(custom.redact('acme_abcd1234 and s3cr3t-value')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('hides a PEM private key split over lines, from BEGIN to END', () => {
    const lines = redactor.lines();
    const out = ['before', '-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkq', 'hkiG9w0BAQEFAASC', '-----END PRIVATE KEY-----', 'after'].map(lines);
    expect(out).toEqual(['before', REDACTED, REDACTED, REDACTED, REDACTED, 'after']);
  });

  it('redacts strings and keys deep inside JSON', () => {
    expect(redactor.redactDeep({ tags: { [AWS_KEY]: ['x', AWS_KEY] }, n: 1 })).toEqual({ tags: { [REDACTED]: ['x', REDACTED] }, n: 1 });
  });
});

describe('plan JSON sensitivity', () => {
  const plan = {
    resource_changes: [
      {
        change: {
          before: null,
          after: { input: { password: 'correct-horse-battery', user: 'app' }, list: ['a', 'top-secret-item'] },
          before_sensitive: false,
          after_sensitive: { input: { password: true }, list: [false, true] },
        },
      },
    ],
  };

  it('collects the values a plan marks sensitive', () => {
    expect(sensitiveValues(plan)).toEqual(['correct-horse-battery', 'top-secret-item']);
  });

  it('replaces them in a copy, leaving the rest and the original untouched', () => {
    const redacted = redactPlanSensitive(plan);
    expect(redacted.resource_changes[0]!.change.after).toEqual({ input: { password: REDACTED, user: 'app' }, list: ['a', REDACTED] });
    expect(plan.resource_changes[0]!.change.after.input.password).toBe('correct-horse-battery');
  });
});

describe('Redactor: values under secret key names', () => {
  const redactor = new Redactor();

  it('hides every string and number under a key named like a secret, whatever its case or separators', () => {
    const config = {
      password: 'hunter2-long',
      aws_secret_access_key: AWS_SECRET,
      'DB-Password': 'p',
      clientSecret: 'cs-123',
      api_key: 'k',
      github_token: 'abc',
      pin: 1234,
      private_key: 'pk',
      nested: { credentials: { user: 'svc', pass: 'x', port: 5432, list: ['a', 'b'] } },
    };
    expect(redactor.redactDeep(config)).toEqual({
      password: REDACTED,
      aws_secret_access_key: REDACTED,
      'DB-Password': REDACTED,
      clientSecret: REDACTED,
      api_key: REDACTED,
      github_token: REDACTED,
      pin: 1234,
      private_key: REDACTED,
      nested: { credentials: { user: REDACTED, pass: REDACTED, port: REDACTED, list: [REDACTED, REDACTED] } },
    });
  });

  it('leaves keys that only look related alone: they hold names, lengths, flags and ids, not secrets', () => {
    const config = {
      token_type: 'Bearer',
      password_length: 16,
      secret_arn: 'arn:aws:secretsmanager:us-east-1:1:secret:db',
      secret_name: 'db',
      public_key: 'ssh-ed25519 AAAA',
      key: 'Name',
      keyName: 'deployer',
      password_reset_required: true,
      password: null,
    };
    expect(redactor.redactDeep(config)).toEqual(config);
  });

  it('keeps the sensitivity marks of a plan (booleans) under such keys as they are', () => {
    expect(redactor.redactDeep({ after_sensitive: { password: true }, after_unknown: { token: false } })).toEqual({ after_sensitive: { password: true }, after_unknown: { token: false } });
  });

  it('takes more key names from the configuration, matched the same way', () => {
    const custom = Redactor.forEnvironment([], {}, ['pin', 'license-code']);
    expect(custom.redactDeep({ pin: 1234, LicenseCode: 'LC-1', password: 'x', note: 'n' })).toEqual({ pin: REDACTED, LicenseCode: REDACTED, password: REDACTED, note: 'n' });
    // The rules stay when literals are added.
    expect(custom.with(['literal-secret']).redactDeep({ my_pin: 1 })).toEqual({ my_pin: REDACTED });
  });

  it('says which keys it treats as secret', () => {
    expect(['password', 'db_password', 'AWS_SECRET_ACCESS_KEY', 'clientSecret', 'x-auth-token'].every((key) => redactor.isSecretKey(key))).toBe(true);
    expect(['token_type', 'password_length', 'secret_arn', 'public_key', 'name', ''].some((key) => redactor.isSecretKey(key))).toBe(false);
  });
});
