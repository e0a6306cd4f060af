import { describe, expect, it } from 'vitest';
import { sandboxProvider } from '../../../src/providers/sandbox.provider.js';
import { synthSession } from '../resources/synth.helper.js';

describe('sandboxProvider', () => {
  it('accepts only empty settings', () => {
    expect(sandboxProvider.settingsSchema.parse({})).toEqual({});
    expect(sandboxProvider.settingsSchema.safeParse({ region: 'x' }).success).toBe(false);
  });

  it('adds no provider block and requires no provider, since terraform_data is built in', () => {
    const json = synthSession({ provider: sandboxProvider, settings: {} });
    expect(json.provider).toBeUndefined();
    expect(json.terraform?.required_providers).toBeUndefined();
  });

  it('needs no extra environment for terraform', () => {
    expect(sandboxProvider.environment).toBeUndefined();
  });
});
