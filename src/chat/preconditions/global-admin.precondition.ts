import { error, ok, type Precondition } from './precondition.js';

/** The person is a global admin (CLOUD_ENGINE_ADMINS); `refusal` words the PERMISSION_DENIED for the command at hand. */
export function globalAdmin(refusal: (userId: string) => string): Precondition {
  return {
    name: 'globalAdmin',
    async run({ api, userId }) {
      if (api.authorizer.isGlobalAdmin(userId)) return ok();
      return error({ identifier: 'PERMISSION_DENIED', message: refusal(userId), details: { needed: 'global admin' } });
    },
  };
}
