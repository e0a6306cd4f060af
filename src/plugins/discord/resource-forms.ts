import { randomUUID } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction, type ModalSubmitInteraction, type StringSelectMenuInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { configFromText, editValues } from '../../chat/resource-form.js';
import { requirePreconditions, sessionAccess } from '../../chat/preconditions/index.js';
import type { ChangeResult, SessionActions } from '../../chat/session-actions.js';
import type { BackgroundWork } from './background-work.js';
import { customId, parseCustomId, renderMessage, renderResourceModal, renderResourceSelect, renderTypeSelect } from './discord-render.js';
import { interactionFailure, replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';

/** A modal that failed validation: what was typed, kept so nothing is lost. */
interface Draft {
  readonly sessionId: string;
  readonly type: string;
  /** The resource edited, for an Edit Resource modal. */
  readonly edit?: string;
  readonly values: Record<string, string>;
  readonly userId: string;
  readonly expires: number;
}

/** How long a refused form is kept for Edit and retry. */
const DRAFT_TTL_MS = 15 * 60_000;

/**
 * The lobby's resource forms. Add Resource → a select of the session's
 * provider's types → the type's modal; Edit Resource → a select of the
 * session's resources → the type's modal filled with the resource's config
 * (secrets never); Remove Resource → a select of the session's resources.
 * Each change goes to the kernel and planning follows by itself. A refused
 * form is kept, and Edit and retry reopens it filled in.
 */
export class ResourceForms {
  private readonly drafts = new Map<string, Draft>();

  constructor(
    private readonly api: ChatApi,
    private readonly actions: SessionActions,
    private readonly lobbies: LobbyTracker,
    private readonly work: BackgroundWork,
  ) {}

  /** Add Resource: the types of the session's provider, to whoever may change the session. */
  async chooseType(interaction: ButtonInteraction, sessionId: string): Promise<void> {
    const userId = interaction.user.id;
    await requirePreconditions([sessionAccess('session.change')], { api: this.api, userId, args: { session_id: sessionId } });
    const session = await this.api.orchestrator.getSession(sessionId, userId);
    const types = this.api.resourceTypes(session.provider);
    await interaction.reply({ content: 'Which kind of resource?', components: [renderTypeSelect(session.id, types)], flags: MessageFlags.Ephemeral });
  }

  /** Edit Resource and Remove Resource: the session's resources, to whoever may change the session. */
  async chooseResource(interaction: ButtonInteraction, sessionId: string, purpose: 'edit' | 'remove'): Promise<void> {
    const userId = interaction.user.id;
    await requirePreconditions([sessionAccess('session.change')], { api: this.api, userId, args: { session_id: sessionId } });
    const session = await this.api.orchestrator.getSession(sessionId, userId);
    if (session.resources.length === 0) {
      await interaction.reply({ content: `Session ${sessionId} has no resources yet; click **Add Resource**.`, flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.reply({
      content: purpose === 'edit' ? 'Which resource do you want to edit?' : 'Which resource do you want to remove? The plan that follows shows what is destroyed.',
      components: [renderResourceSelect(session.id, purpose === 'edit' ? 'edit-pick' : 'remove-pick', session.resources)],
      flags: MessageFlags.Ephemeral,
    });
  }

  /** Edit and retry: the refused form again, with what was typed. */
  async reopen(interaction: ButtonInteraction, key: string | undefined): Promise<void> {
    const draft = key ? this.drafts.get(key) : undefined;
    const type = draft && this.api.resourceType(draft.type);
    if (!draft || !type || draft.userId !== interaction.user.id || draft.expires < Date.now()) {
      await interaction.reply({ content: 'That form has expired; click **Add Resource** or **Edit Resource** on the lobby again.', flags: MessageFlags.Ephemeral });
      return;
    }
    const session = await this.api.orchestrator.getSession(draft.sessionId, interaction.user.id);
    await interaction.showModal(renderResourceModal(draft.sessionId, type, draft.values, { context: { resources: session.resources, editing: draft.edit }, edit: draft.edit }));
  }

  async onSelect(interaction: StringSelectMenuInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id) return;
    const picked = interaction.values[0] ?? '';
    try {
      switch (id.action) {
        case 'type': {
          const type = this.api.resourceType(picked);
          if (!type) return await replyError(interaction, new Error('unknown resource type'), this.api.logger);
          const session = await this.api.orchestrator.getSession(id.sessionId, interaction.user.id);
          return await interaction.showModal(renderResourceModal(id.sessionId, type, {}, { context: { resources: session.resources } }));
        }
        case 'edit-pick': {
          const { session, resource, type } = await this.actions.resourceToEdit(id.sessionId, interaction.user.id, picked);
          const values = editValues(type, resource.config, resource.name);
          return await interaction.showModal(renderResourceModal(id.sessionId, type, values, { context: { resources: session.resources, editing: resource.name }, edit: resource.name }));
        }
        case 'remove-pick':
          return await this.remove(interaction, id.sessionId, picked);
      }
    } catch (error) {
      await replyError(interaction, error, this.api.logger);
    }
  }

  async onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id || (id.action !== 'modal' && id.action !== 'edit-modal') || !id.extra) return;
    const userId = interaction.user.id;
    const values: Record<string, string> = {};
    for (const [fieldId, field] of interaction.fields.fields) if ('value' in field && typeof field.value === 'string') values[fieldId] = field.value;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const edit = id.action === 'edit-modal' ? id.extra : undefined;
    let typeName = edit === undefined ? id.extra : '';
    try {
      let done: string;
      if (edit === undefined) {
        const type = this.api.resourceType(typeName);
        const config = type ? configFromText(type, values) : values;
        this.follow(id.sessionId, await this.actions.addResource(id.sessionId, userId, { type: typeName, name: values.name ?? '', config }));
        done = `Added **${values.name}** (${typeName}); planning…`;
      } else {
        typeName = (await this.actions.resourceToEdit(id.sessionId, userId, edit)).type.type;
        this.follow(id.sessionId, await this.actions.editResource(id.sessionId, userId, edit, values));
        done = `Changed **${edit}** (${typeName}); planning…`;
      }
      await interaction.editReply({ content: done });
    } catch (error) {
      // Keep what was typed: a button reopens the modal with it.
      const key = randomUUID().slice(0, 12);
      if (typeName) this.drafts.set(key, { sessionId: id.sessionId, type: typeName, edit, values, userId, expires: Date.now() + DRAFT_TTL_MS });
      const reply = interactionFailure(interaction, error, this.api.logger);
      const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
      const retry = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId(customId('retry', id.sessionId, key)).setLabel('Edit and retry').setStyle(ButtonStyle.Primary),
      );
      await interaction.editReply({ ...body, components: typeName ? [retry] : [] });
    }
  }

  /** Remove Resource picked: removed (the kernel refuses, naming them, while others refer to it), then planned. */
  private async remove(interaction: StringSelectMenuInteraction, sessionId: string, name: string): Promise<void> {
    const result = await this.actions.removeResource(sessionId, interaction.user.id, name);
    this.follow(sessionId, result);
    // The private picker becomes the answer: nothing left to pick.
    await interaction.update({ content: `Removed **${name}**; planning…`, components: [] });
  }

  /** The lobby follows the plan that a change starts by itself. */
  private follow(sessionId: string, change: ChangeResult): void {
    this.work.track(change.planned.then(() => this.lobbies.refresh(sessionId)));
  }
}
