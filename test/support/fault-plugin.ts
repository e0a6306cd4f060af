import { DataResource } from 'cdktf';
import { z } from 'zod';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';

/**
 * Sandbox resource types that make real terraform fail in known ways: a plan
 * with a bad reference, an apply whose provisioner exits non-zero, and an
 * apply that hangs until it is stopped.
 */
export const faultPlugin = definePlugin({
  id: 'test.faults',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.fault_reference',
        provider: 'sandbox',
        description: 'Plans fail: references a resource that does not exist.',
        quotaKey: 'test',
        schema: z.strictObject({}),
        synthesize(scope, { name }) {
          new DataResource(scope, name, { input: { ref: '${terraform_data.does_not_exist.id}' } });
        },
      }),
    );
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.fault_exit',
        provider: 'sandbox',
        description: 'Applies fail: the provisioner prints an error and exits 3.',
        quotaKey: 'test',
        schema: z.strictObject({}),
        synthesize(scope, { name }) {
          new DataResource(scope, name, {
            input: { name },
            provisioners: [{ type: 'local-exec', command: "echo 'disk quota exceeded on volume 7' >&2; exit 3" }],
          });
        },
      }),
    );
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.fault_hang',
        provider: 'sandbox',
        description: 'Applies hang: the provisioner sleeps for five minutes.',
        quotaKey: 'test',
        schema: z.strictObject({}),
        synthesize(scope, { name }) {
          new DataResource(scope, name, {
            input: { name },
            provisioners: [{ type: 'local-exec', command: "echo 'waiting forever'; sleep 300" }],
          });
        },
      }),
    );
  },
});
