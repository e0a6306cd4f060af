import { AsyncLocalStorage } from 'node:async_hooks';

/** The actor the kernel acts as on its own (a TTL teardown); users cannot take the name (validation.ts RESERVED_ACTORS). */
export const SYSTEM_ACTOR = 'cloud-engine';

/** Why the system acts (a TTL teardown, a scheduled drift check); only what is named here is ever exempt from a rule. */
export type SystemReason = 'ttl' | 'drift';

const acting = new AsyncLocalStorage<SystemReason>();

/**
 * Runs `work` as the system actor for `reason`. Only the lifecycle calls it
 * (it is not exported from the package), so a caller of the public API can
 * never pass `cloud-engine` as a user: outside this scope the name is refused.
 */
export function asSystem<T>(reason: SystemReason, work: () => Promise<T>): Promise<T> {
  return acting.run(reason, work);
}

/** The reason the system is acting, when `userId` is the system actor inside `asSystem`; undefined otherwise. */
export function systemCall(userId: unknown): SystemReason | undefined {
  return userId === SYSTEM_ACTOR ? acting.getStore() : undefined;
}
