import { ChannelType, MessageFlags, ThreadAutoArchiveDuration, type ButtonInteraction, type Client, type TextChannel } from 'discord.js';
import { CloudEngineError } from '../../kernel/errors.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { formatCost } from '../../kernel/sessions/cost.js';
import { approvalLines, type LobbyModel } from '../../chat/lobby.js';
import type { SessionActions } from '../../chat/session-actions.js';
import type { ChannelPacer } from './channel-pacer.js';
import { clip, LIMITS } from './discord-render.js';
import { replyError } from './interaction-errors.js';
import type { LobbyLocation, LobbyTracker } from './lobby-tracker.js';
import { OutputStreamer } from './output-streamer.js';

/**
 * Approve & Deploy: approves exactly the plan the clicked lobby showed, and
 * streams the apply into a thread under the lobby (paced with everything
 * else the bot writes there), ending with a summary and the lobby's update.
 */
export class ApplyThread {
  /** Sessions whose Approve click is being handled, and by whom. */
  private readonly approving = new Map<string, string>();

  constructor(
    private readonly api: ChatApi,
    private readonly actions: SessionActions,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly lobbies: LobbyTracker,
    private readonly streamIntervalMs: number | undefined,
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
    let thread: Promise<TextChannel> | undefined;
    let streamer: OutputStreamer | undefined;
    const openThread = () => {
      thread ??= this.openThread(location, sessionId);
      streamer ??= new OutputStreamer(
        async (content) => {
          const channel = await thread!;
          await this.pacer.send(channel.id, () => channel.send(content));
        },
        {
          intervalMs: this.streamIntervalMs,
          onError: (error) => this.api.logger.warn({ err: error, sessionId }, 'apply output not delivered to the thread'),
        },
      );
      return streamer;
    };
    const before = await this.api.orchestrator.getSession(sessionId);
    const started = Date.now();
    let final: LobbyModel;
    try {
      // The kernel re-checks the plan inside the approval: a re-plan after checkApproval is refused too.
      final = await this.actions.approve(sessionId, userId, (line) => openThread().push(line), planId);
    } catch (error) {
      // Refused before anything ran (permission, four eyes, state, stale plan, quota, busy).
      if (streamer) await streamer.end();
      await replyError(interaction, error, this.api.logger);
      return;
    }
    if (final.state === 'PLAN_READY' || final.state === 'DESTROY_READY') {
      // The project needs more approvals (settings.approval.required): this one is recorded, nothing ran.
      await this.lobbies.refresh(sessionId);
      const standing = approvalLines(final.approvals, (id) => `<@${id}>`).join(' · ');
      await interaction.followUp({ content: clip(`Your approval of plan ${planId} is recorded. ${standing}`, LIMITS.content), flags: MessageFlags.Ephemeral });
      return;
    }
    const out = openThread();
    await out.end();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const head = [
      clip(final.state === 'APPLIED' ? `**Applied** in ${seconds}s by <@${userId}>.` : `**${final.state}** after ${seconds}s: ${final.problems.join(' ') || 'see the output above'}`, 800),
      before.plan ? clip(`${before.plan.summary}${before.plan.cost ? ` · ${formatCost(before.plan.cost)}` : ''}`, 300) : '',
    ].filter(Boolean);
    const count = `Output lines: ${out.delivered}/${out.produced} delivered.`;
    // The outputs get what room is left: the line count must never be cut off.
    const room = LIMITS.content - [...head, count].join('\n').length - 1;
    const outputs = final.outputs ? Object.entries(final.outputs).map(([name, value]) => `\`${name}\`: ${JSON.stringify(value)}`).join('\n') : '';
    const summary = [...head, outputs && room > 40 ? clip(outputs, room) : '', count].filter(Boolean);
    await out.postLast(summary.join('\n'));
    await this.lobbies.refresh(sessionId);
  }

  private async openThread(location: LobbyLocation, sessionId: string): Promise<TextChannel> {
    const channel = await this.client.channels.fetch(location.channelId);
    if (!channel || channel.type !== ChannelType.GuildText) throw new Error(`lobby channel ${location.channelId} is not a text channel`);
    const session = await this.api.orchestrator.getSession(sessionId);
    const thread = await channel.threads.create({
      startMessage: location.messageId,
      name: `Deploy ${session.projectId} ${sessionId}`.slice(0, 100),
      autoArchiveDuration: ThreadAutoArchiveDuration.OneHour,
    });
    return thread as unknown as TextChannel;
  }
}
