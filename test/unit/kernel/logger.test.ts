import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKernel } from '../../../src/engine.js';
import { createLogger } from '../../../src/kernel/logger.js';
import { definePlugin } from '../../../src/kernel/plugin/define-plugin.js';
import { REDACTED, Redactor } from '../../../src/kernel/secrets/redactor.js';

/** Collects the JSON lines a logger writes. */
function sink(): { write(line: string): void; lines: () => Array<Record<string, unknown>>; text: () => string } {
  let written = '';
  return {
    write(line: string) {
      written += line;
    },
    lines: () =>
      written
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => written,
  };
}

const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ0123456789';

describe('createLogger with a redactor', () => {
  it('redacts secrets in messages, in fields at any depth and in serialized errors, and keeps everything else', () => {
    const out = sink();
    const redactor = Redactor.forEnvironment(['hunter2-[0-9]+'], {});
    const logger = createLogger('debug', (text) => redactor.redact(text), out);

    logger.info({ user: 'alice', auth: { header: `token ${TOKEN}` } }, `cloning with ${TOKEN}`);
    logger.warn('password is hunter2-42, retrying');
    logger.error({ err: new Error(`login failed for hunter2-7`) }, 'plugin failed');
    logger.debug({ count: 3 }, 'plain line');
    logger.error(Object.assign(new TypeError('bad hunter2-8'), { details: { token: TOKEN } }));

    const [first, second, third, fourth, fifth] = out.lines();
    expect(out.text()).not.toContain(TOKEN);
    expect(out.text()).not.toMatch(/hunter2-\d/);
    expect(first).toMatchObject({ level: 30, user: 'alice', msg: `cloning with ${REDACTED}` });
    expect(JSON.stringify(first!.auth)).toContain(REDACTED);
    expect(second).toMatchObject({ level: 40, msg: `password is ${REDACTED}, retrying` });
    expect(third).toMatchObject({ level: 50, msg: 'plugin failed' });
    // The error keeps its type, message and stack (a plain JSON.stringify would have logged {}), redacted.
    expect(third!.err).toMatchObject({ type: 'Error', message: `login failed for ${REDACTED}` });
    expect((third!.err as { stack: string }).stack).toMatch(/^Error: login failed for \(redacted\)\n\s+at /);
    expect(fourth).toMatchObject({ level: 20, count: 3, msg: 'plain line' });
    expect(fifth).toMatchObject({ level: 50, err: { type: 'TypeError', message: `bad ${REDACTED}`, details: { token: REDACTED } } });
  });
});

describe('the kernel logger', () => {
  it('redacts configured patterns and credential values from the environment in what plugins log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ce-logger-'));
    const out = sink();
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const chatty = definePlugin({
      id: 'chatty',
      register(ctx) {
        ctx.logger.info({ key: secretKey }, `connecting with hunter2-99 and ${secretKey}`);
      },
    });
    const kernel = await createKernel({
      dataDir,
      logLevel: 'info',
      logDestination: out,
      secretPatterns: ['hunter2-[0-9]+'],
      env: { AWS_SECRET_ACCESS_KEY: secretKey },
      extraPlugins: [chatty],
    });
    try {
      const line = out.lines().find((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('connecting'));
      expect(line).toMatchObject({ msg: `connecting with ${REDACTED} and ${REDACTED}`, key: REDACTED });
      expect(out.text()).not.toContain(secretKey);
      expect(out.text()).not.toContain('hunter2-99');
    } finally {
      await kernel.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
