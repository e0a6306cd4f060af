import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { CloudEngineError } from '../../kernel/errors.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { formatCost } from '../../kernel/sessions/cost.js';
import { approvalLines, type LobbyModel } from '../../chat/lobby.js';
import type { SessionActions } from '../../chat/session-actions.js';
import type { ApplyStreams } from './apply-streams.js';
import { clip, LIMITS } from './discord-render.js';
import { replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';

/**
 * Approve & Deploy: approves exactly the plan the clicked lobby showed, and
 * streams the apply into a thread under the lobby (`apply-streams.ts`:
 * from the persisted lines, resumable by another bot), ending with a
 * summary and the lobby's update.
 */
export class ApplyThread {
  /** Sessions whose Approve click is being handled, and by whom. */
  private readonly approving = new Map<string, string>();

  constructor(
    private readonly api: ChatApi,
    private readonly actions: SessionActions,
    private readonly lobbies: LobbyTracker,
    private readonly streams: ApplyStreams,
  ) {}

  /** Approves the plan the clicked lobby showed (`planId`, from the button), never a newer one. */
  async approve(interaction: ButtonInteraction, sessionId: string, planId: string | undefined): Promise<void> {
    const userId = interaction.user.id;
    if (!planId) {
      // A lobby rendered before buttons carried their plan: which plan the approver saw is unknown.
      void this.lobbies.refresh(sessionId);
      throw new CloudEngineError('PLAN_STALE', `This lobby of session ${sessionId} does not say which plan it showed, so it cannot be approved. It is being re-rendered; review the plan there and click Approve & Deploy again.`, {
        details: { sessionId, customId: interaction.customId },
      });
    }
    // A refused click is answered directly; only real work is acknowledged
    // and run (the apply can take an hour, Discord allows 3 s).
    await this.api.orchestrator.checkApproval(sessionId, userId, { planId });
    // Of two clicks at once both pass the check; the second is answered here, directly and
    // privately, rather than after the deferral (a follow-up would compete with the lobby's
    // edits for the channel's rate limit). The kernel still arbitrates every approval.
    const approving = this.approving.get(sessionId);
    if (approving) {
      throw new CloudEngineError('LOCKED', `Session ${sessionId} is already being approved and applied by <@${approving}>; follow it in the lobby's thread.`, {
        details: { sessionId, holder: approving },
      });
    }
    this.approving.set(sessionId, userId);
    try {
      await this.approveAndStream(interaction, sessionId, planId);
    } finally {
      this.approving.delete(sessionId);
    }
  }

  private async approveAndStream(interaction: ButtonInteraction, sessionId: string, planId: string): Promise<void> {
    const userId = interaction.user.id;
    await interaction.deferUpdate();
    const location = (await this.lobbies.locate(sessionId)) ?? { channelId: interaction.channelId, messageId: interaction.message.id };
    if (!this.lobbies.knows(sessionId)) await this.lobbies.remember(sessionId, location);
    const before = await this.api.orchestrator.getSession(sessionId);
    const started = Date.now();
    // The kernel re-checks the plan inside the approval: a re-plan after checkApproval is refused too.
    const approving = this.actions.approve(sessionId, userId, undefined, planId);
    // The apply's lines, from the database as the kernel persists them (wherever it runs), into a thread under the lobby.
    const following = this.streams.follow(sessionId, location, userId, approving);
    let final: LobbyModel;
    try {
      final = await approving;
    } catch (error) {
      // Refused before anything ran (permission, four eyes, state, stale plan, quota, busy).
      await following;
      await this.streams.forget(sessionId);
      await replyError(interaction, error, this.api.logger);
      return;
    }
    const out = await following;
    if (final.state === 'PLAN_READY' || final.state === 'DESTROY_READY') {
      // The project needs more approvals (settings.approval.required): this one is recorded, nothing ran.
      await this.streams.forget(sessionId);
      await this.lobbies.refresh(sessionId);
      const standing = approvalLines(final.approvals, (id) => `<@${id}>`).join(' · ');
      await interaction.followUp({ content: clip(`Your approval of plan ${planId} is recorded. ${standing}`, LIMITS.content), flags: MessageFlags.Ephemeral });
      return;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const head = [
      clip(final.state === 'APPLIED' ? `**Applied** in ${seconds}s by <@${userId}>.` : `**${final.state}** after ${seconds}s: ${final.problems.join(' ') || 'see the output above'}`, 800),
      before.plan ? clip(`${before.plan.summary}${before.plan.cost ? ` · ${formatCost(before.plan.cost)}` : ''}`, 300) : '',
    ].filter(Boolean);
    const count = `Output lines: ${out.deliveredBefore + out.streamer.delivered}/${out.deliveredBefore + out.streamer.produced} delivered.`;
    // The outputs get what room is left: the line count must never be cut off.
    const room = LIMITS.content - [...head, count].join('\n').length - 1;
    const outputs = final.outputs ? Object.entries(final.outputs).map(([name, value]) => `\`${name}\`: ${JSON.stringify(value)}`).join('\n') : '';
    const summary = [...head, outputs && room > 40 ? clip(outputs, room) : '', count].filter(Boolean);
    await this.streams.finish(sessionId, out, summary.join('\n'));
    await this.lobbies.refresh(sessionId);
  }
}
