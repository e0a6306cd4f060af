import { describe, expect, it } from 'vitest';
import { groupAlive, HAS_MOTO, NO_MOTO_REASON, startMoto, xmlValues } from '../../support/moto.js';

if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

describe.skipIf(!HAS_MOTO)('the moto test helper', () => {
  it('starts moto_server on a free loopback port, which answers AWS calls; stop leaves no process behind', async () => {
    const moto = await startMoto();
    try {
      expect(moto.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = await moto.query('sqs', 'CreateQueue', { QueueName: 'probe' });
      expect(xmlValues(created, 'QueueUrl')).toEqual([`${moto.url}/123456789012/probe`]);
      await moto.reset();
      expect(xmlValues(await moto.query('sqs', 'ListQueues'), 'QueueUrl')).toEqual([]);
      // Managed policies are loaded, as roles that attach them need.
      expect(await moto.query('iam', 'GetPolicy', { PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' })).toContain('<PolicyName>ReadOnlyAccess</PolicyName>');
    } finally {
      await moto.stop();
    }
    expect(groupAlive(moto.pid)).toBe(false);
    await expect(fetch(`${moto.url}/moto-api/`)).rejects.toThrow();
    await moto.stop();
  });

  it('runs two servers side by side on different ports', async () => {
    const [a, b] = await Promise.all([startMoto(), startMoto()]);
    try {
      expect(a.url).not.toBe(b.url);
      await a.query('sns', 'CreateTopic', { Name: 'only-in-a' });
      expect(xmlValues(await b.query('sns', 'ListTopics'), 'TopicArn')).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect([groupAlive(a.pid), groupAlive(b.pid)]).toEqual([false, false]);
  });
});
