import { describe, expect, it } from 'vitest';
import type { CloudProvider } from '../../../src/kernel/plugin/cloud-provider.js';
import type { Plugin, PluginContext } from '../../../src/kernel/plugin/define-plugin.js';
import type { ResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { awsPlugin } from '../../../src/providers/aws.plugin.js';
import { googlePlugin } from '../../../src/providers/google.plugin.js';
import { sandboxPlugin } from '../../../src/providers/sandbox.plugin.js';

async function contributions(plugin: Plugin) {
  const providers: CloudProvider[] = [];
  const types: ResourceType[] = [];
  const unexpected = () => {
    throw new Error(`${plugin.id} registered something other than a provider or resource type`);
  };
  const ctx: PluginContext = {
    pluginId: plugin.id,
    config: {},
    logger: {} as PluginContext['logger'],
    resourceTypes: {} as PluginContext['resourceTypes'],
    addProvider: (provider) => providers.push(provider),
    addResourceType: (type) => types.push(type),
    addPolicyValidator: unexpected,
    addCostEstimator: unexpected,
    addChatAdapter: unexpected,
  };
  await plugin.register(ctx);
  return { providers: providers.map((p) => p.id), types: types.map((t) => [t.type, t.provider, t.quotaKey]) };
}

describe('provider plugins', () => {
  it('sandbox registers its provider, sandbox.vm, sandbox.bucket and sandbox.network', async () => {
    expect(sandboxPlugin.id).toBe('sandbox');
    expect(await contributions(sandboxPlugin)).toEqual({
      providers: ['sandbox'],
      types: [
        ['sandbox.vm', 'sandbox', 'compute_vm'],
        ['sandbox.bucket', 'sandbox', 'storage_bucket'],
        ['sandbox.network', 'sandbox', 'network'],
      ],
    });
  });

  it('aws registers its provider, instance, s3 bucket, dynamodb table, network parts, IAM role, queue, topic, RDS database and web service blueprint', async () => {
    expect(awsPlugin.id).toBe('aws');
    expect(await contributions(awsPlugin)).toEqual({
      providers: ['aws'],
      types: [
        ['aws.instance', 'aws', 'compute_vm'],
        ['aws.s3_bucket', 'aws', 'storage_bucket'],
        ['aws.dynamodb_table', 'aws', 'database'],
        ['aws.vpc', 'aws', 'network'],
        ['aws.subnet', 'aws', 'subnet'],
        ['aws.security_group', 'aws', 'security_group'],
        ['aws.iam_role', 'aws', 'iam_role'],
        ['aws.queue', 'aws', 'queue'],
        ['aws.sns_topic', 'aws', 'topic'],
        ['aws.db_instance', 'aws', 'database'],
        ['aws.web_service', 'aws', 'compute_vm'],
      ],
    });
  });

  it('google registers its provider, compute instance and storage bucket', async () => {
    expect(googlePlugin.id).toBe('google');
    expect(await contributions(googlePlugin)).toEqual({
      providers: ['google'],
      types: [
        ['google.compute_instance', 'google', 'compute_vm'],
        ['google.storage_bucket', 'google', 'storage_bucket'],
      ],
    });
  });

  it('labels every field of every resource type for the chat forms', async () => {
    for (const plugin of [sandboxPlugin, awsPlugin, googlePlugin]) {
      const types: ResourceType[] = [];
      await plugin.register({ addProvider: () => {}, addResourceType: (t: ResourceType) => types.push(t) } as unknown as PluginContext);
      for (const type of types) {
        for (const [key, field] of Object.entries(type.schema.shape)) {
          expect(`${type.type}.${key}: ${(field as { description?: string }).description ?? ''}`).not.toMatch(/: $/);
        }
      }
    }
  });
});
