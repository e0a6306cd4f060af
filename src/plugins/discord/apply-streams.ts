import { ChannelType, ThreadAutoArchiveDuration, type Client, type TextChannel } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { PluginState } from '../../kernel/plugin/plugin-state.js';
import { BUSY_STATES } from '../../kernel/sessions/deployment-state.js';
import type { ChannelPacer } from './channel-pacer.js';
import type { LobbyLocation } from './lobby-tracker.js';
import { OutputStreamer } from './output-streamer.js';

/** How often a stream reads the session's new lines (the kernel persists them within 200 ms). */
const POLL_MS = 300;
/** The streams under way, for a bot started after one that stopped to resume them. */
const INDEX_KEY = 'apply-streams';

/** What is kept of one stream while it runs: where it goes and how far it got. */
interface StreamRecord {
  readonly sessionId: string;
  readonly lobby: LobbyLocation;
  readonly userId: string;
  threadId: string | null;
  /** The highest line number posted. */
  delivered: number;
  /** Line pieces posted so far, by every bot that streamed it. */
  deliveredPieces: number;
  /** A batch being posted: if the bot stopped mid-post, the thread's last message tells whether it went out. */
  pending: { readonly seq: number; readonly line: string } | null;
}

/** A stream's end, for the summary line. */
export interface StreamCount {
  readonly streamer: OutputStreamer;
  readonly deliveredBefore: number;
}

/**
 * An apply's output streamed into a thread under its lobby, from the lines
 * the kernel persists (not from this process's memory): every line in
 * order, and how far it got kept in plugin state after each message, so a
 * bot that starts after one that stopped mid-apply — a restarted front, or
 * the standby that took over the gateway — resumes the thread from the next
 * line, neither losing nor repeating one.
 */
