import { describe, expect, it } from 'vitest';
import { sandboxProvider } from '../../../../src/providers/sandbox.provider.js';
import {
  sandboxBootCommand,
  sandboxPrivateIp,
  sandboxVmResource,
  sandboxVmSchema,
} from '../../../../src/resources/sandbox/vm.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synthVm(name: string, config: unknown, sessionId = 'session-1') {
  return synthSession({ provider: sandboxProvider, settings: {}, sessionId, resources: [{ type: sandboxVmResource, name, config }] });
}

describe('sandbox.vm schema', () => {
  it('fills size, image and bootSeconds with their defaults when the form is empty', () => {
    expect(sandboxVmSchema.parse({})).toEqual({ size: 'small', image: 'debian-12', bootSeconds: 0 });
  });

  it.each([
    [{ size: 'huge' }, 'size', /small, medium or large/],
    [{ image: '' }, 'image', /1-128 characters/],
    [{ image: 'x'.repeat(129) }, 'image', /1-128 characters/],
    [{ bootSeconds: -1 }, 'bootSeconds', /0 to 600/],
    [{ bootSeconds: 601 }, 'bootSeconds', /0 to 600/],
    [{ bootSeconds: 1.5 }, 'bootSeconds', /whole number/],
    [{ bootSeconds: '5' }, 'bootSeconds', /whole number/],
    [{ tags: { ['k'.repeat(129)]: 'v' } }, `tags.${'k'.repeat(129)}`, /1-128 characters/],
    [{ tags: { k: 'v'.repeat(257) } }, 'tags.k', /at most 256/],
  ])('rejects %j at its field with a message saying what is expected', (input, path, message) => {
    const issues = issuesOf(sandboxVmSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });

  it('rejects unknown fields so typos are not silently ignored', () => {
    expect(issuesOf(sandboxVmSchema, { sizes: 'small' })[0]!.message).toMatch(/sizes/);
  });

  it('labels every field for the chat form, in form order', () => {
    const fields = Object.entries(sandboxVmSchema.shape).map(([key, field]) => [key, field.description]);
    expect(fields).toEqual([
      ['size', 'Size'],
      ['image', 'Image'],
      ['bootSeconds', 'Simulated boot time (seconds)'],
      ['tags', 'Tags'],
      ['network', 'Network (a sandbox.network of this deployment)'],
    ]);
  });
});

describe('sandbox.vm synthesis', () => {
  it('emits a terraform_data named after the resource whose input reads like a VM of that size', () => {
    const json = synthVm('web-1', { size: 'medium', tags: { team: 'infra' } });
    const vm = json.resource!.terraform_data!['web-1']!;
    expect(vm.input).toEqual({
      kind: 'sandbox.vm',
      name: 'web-1',
      size: 'medium',
      vcpus: 2,
      memoryMb: 4096,
      image: 'debian-12',
      bootSeconds: 0,
      privateIp: sandboxPrivateIp('session-1', 'web-1'),
      tags: { team: 'infra' },
    });
    expect(json.provider).toBeUndefined();
  });

  it('adds no provisioner when the VM boots instantly', () => {
    const vm = synthVm('web', {}).resource!.terraform_data!.web!;
    expect(vm.provisioner).toBeUndefined();
  });

  it('outputs the id and private IP as one output named after the resource', () => {
    const json = synthVm('web_2', {});
    expect(json.output).toEqual({
      web_2: { value: { id: '${terraform_data.web_2.id}', ip: sandboxPrivateIp('session-1', 'web_2') } },
    });
  });

  it('adds a create-time local-exec whose command holds no user text even when inputs carry shell syntax', () => {
    const hostile = ['$(rm -rf /)', '`rm -rf /`', `'; rm -rf / #`, '"; rm -rf / #'];
    const json = synthVm('web', {
      bootSeconds: 3,
      image: hostile.join(' '),
      tags: Object.fromEntries(hostile.map((value, i) => [`k${i}`, value])),
    });
    const [provisioner] = json.resource!.terraform_data!.web!.provisioner as Array<Record<string, any>>;
    const exec = provisioner!['local-exec'];
    expect(exec.when).toBe('create');
    expect(exec.command).toBe(sandboxBootCommand(3));
    for (const text of [...hostile, 'rm -rf', 'web']) expect(exec.command).not.toContain(text);
    expect(exec.environment).toEqual({ VM_NAME: 'web', VM_SIZE: 'small', VM_IMAGE: hostile.join(' ') });
  });

  it('keeps the boot command free of Terraform template syntax so Terraform passes it to the shell as is', () => {
    expect(sandboxBootCommand(5)).not.toMatch(/[$%]\{/);
  });

  it('refuses a non-integer boot time at the command builder, the one place numbers meet the shell', () => {
    expect(() => sandboxBootCommand(1.5)).toThrow(/non-negative integer/);
    expect(() => sandboxBootCommand(Number.NaN)).toThrow(/non-negative integer/);
  });
});

describe('sandboxPrivateIp', () => {
  it('gives the same 10.x.y.z address for the same session and name, so re-plans show no change', () => {
    const ip = sandboxPrivateIp('s-1', 'web');
    expect(ip).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    expect(sandboxPrivateIp('s-1', 'web')).toBe(ip);
  });

  it('gives different addresses to different sessions or names', () => {
    const ips = new Set([sandboxPrivateIp('s-1', 'web'), sandboxPrivateIp('s-2', 'web'), sandboxPrivateIp('s-1', 'db')]);
    expect(ips.size).toBe(3);
  });

  it('never ends in .0 or .255', () => {
    for (let i = 0; i < 2000; i += 1) {
      const last = Number(sandboxPrivateIp('s', `vm-${i}`).split('.')[3]);
      expect(last).toBeGreaterThanOrEqual(1);
      expect(last).toBeLessThanOrEqual(254);
    }
  });
});
