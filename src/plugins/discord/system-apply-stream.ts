import { ChannelType, ThreadAutoArchiveDuration, type Client, type TextChannel } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { SYSTEM_ACTOR } from '../../kernel/lifecycle/system-actor.js';
import type { BackgroundWork } from './background-work.js';
import type { ChannelPacer } from './channel-pacer.js';
import { clip, LIMITS } from './discord-render.js';
import type { LobbyTracker } from './lobby-tracker.js';
import { OutputStreamer } from './output-streamer.js';

/**
 * What the kernel applies on its own (an expired deployment's teardown, run
 * as `cloud-engine`) streamed like any apply: a message in the channel of
 * the deployment's latest lobby, a thread under it with every line of the
 * apply in order, and how it ended. Nobody clicked, so this follows the
 * kernel's events: the session entering APPLYING as the system actor, its
 * output lines, and the apply's end.
 */
export class SystemApplyStream {
  private readonly streams = new Map<string, OutputStreamer>();

  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly lobbies: LobbyTracker,
    private readonly work: BackgroundWork,
    private readonly streamIntervalMs: number | undefined,
  ) {}

  follow(): (() => void)[] {
    const { events } = this.api;
    return [
      events.on('session.stateChanged', (event) => {
        if (event.to === 'APPLYING' && event.actor === SYSTEM_ACTOR && !this.streams.has(event.sessionId)) this.start(event.sessionId);
      }),
      events.on('output.line', (event) => {
        if (event.operation === 'apply') this.streams.get(event.sessionId)?.push(event.line);
      }),
      events.on('apply.finished', (event) => {
        const streamer = this.streams.get(event.sessionId);
        if (!streamer) return;
        this.streams.delete(event.sessionId);
        const text = event.state === 'APPLIED' ? '**Applied** by cloud-engine.' : `**${event.state}**: ${event.error ?? 'see the output above'}`;
        const summary = async () => {
          // Counted once every line is out.
          await streamer.end();
          await streamer.postLast(clip(`${this.api.redactor.redact(text)}\nOutput lines: ${streamer.delivered}/${streamer.produced} delivered.`, LIMITS.content));
        };
        this.work.track(summary().catch((error: unknown) => this.api.logger.warn({ err: error, sessionId: event.sessionId }, 'system apply summary not posted')));
      }),
    ];
  }

  /** Starts buffering the session's lines at once; the thread they go to is opened meanwhile (none: they are dropped). */
  private start(sessionId: string): void {
    const thread = this.openThread(sessionId);
    this.work.track(thread.catch(() => undefined));
    const streamer = new OutputStreamer(
      async (content) => {
        const channel = await thread;
        if (channel) await this.pacer.send(channel.id, () => channel.send(content));
      },
      { intervalMs: this.streamIntervalMs, onError: (error) => this.api.logger.warn({ err: error, sessionId }, 'system apply output not delivered') },
    );
    this.streams.set(sessionId, streamer);
  }

  private async openThread(sessionId: string): Promise<TextChannel | undefined> {
    try {
      const session = await this.api.orchestrator.getSession(sessionId);
      const channelId = await this.lobbies.deploymentChannel(session.deploymentId);
      if (!channelId) return undefined;
      const channel = await this.client.channels.fetch(channelId);
      if (!channel || channel.type !== ChannelType.GuildText) return undefined;
      const text = `🗑️ cloud-engine is tearing down deployment ${session.deploymentName} (${session.projectId}): session ${sessionId}. The output follows in the thread.`;
      const start = await this.pacer.send(channelId, () => channel.send({ content: clip(this.api.redactor.redact(text), LIMITS.content) }));
      const thread = await channel.threads.create({ startMessage: start.id, name: `Teardown ${session.deploymentName} ${sessionId}`.slice(0, 100), autoArchiveDuration: ThreadAutoArchiveDuration.OneHour });
      return thread as unknown as TextChannel;
    } catch (error) {
      this.api.logger.warn({ err: error, sessionId }, 'system apply thread not opened');
      return undefined;
    }
  }
}
