import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { projectAccess, requirePreconditions, sessionAccess } from '../../chat/preconditions/index.js';
import type { SessionActions } from '../../chat/session-actions.js';
import { DriftActions } from '../../chat/drift-actions.js';
import type { ApplyThread } from './apply-thread.js';
import { clip, LIMITS, parseCustomId, renderLobby } from './discord-render.js';
import { approvalLines } from '../../chat/lobby.js';
import { replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';
import type { ResourceForms } from './resource-forms.js';

/** The lobby's buttons (`ce:<action>:<session>[:<extra>]`): each to its handler; a refusal is answered privately. */
export class LobbyButtons {
  constructor(
    private readonly api: ChatApi,
    private readonly actions: SessionActions,
    private readonly lobbies: LobbyTracker,
    private readonly forms: ResourceForms,
    private readonly applies: ApplyThread,
    private readonly drift: DriftActions = new DriftActions(api),
  ) {}

  async onButton(interaction: ButtonInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id) return;
    const userId = interaction.user.id;
    try {
      switch (id.action) {
        case 'approve':
          return await this.applies.approve(interaction, id.sessionId, id.extra);
        case 'add':
          return await this.forms.chooseType(interaction, id.sessionId);
        case 'edit':
          return await this.forms.chooseResource(interaction, id.sessionId, 'edit');
        case 'remove':
          return await this.forms.chooseResource(interaction, id.sessionId, 'remove');
        case 'retry':
          return await this.forms.reopen(interaction, id.extra);
        case 'refresh':
          await interaction.update(renderLobby(await this.actions.lobby(id.sessionId, userId)));
          return;
        case 'cancel': {
          await requirePreconditions([sessionAccess('session.cancel')], { api: this.api, userId, args: { session_id: id.sessionId } });
          // Cancelling an apply waits for terraform to stop: acknowledge first.
          await interaction.deferUpdate();
          await this.actions.cancel(id.sessionId, userId);
          await this.lobbies.refresh(id.sessionId);
          return;
        }
        case 'withdraw': {
          const lobby = await this.actions.withdraw(id.sessionId, userId);
          await interaction.reply({ content: clip(`Your approval is withdrawn. ${approvalLines(lobby.approvals, (approver) => `<@${approver}>`).join(' · ')}`, LIMITS.content), flags: MessageFlags.Ephemeral });
          return;
        }
        case 'change':
          // A new change of the deployment, in a lobby of its own; LOCKED (who holds it, since when) is answered privately.
          return await this.lobbies.reply(interaction, await this.actions.change(id.sessionId, userId), false);
        case 'destroy':
          return await this.destroy(interaction, id.sessionId);
        // An expiry reminder's buttons carry the deployment's id where a lobby's carry the session's.
        case 'extend': {
          const { line } = await this.actions.extend(id.sessionId, userId);
          await interaction.reply({ content: line.replace(`extended by ${userId}`, `extended by <@${userId}>`) });
          return;
        }
        case 'destroy-now':
          return await this.destroyNow(interaction, id.sessionId);
        // A drift notice's buttons carry the deployment's id too.
        case 'reconcile':
          return await this.reconcile(interaction, id.sessionId);
        case 'dismiss-drift':
          await interaction.reply({ content: (await this.drift.dismiss(id.sessionId, userId)).replace(`dismissed by ${userId}`, `dismissed by <@${userId}>`) });
          return;
      }
    } catch (error) {
      await replyError(interaction, error, this.api.logger);
    }
  }

  /**
   * Destroy: plans the deployment's teardown (a change removing every
   * resource) and posts that change's lobby, to be approved like any plan.
   * Whoever may not start a change is refused at once; the plan takes a
   * while, so real work is acknowledged privately first.
   */
  private async destroy(interaction: ButtonInteraction, sessionId: string): Promise<void> {
    const session = await this.api.orchestrator.getSession(sessionId, interaction.user.id);
    return this.destroyNow(interaction, session.deploymentId);
  }

  /**
   * Reconcile (a drift notice's button): a change of the deployment as it is
   * declared, planned at once, posted as a lobby to approve like any plan.
   * Who may not start a change is refused at once; the plan takes a while.
   */
  private async reconcile(interaction: ButtonInteraction, deploymentId: string): Promise<void> {
    const userId = interaction.user.id;
    const deployment = await this.api.deployments.get(deploymentId, userId);
    await requirePreconditions([projectAccess('session.start')], { api: this.api, userId, args: { project: deployment.projectId } });
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await this.lobbies.reply(interaction, await this.drift.reconcile(deployment.id, userId), true);
  }

  /** Destroy now (an expiry reminder's button): Destroy by the deployment's id. */
  private async destroyNow(interaction: ButtonInteraction, deploymentId: string): Promise<void> {
    const userId = interaction.user.id;
    const deployment = await this.api.deployments.get(deploymentId, userId);
    await requirePreconditions([projectAccess('session.start')], { api: this.api, userId, args: { project: deployment.projectId } });
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const lobby = await this.actions.destroyDeployment(deployment.id, userId);
    await this.lobbies.reply(interaction, lobby, true);
  }
}
