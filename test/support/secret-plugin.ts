import { DataResource, Fn } from 'cdktf';
import { z } from 'zod';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';

/** A sandbox type whose `password` Terraform treats as sensitive, as a real database resource would. */
export const secretPlugin = definePlugin({
  id: 'test.secrets',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.database',
        provider: 'sandbox',
        description: 'A pretend database with a sensitive password.',
        quotaKey: 'database',
        schema: z.strictObject({ password: z.string().min(8), note: z.string().optional() }),
        synthesize(scope, { name, config }) {
          new DataResource(scope, name, { input: { password: Fn.sensitive(config.password), note: config.note ?? '' } });
        },
      }),
    );
  },
});
