import { randomUUID } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction, type ModalSubmitInteraction, type StringSelectMenuInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { configFromText } from '../../chat/resource-form.js';
import { requirePreconditions, sessionAccess } from '../../chat/preconditions/index.js';
import type { SessionActions } from '../../chat/session-actions.js';
import type { BackgroundWork } from './background-work.js';
import { customId, parseCustomId, renderMessage, renderResourceModal, renderTypeSelect } from './discord-render.js';
import { interactionFailure, replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';

/** A modal that failed validation: what was typed, kept so nothing is lost. */
interface Draft {
  readonly sessionId: string;
  readonly type: string;
  readonly values: Record<string, string>;
  readonly userId: string;
  readonly expires: number;
}

/** How long a refused form is kept for Edit and retry. */
const DRAFT_TTL_MS = 15 * 60_000;

/**
 * Adding a resource: Add Resource → a select of the session's provider's
 * types → the type's modal → the kernel (planning follows by itself). A
 * refused form is kept, and Edit and retry reopens it filled in.
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

  /** Edit and retry: the refused form again, with what was typed. */
  async reopen(interaction: ButtonInteraction, key: string | undefined): Promise<void> {
    const draft = key ? this.drafts.get(key) : undefined;
    const type = draft && this.api.resourceType(draft.type);
    if (!draft || !type || draft.userId !== interaction.user.id || draft.expires < Date.now()) {
      await interaction.reply({ content: 'That form has expired; click **Add Resource** on the lobby again.', flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.showModal(renderResourceModal(draft.sessionId, type, draft.values));
  }

  async onSelect(interaction: StringSelectMenuInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id || id.action !== 'type') return;
    const type = this.api.resourceType(interaction.values[0] ?? '');
    if (!type) return replyError(interaction, new Error('unknown resource type'), this.api.logger);
    await interaction.showModal(renderResourceModal(id.sessionId, type));
  }

  async onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id || id.action !== 'modal' || !id.extra) return;
    const userId = interaction.user.id;
    const values: Record<string, string> = {};
    for (const [fieldId, field] of interaction.fields.fields) if ('value' in field && typeof field.value === 'string') values[fieldId] = field.value;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const type = this.api.resourceType(id.extra);
    try {
      const config = type ? configFromText(type, values) : values;
      const { planned } = await this.actions.addResource(id.sessionId, userId, { type: id.extra, name: values.name ?? '', config });
      await interaction.editReply({ content: `Added **${values.name}** (${id.extra}); planning…` });
      this.work.track(planned.then(() => this.lobbies.refresh(id.sessionId)));
    } catch (error) {
      // Keep what was typed: a button reopens the modal with it.
      const key = randomUUID().slice(0, 12);
      this.drafts.set(key, { sessionId: id.sessionId, type: id.extra, values, userId, expires: Date.now() + DRAFT_TTL_MS });
      const reply = interactionFailure(interaction, error, this.api.logger);
      const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
      const retry = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId(customId('retry', id.sessionId, key)).setLabel('Edit and retry').setStyle(ButtonStyle.Primary),
      );
      await interaction.editReply({ ...body, components: [retry] });
    }
  }
}
