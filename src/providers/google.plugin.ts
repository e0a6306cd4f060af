import { definePlugin } from '../kernel/plugin/define-plugin.js';
import { googleComputeInstanceResource } from '../resources/google/compute-instance.resource.js';
import { googleStorageBucketResource } from '../resources/google/storage-bucket.resource.js';
import { googleProvider } from './google.provider.js';

/** Google Cloud and its resource types (`google.compute_instance`, `google.storage_bucket`). */
export const googlePlugin = definePlugin({
  id: 'google',
  register(ctx) {
    ctx.addProvider(googleProvider);
    ctx.addResourceType(googleComputeInstanceResource);
    ctx.addResourceType(googleStorageBucketResource);
  },
});

export default googlePlugin;
