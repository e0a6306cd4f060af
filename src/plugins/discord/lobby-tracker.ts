import type { ButtonInteraction, ChatInputCommandInteraction, Client, TextChannel } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { PluginState } from '../../kernel/plugin/plugin-state.js';
import { FINAL_STATES } from '../../kernel/sessions/deployment-state.js';
import { buildLobby, type LobbyModel } from '../../chat/lobby.js';
import type { BackgroundWork } from './background-work.js';
import type { ChannelPacer } from './channel-pacer.js';
import { renderLobby } from './discord-render.js';

/** Where a session's lobby message lives, so the bot can edit it with its own token. */
export interface LobbyLocation {
  readonly channelId: string;
  readonly messageId: string;
}

/**
 * Knows where each session's lobby is and keeps it current. Locations are
 * kept in the plugin's state, so a restarted bot keeps editing old lobbies,
 * and cached here; a finished session's lobby is forgotten. Every post and
 * edit goes through the channel pacer.
 */
export class LobbyTracker {
  private readonly lobbies = new Map<string, LobbyLocation>();
  /** The channel of each deployment's latest lobby: where its expiry reminders go. */
  private readonly deploymentChannels = new Map<string, string>();
  /** Sessions known to have no stored lobby (most events are about sessions this bot never posted). */
  private readonly noLobby = new Set<string>();
  /** Sessions whose lobby is being posted, and whether they changed meanwhile (the refresh then follows the post). */
  private readonly posting = new Map<string, boolean>();
  private readonly state: PluginState;

  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly work: BackgroundWork,
  ) {
    this.state = api.pluginState('discord');
  }

  /**
   * Runs `post`, which puts a session's lobby in a channel. A change that
   * arrives meanwhile finds no lobby to edit, so it is shown right after.
   */
  async posted(sessionId: string, post: () => Promise<void>): Promise<void> {
    this.posting.set(sessionId, false);
    try {
      await post();
    } finally {
      const changed = this.posting.get(sessionId);
      this.posting.delete(sessionId);
      if (changed) void this.refresh(sessionId);
    }
  }

  /**
   * Puts a new lobby in the channel an interaction came from: as the
   * interaction's own (public) reply, or, when the interaction was deferred
   * privately, as a channel message in the channel's pace, the deferral
   * saying where it is. Either way the bot remembers it and keeps it current.
   */
  async reply(interaction: ChatInputCommandInteraction | ButtonInteraction, lobby: LobbyModel, deferred: boolean): Promise<void> {
    const { sessionId } = lobby;
    await this.posted(sessionId, async () => {
      if (deferred) {
        // The deferral was private; the lobby belongs to the channel.
        await interaction.editReply({ content: `Lobby for session ${sessionId} below.` });
        await this.postWhenRoom(sessionId, interaction.channelId, interaction.channel as TextChannel);
      } else {
        const response = await interaction.reply({ ...renderLobby(lobby), withResponse: true });
        const message = response.resource?.message;
        if (message) {
          await this.remember(sessionId, { channelId: message.channelId, messageId: message.id });
          await this.rememberDeployment(lobby.deploymentId, message.channelId);
        }
      }
    });
  }

  /**
   * Posts a session's lobby into a channel when the channel's pace allows,
   * built then (a lobby that waited for room is not posted out of date), and remembers it.
   */
  async postWhenRoom(sessionId: string, channelId: string, channel: TextChannel): Promise<void> {
    let deploymentId: string | undefined;
    const message = await this.pacer.send(channelId, async () => {
      const lobby = await this.current(sessionId);
      deploymentId = lobby.deploymentId;
      return channel.send(renderLobby(lobby));
    });
    await this.remember(sessionId, { channelId: message.channelId, messageId: message.id });
    if (deploymentId) await this.rememberDeployment(deploymentId, message.channelId);
  }

  /** Records where a session's lobby is; a failure to store it is logged, never the interaction's failure. */
  async remember(sessionId: string, location: LobbyLocation): Promise<void> {
    this.lobbies.set(sessionId, location);
    this.noLobby.delete(sessionId);
    try {
      await this.state.set(lobbyKey(sessionId), location);
    } catch (error) {
      this.api.logger.warn({ err: error, sessionId }, 'lobby location not stored; it will not update after a restart');
    }
  }

  /** Records the channel of a deployment's latest lobby (kept across restarts); a failure to store it is logged. */
  async rememberDeployment(deploymentId: string, channelId: string): Promise<void> {
    if (this.deploymentChannels.get(deploymentId) === channelId) return;
    this.deploymentChannels.set(deploymentId, channelId);
    try {
      await this.state.set(deploymentKey(deploymentId), { channelId });
    } catch (error) {
      this.api.logger.warn({ err: error, deploymentId }, 'deployment channel not stored; its reminders may not be posted after a restart');
    }
  }

  /** The channel of the deployment's latest lobby this bot posted or edited, if any. */
  async deploymentChannel(deploymentId: string): Promise<string | undefined> {
    const known = this.deploymentChannels.get(deploymentId);
    if (known) return known;
    const stored = await this.state.get<{ channelId?: unknown }>(deploymentKey(deploymentId));
    if (typeof stored?.channelId !== 'string') return undefined;
    this.deploymentChannels.set(deploymentId, stored.channelId);
    return stored.channelId;
  }

  /** Whether this run of the bot knows the lobby's place already. */
  knows(sessionId: string): boolean {
    return this.lobbies.has(sessionId);
  }

  /** Where a session's lobby is: from memory, else from what an earlier run of the bot stored. */
  async locate(sessionId: string): Promise<LobbyLocation | undefined> {
    const known = this.lobbies.get(sessionId);
    if (known || this.noLobby.has(sessionId)) return known;
    const stored = await this.state.get<Partial<LobbyLocation>>(lobbyKey(sessionId));
    if (typeof stored?.channelId === 'string' && typeof stored.messageId === 'string') {
      const location = { channelId: stored.channelId, messageId: stored.messageId };
      this.lobbies.set(sessionId, location);
      return location;
    }
    this.noLobby.add(sessionId);
    return undefined;
  }

  /**
   * Re-renders a session's lobby. The edit waits its turn in the channel's pace and is built
   * from the session as it is when the turn comes; edits still waiting are replaced by the
   * newest, so a burst of changes costs one edit and no older state follows a newer one.
   */
  refresh(sessionId: string): Promise<void> {
    if (this.posting.has(sessionId)) {
      this.posting.set(sessionId, true);
      return Promise.resolve();
    }
    const running = (async () => {
      try {
        const location = await this.locate(sessionId);
        if (!location) return;
        await this.pacer.send(location.channelId, () => this.edit(sessionId), { key: lobbyKey(sessionId) });
      } catch (error) {
        this.api.logger.warn({ err: error, sessionId }, 'lobby refresh failed');
      }
    })();
    this.work.track(running);
    return running;
  }

  /** The lobby of the session as it is now, as the whole channel may see it. */
  async current(sessionId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.getSession(sessionId));
  }

  private async edit(sessionId: string): Promise<void> {
    // Looked up again: an edit before this one may have found the session finished and forgotten its lobby.
    const location = await this.locate(sessionId);
    if (!location) return;
    const lobby = await this.current(sessionId);
    const channel = (await this.client.channels.fetch(location.channelId)) as TextChannel | null;
    await channel?.messages.edit(location.messageId, renderLobby(lobby));
    await this.rememberDeployment(lobby.deploymentId, location.channelId);
    // A finished session's lobby never changes again: forget where it is.
    if (FINAL_STATES.includes(lobby.state)) {
      await this.state.delete(lobbyKey(sessionId));
      this.lobbies.delete(sessionId);
      this.noLobby.add(sessionId);
    }
  }
}

function deploymentKey(deploymentId: string): string {
  return `deployment:${deploymentId}`;
}

function lobbyKey(sessionId: string): string {
  return `lobby:${sessionId}`;
}