export class ApplyStreams {
  private readonly state: PluginState;
  private indexing: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly streamIntervalMs: number | undefined,
  ) {
    this.state = api.pluginState('discord');
  }

  /** Stops the streams this bot resumed, leaving their state for the next bot. */
  close(): void {
    this.closed = true;
  }

  /** Streams `sessionId`'s apply lines under the lobby at `lobby` until `done` settles (the approval's apply). */
  async follow(sessionId: string, lobby: LobbyLocation, userId: string, done: Promise<unknown>): Promise<StreamCount> {
    const record: StreamRecord = { sessionId, lobby, userId, threadId: null, delivered: 0, deliveredPieces: 0, pending: null };
    await this.save(record);
    await this.index((ids) => [...new Set([...ids, sessionId])]);
    return this.stream(record, done);
  }

  /** Posts the stream's last message (the summary) and forgets the stream. */
  async finish(sessionId: string, count: StreamCount, summary: string): Promise<void> {
    await count.streamer.postLast(summary);
    await this.forget(sessionId);
  }

  /** Forgets a stream that never produced a line (the approval was refused). */
  async forget(sessionId: string): Promise<void> {
    await this.state.delete(key(sessionId));
    await this.index((ids) => ids.filter((id) => id !== sessionId));
  }

  /**
   * Resumes every stream a bot that stopped left behind: from the line after
   * the last it posted (or after the batch it was posting, when the thread
   * shows it went out), until the session ends, then its summary.
   */
  async resumeAll(): Promise<void> {
    for (const sessionId of (await this.state.get<string[]>(INDEX_KEY)) ?? []) {
      const record = await this.state.get<StreamRecord>(key(sessionId));
      if (!record) {
        await this.forget(sessionId);
        continue;
      }
      void this.resume(record).catch((error: unknown) => this.api.logger.warn({ err: error, sessionId }, 'apply stream not resumed'));
    }
  }

  private async resume(record: StreamRecord): Promise<void> {
    const thread = record.threadId ? await this.thread(record.threadId) : undefined;
    if (record.pending && thread) {
      const [last] = [...(await thread.messages.fetch({ limit: 1 })).values()];
      if (last?.content.includes(record.pending.line)) record.delivered = record.pending.seq;
      record.pending = null;
    }
    this.api.logger.info({ sessionId: record.sessionId, from: record.delivered }, 'resuming an apply stream a stopped bot left');
    const count = await this.stream(record, this.ended(record.sessionId), thread);
    if (this.closed) return;
    const session = await this.api.orchestrator.getSession(record.sessionId);
    const pieces = count.deliveredBefore + count.streamer.delivered;
    const total = count.deliveredBefore + count.streamer.produced;
    const head = session.state === 'APPLIED' ? `**Applied** (approved by <@${record.userId}>).` : `**${session.state}**: ${session.error ?? 'see the output above'}`;
    await this.finish(record.sessionId, count, `${head}\nOutput lines: ${pieces}/${total} delivered (resumed after a restart).`);
  }

  /** Follows the persisted lines from `record.delivered` into the thread until `done` settles, then reads once more. */
  private async stream(record: StreamRecord, done: Promise<unknown>, existing?: TextChannel): Promise<StreamCount> {
    let thread: Promise<TextChannel> | undefined = existing ? Promise.resolve(existing) : undefined;
    const deliveredBefore = record.deliveredPieces;
    const streamer = new OutputStreamer(
      async (content, batch) => {
        thread ??= this.openThread(record);
        const channel = await thread;
        if (batch.lastSeq !== undefined) {
          record.pending = { seq: batch.lastSeq, line: batch.lastLine ?? '' };
          await this.save(record);
        }
        await this.pacer.send(channel.id, () => channel.send(content));
        if (batch.lastSeq !== undefined) record.delivered = batch.lastSeq;
        record.pending = null;
        record.deliveredPieces = deliveredBefore + streamer.delivered + batch.pieces;
        await this.save(record);
      },
      { intervalMs: this.streamIntervalMs, onError: (error) => this.api.logger.warn({ err: error, sessionId: record.sessionId }, 'apply output not delivered to the thread') },
    );
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    let seq = record.delivered;
    for (;;) {
      const last = finished;
      for (const line of await this.api.orchestrator.getOutput(record.sessionId, { afterSeq: seq })) {
        seq = line.seq;
        if (line.operation === 'apply') streamer.push(line.line, line.seq);
      }
      if (last || this.closed) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await streamer.end();
    return { streamer, deliveredBefore };
  }

  /** Resolves once the session's apply is over (it is no longer busy: APPLIED, FAILED, DESTROYED…). */
  private async ended(sessionId: string): Promise<void> {
    while (!this.closed && BUSY_STATES.includes((await this.api.orchestrator.getSession(sessionId)).state)) await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  private async openThread(record: StreamRecord): Promise<TextChannel> {
    const channel = await this.client.channels.fetch(record.lobby.channelId);
    if (!channel || channel.type !== ChannelType.GuildText) throw new Error(`lobby channel ${record.lobby.channelId} is not a text channel`);
    const session = await this.api.orchestrator.getSession(record.sessionId);
    const thread = await channel.threads.create({
      startMessage: record.lobby.messageId,
      name: `Deploy ${session.projectId} ${record.sessionId}`.slice(0, 100),
      autoArchiveDuration: ThreadAutoArchiveDuration.OneHour,
    });
    record.threadId = thread.id;
    await this.save(record);
    return thread as unknown as TextChannel;
  }

  private async thread(threadId: string): Promise<TextChannel | undefined> {
    return ((await this.client.channels.fetch(threadId).catch(() => null)) as TextChannel | null) ?? undefined;
  }

  private async save(record: StreamRecord): Promise<void> {
    await this.state.set(key(record.sessionId), record);
  }

  /** Changes the index, one change after another (one bot writes it: the gateway's leader). */
  private index(change: (ids: string[]) => string[]): Promise<void> {
    const next = this.indexing.then(async () => this.state.set(INDEX_KEY, change((await this.state.get<string[]>(INDEX_KEY)) ?? [])));
    this.indexing = next.catch(() => undefined);
    return next;
  }
}

function key(sessionId: string): string {
  return `apply-stream:${sessionId}`;
}
