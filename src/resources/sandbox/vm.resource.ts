import { createHash } from 'node:crypto';
import { DataResource } from 'cdktf';
import { z } from 'zod';
import { ref } from '../../kernel/plugin/resource-ref.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';

/** What each sandbox size pretends to be, so plans and cost estimates read like a real VM. */
export const SANDBOX_VM_SIZES = {
  small: { vcpus: 1, memoryMb: 2048 },
  medium: { vcpus: 2, memoryMb: 4096 },
  large: { vcpus: 4, memoryMb: 8192 },
} as const;

const BOOT_SECONDS_MESSAGE = 'bootSeconds must be a whole number of seconds from 0 to 600';

/** Input of a `sandbox.vm`. */
export const sandboxVmSchema = z.strictObject({
  size: z
    .enum(['small', 'medium', 'large'], { error: 'size must be one of small, medium or large' })
    .default('small')
    .describe('Size'),
  image: z
    .string({ error: 'image must be text, e.g. debian-12' })
    .min(1, 'image must be 1-128 characters, e.g. debian-12')
    .max(128, 'image must be 1-128 characters, e.g. debian-12')
    .default('debian-12')
    .describe('Image'),
  bootSeconds: z
    .int({ error: BOOT_SECONDS_MESSAGE })
    .min(0, BOOT_SECONDS_MESSAGE)
    .max(600, BOOT_SECONDS_MESSAGE)
    .default(0)
    .describe('Simulated boot time (seconds)'),
  tags: tagsSchema(),
  network: ref('sandbox.network').optional().describe('Network (a sandbox.network of this deployment)'),
});

/** Validated config of a `sandbox.vm`. */
export type SandboxVmConfig = z.output<typeof sandboxVmSchema>;

/**
 * A stable private address per session and resource: re-plans show no change,
 * and two sessions rarely collide, as in a real VPC.
 */
export function sandboxPrivateIp(sessionId: string, name: string): string {
  const digest = createHash('sha256').update(`${sessionId}\0${name}`).digest();
  // Last octet in 1..254 so the address is never a network or broadcast address.
  return `10.${digest[0]}.${digest[1]}.${(digest[2]! % 254) + 1}`;
}

/**
 * The provisioner's shell text. It must stay free of user text: the name and
 * image reach the shell only as environment variables, which the shell never
 * re-parses. Only `bootSeconds`, a validated integer, is spliced in.
 */
export function sandboxBootCommand(bootSeconds: number): string {
  if (!Number.isSafeInteger(bootSeconds) || bootSeconds < 0) {
    throw new RangeError(`sandboxBootCommand: bootSeconds must be a non-negative integer, got ${bootSeconds}`);
  }
  return [
    `printf 'starting %s (%s, %s)\\n' "$VM_NAME" "$VM_SIZE" "$VM_IMAGE"`,
    'i=1',
    `while [ "$i" -le ${bootSeconds} ]; do sleep 1; printf 'booting %s: %s/${bootSeconds}s\\n' "$VM_NAME" "$i"; i=$((i+1)); done`,
    `printf '%s is running\\n' "$VM_NAME"`,
  ].join('; ');
}

/** A pretend VM made of `terraform_data`, for trying Cloud Engine without a cloud account. */
export const sandboxVmResource = defineResourceType({
  type: 'sandbox.vm',
  provider: 'sandbox',
  description: 'A simulated virtual machine (no cloud needed); can take a while to "boot".',
  quotaKey: 'compute_vm',
  schema: sandboxVmSchema,
  synthesize(scope, { name, config, sessionId, reference }) {
    const { vcpus, memoryMb } = SANDBOX_VM_SIZES[config.size];
    const privateIp = sandboxPrivateIp(sessionId, name);
    // A real reference to the network's id (terraform orders them), never the name the user typed.
    const network = config.network === undefined ? {} : { networkId: reference(config.network).id };
    const vm = new DataResource(scope, name, {
      input: {
        kind: 'sandbox.vm',
        name,
        size: config.size,
        vcpus,
        memoryMb,
        image: config.image,
        bootSeconds: config.bootSeconds,
        privateIp,
        tags: config.tags ?? {},
        ...network,
      },
      // As on a real cloud, a new image means a new machine rather than an in-place change.
      triggersReplace: { image: config.image },
      provisioners:
        config.bootSeconds > 0
          ? [
              {
                type: 'local-exec',
                when: 'create',
                command: sandboxBootCommand(config.bootSeconds),
                environment: { VM_NAME: name, VM_SIZE: config.size, VM_IMAGE: config.image },
              },
            ]
          : undefined,
    });
    return { id: vm.id, ip: privateIp };
  },
});
