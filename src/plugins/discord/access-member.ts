import type { Interaction } from 'discord.js';
import { asMember, type ChatMember } from '../../kernel/access/member-roles.js';

/**
 * Who acts in an interaction, as Discord says: the user, the roles the
 * member holds in this guild at this click (`interaction.member.roles`), and
 * the guild channel it came from (none in a DM: a request asked there is
 * posted only to the project's requests channel).
 */
export function memberOf(interaction: Interaction): ChatMember {
  const member = interaction.member as { roles?: unknown } | null;
  let roles: string[] = [];
  if (Array.isArray(member?.roles)) roles = member.roles.filter((role): role is string => typeof role === 'string');
  else if (member?.roles && typeof member.roles === 'object' && 'cache' in member.roles) {
    // A cached GuildMember, patched from this interaction's payload; its cache also holds @everyone (the guild's id).
    roles = [...(member.roles as { cache: Map<string, unknown> }).cache.keys()].filter((role) => role !== interaction.guildId);
  }
  return { userId: interaction.user.id, roles, ...(interaction.inGuild() && interaction.channelId ? { channelId: interaction.channelId } : {}) };
}

/** Runs the handling of one interaction inside its member's context, so the project's role mapping sees the roles of this click. */
export function inMemberContext<T>(interaction: Interaction, work: () => Promise<T>): Promise<T> {
  return asMember(memberOf(interaction), work);
}
