import { AsyncLocalStorage } from 'node:async_hooks';
import { ACCESS_LEVELS, type AccessLevel } from './authorizer.js';

/** Who is acting in a chat interaction, as the chat platform says: their id, their roles there, and where they asked. */
export interface ChatMember {
  readonly userId: string;
  /** Role ids the member holds at this interaction (Discord: `interaction.member.roles`). */
  readonly roles: readonly string[];
  /** The channel the interaction came from, when there is one. */
  readonly channelId?: string;
}

const member = new AsyncLocalStorage<ChatMember>();

/**
 * Runs `work` as one chat interaction of `who`: inside it, a project's
 * `access.roles` mapping gives `who` the levels of the roles they hold now.
 * Chat adapters enter it for every interaction; roles are never stored, so
 * a removed role stops counting at the next click.
 */
export function asMember<T>(who: ChatMember, work: () => Promise<T>): Promise<T> {
  return member.run({ userId: who.userId, roles: [...who.roles], ...(who.channelId ? { channelId: who.channelId } : {}) }, work);
}

/** The member of the interaction being handled, if any. */
export function currentMember(): ChatMember | undefined {
  return member.getStore();
}

/** The chat roles `userId` holds in the interaction being handled; [] outside one, or for anyone else. */
export function currentMemberRoles(userId?: string): readonly string[] {
  const who = member.getStore();
  if (!who || (userId !== undefined && who.userId !== userId)) return [];
  return who.roles;
}

/** The highest level `roles` give under a project's mapping, and the role that gives it; null when none is mapped. */
export function mappedLevel(mapping: Readonly<Record<string, AccessLevel>>, roles: readonly string[]): { level: AccessLevel; roleId: string } | null {
  let best: { level: AccessLevel; roleId: string } | null = null;
  for (const roleId of roles) {
    const level = Object.hasOwn(mapping, roleId) ? mapping[roleId] : undefined;
    if (level && (!best || ACCESS_LEVELS.indexOf(level) > ACCESS_LEVELS.indexOf(best.level))) best = { level, roleId };
  }
  return best;
}
