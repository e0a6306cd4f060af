import type { Provider } from './config.js';

export interface ResourceSpec {
  name: string;
  type: string;
  config: Record<string, unknown>;
}

/** The n resources every variant (kernel, bare terraform, cdktf) builds for a provider. */
export function resources(provider: Provider, n: number): ResourceSpec[] {
  return Array.from({ length: n }, (_, i) =>
    provider === 'aws'
      ? { name: `b${i}`, type: 'aws.s3_bucket', config: { bucket: `cloud-engine-bench-${i}` } }
      : { name: `vm${i}`, type: 'sandbox.vm', config: {} },
  );
}

export const PLAN_SUMMARY = /(Plan: \d+ to add|No changes\.)/;
