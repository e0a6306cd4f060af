import { definePlugin } from '../kernel/plugin/define-plugin.js';
import { sandboxBucketResource } from '../resources/sandbox/bucket.resource.js';
import { sandboxNetworkResource } from '../resources/sandbox/network.resource.js';
import { sandboxVmResource } from '../resources/sandbox/vm.resource.js';
import { sandboxProvider } from './sandbox.provider.js';

/** The local sandbox cloud and its resource types (`sandbox.vm`, `sandbox.bucket`, `sandbox.network`). */
export const sandboxPlugin = definePlugin({
  id: 'sandbox',
  register(ctx) {
    ctx.addProvider(sandboxProvider);
    ctx.addResourceType(sandboxVmResource);
    ctx.addResourceType(sandboxBucketResource);
    ctx.addResourceType(sandboxNetworkResource);
  },
});

export default sandboxPlugin;
