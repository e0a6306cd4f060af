import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CloudSessionEntity } from '../../../../src/kernel/persistence/entities/cloud-session.entity.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import { defineResourceType, type ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { checkResourceInput } from '../../../../src/kernel/sessions/resource-input.js';
import { LIMITS } from '../../../../src/kernel/sessions/session-inputs.js';
import { sandboxVmResource } from '../../../../src/resources/sandbox/vm.resource.js';

const vault = defineResourceType({
  type: 'sandbox.vault',
  provider: 'sandbox',
  description: 'Holds a token.',
  quotaKey: 'test',
  schema: z.strictObject({ token: z.string().min(20, 'token must be at least 20 characters') }),
  secretFields: ['token'],
  synthesize: () => undefined,
});
const types = new Registry<ResourceType>('resource type', (type) => type.type, [
  { pluginId: 'sandbox', item: sandboxVmResource },
  { pluginId: 'test', item: vault },
]);
const session = { id: 's1', provider: 'sandbox' } as CloudSessionEntity;

function refusal(input: unknown): { code: string; field?: string; message: string } {
  try {
    checkResourceInput(types, session, input as never);
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('checkResourceInput', () => {
  it('returns the type, the name and the config with defaults applied', () => {
    const checked = checkResourceInput(types, session, { type: 'sandbox.vm', name: 'web', config: { size: 'large' } });
    expect(checked.type).toBe(sandboxVmResource);
    expect(checked.name).toBe('web');
    expect(checked.config).toMatchObject({ size: 'large', image: 'debian-12', bootSeconds: 0 });
  });

  it('names the field of every refusal: name, type, another provider\'s type, config size and content', () => {
    expect(refusal(null)).toMatchObject({ code: 'INVALID_INPUT', field: 'resource' });
    expect(refusal({ type: 'sandbox.vm', name: 'Web' })).toMatchObject({ field: 'name' });
    expect(refusal({ type: 'sandbox.nope', name: 'web' })).toMatchObject({ field: 'type', message: expect.stringContaining('use one of sandbox.vm, sandbox.vault') });
    expect(refusal({ type: 'sandbox.vm', name: 'web', config: { blob: 'x'.repeat(LIMITS.configBytes) } })).toMatchObject({ field: 'config', message: expect.stringContaining('Trim it') });
    expect(refusal({ type: 'sandbox.vm', name: 'web', config: { size: 'huge' } })).toMatchObject({ field: 'config.size' });
  });

  it('never repeats a secret field\'s value in its error', () => {
    const error = refusal({ type: 'sandbox.vault', name: 'v', config: { token: 'short-secret' } });
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'config.token' });
    expect(error.message).toContain('token must be at least 20 characters');
    expect(JSON.stringify(error) + error.message).not.toContain('short-secret');
  });
});
