import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResourceType, type ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import { QuotaService, quotaCounts } from '../../../../src/kernel/quotas/quota-service.js';

const vm = defineResourceType({ type: 'test.vm', provider: 'test', description: 'A VM.', quotaKey: 'compute_vm', schema: z.strictObject({}), synthesize() {} });
/** A blueprint: a VM in a network of its own, and a bucket when asked for. */
const service = defineResourceType({
  type: 'test.service',
  provider: 'test',
  description: 'A service.',
  quotaKey: 'compute_vm',
  schema: z.strictObject({ bucket: z.boolean().default(false), replicas: z.int().min(1).default(1) }),
  quotas: (config) => ({ compute_vm: config.replicas, network: 1, storage_bucket: config.bucket ? 1 : 0 }),
  synthesize() {},
});

function quotasOf(...types: ResourceType[]): QuotaService {
  const registry = new Registry<ResourceType>('resource type', (type) => type.type, types.map((item) => ({ pluginId: 'acme', item })));
  // requested and netEffect read only the registry: no database, access or audit needed.
  return new QuotaService(undefined as never, undefined as never, undefined as never, registry);
}

describe('QuotaService.requested', () => {
  it('counts a type without quotas as 1 of its quotaKey, and a type no plugin registers as 1 unknown', () => {
    const quotas = quotasOf(vm);
    expect(quotas.requested([{ type: 'test.vm', config: {} }, { type: 'test.vm', config: {} }, { type: 'gone.thing', config: {} }])).toEqual(
      new Map([
        ['compute_vm', 2],
        ['unknown', 1],
      ]),
    );
  });

  it("counts a blueprint by its quotas of its config, every part, leaving out keys it counts 0, beside plain types' counts", () => {
    const quotas = quotasOf(vm, service);
    expect(quotas.requested([{ type: 'test.service', config: { bucket: true, replicas: 2 } }, { type: 'test.service', config: { bucket: false, replicas: 1 } }, { type: 'test.vm', config: {} }])).toEqual(
      new Map([
        ['compute_vm', 4],
        ['network', 2],
        ['storage_bucket', 1],
      ]),
    );
  });

  it('fills in defaults a stored config predates before counting, as synthesis does', () => {
    expect(quotasOf(service).requested([{ type: 'test.service', config: {} }])).toEqual(
      new Map([
        ['compute_vm', 1],
        ['network', 1],
      ]),
    );
  });
});

describe('QuotaService.netEffect', () => {
  it("is what a change adds or removes per key: a blueprint gaining a bucket adds 1 storage_bucket and nothing else", () => {
    const quotas = quotasOf(vm, service);
    const before = [{ type: 'test.service', config: { bucket: false } }];
    const after = [{ type: 'test.service', config: { bucket: true } }];
    expect(quotas.netEffect(after, before)).toEqual(
      new Map([
        ['compute_vm', 0],
        ['network', 0],
        ['storage_bucket', 1],
      ]),
    );
    expect(quotas.netEffect([], after)).toEqual(
      new Map([
        ['compute_vm', -1],
        ['network', -1],
        ['storage_bucket', -1],
      ]),
    );
  });
});

describe('quotaCounts', () => {
  it("is a type's quotas, or 1 of its quotaKey", () => {
    expect(quotaCounts(service, { bucket: true })).toEqual({ compute_vm: 1, network: 1, storage_bucket: 1 });
    expect(quotaCounts(vm, {})).toEqual({ compute_vm: 1 });
  });

  it.each([
    ['throw', () => { throw new Error('boom'); }, 'failed to count a resource against quotas: boom'],
    ['answer a negative count', () => ({ compute_vm: -1 }), 'counts {"compute_vm":-1} against quotas'],
    ['answer a fraction', () => ({ compute_vm: 0.5 }), 'counts {"compute_vm":0.5} against quotas'],
    ['answer a bad key', () => ({ 'Compute VM': 1 }), 'counts {"Compute VM":1} against quotas'],
    ['answer nothing', () => undefined as never, 'counts undefined against quotas'],
  ])('refuses quotas that %s as PLUGIN_FAILED naming the type and plugin: never a silent undercount', (_, quotas, message) => {
    const broken = { ...vm, type: 'test.broken', quotas };
    expect(() => quotaCounts(broken, {}, 'acme')).toThrow(
      expect.objectContaining({ code: 'PLUGIN_FAILED', message: expect.stringContaining(`Resource type test.broken (plugin "acme") ${message}`) }),
    );
    expect(() => quotasOf(broken).requested([{ type: 'test.broken', config: {} }])).toThrow(expect.objectContaining({ code: 'PLUGIN_FAILED' }));
  });
});
