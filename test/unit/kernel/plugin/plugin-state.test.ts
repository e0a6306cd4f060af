import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { startTestKernel, type TestKernel } from '../../../support/test-kernel.js';

describe('plugin state', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(() => t?.dispose());

  it('stores, replaces and deletes JSON values, one namespace per plugin', async () => {
    const discord = t.kernel.pluginState('discord');
    const slack = t.kernel.pluginState('slack');
    expect(await discord.get('lobby:abc')).toBeUndefined();
    await discord.set('lobby:abc', { channelId: '1', messageId: '2' });
    await slack.set('lobby:abc', ['other', 1, null, true]);
    expect(await discord.get('lobby:abc')).toEqual({ channelId: '1', messageId: '2' });
    expect(await slack.get('lobby:abc')).toEqual(['other', 1, null, true]);
    await discord.set('lobby:abc', 'replaced');
    expect(await discord.get('lobby:abc')).toBe('replaced');
    await discord.delete('lobby:abc');
    expect(await discord.get('lobby:abc')).toBeUndefined();
    expect(await slack.get('lobby:abc')).toEqual(['other', 1, null, true]);
  });

  it('refuses a bad key or a value that is not JSON or too big, naming what to do, and keeps the old value', async () => {
    const state = t.kernel.pluginState('discord');
    await state.set('kept', 1);
    const refusal = async (work: Promise<unknown>) => {
      const error = await work.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CloudEngineError);
      return error as CloudEngineError;
    };
    for (const key of ['', ' spaced', '-dash', 'x'.repeat(201), 'a\nb']) {
      const error = await refusal(state.set(key, 1));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field).toBe('key');
      expect(error.message).toMatch(/keys are 1-200 characters/);
    }
    const tooBig = await refusal(state.set('kept', 'x'.repeat(20_000)));
    expect(tooBig.field).toBe('value');
    expect(tooBig.message).toMatch(/at most 16384 characters: keep big data elsewhere/);
    expect((await refusal(state.set('kept', undefined))).message).toMatch(/not JSON/);
    expect(await state.get('kept')).toBe(1);
  });
});
