import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  ModalBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type APIEmbed,
} from 'discord.js';
import type { ResourceType } from '../../kernel/plugin/resource-type.js';
import type { ChatMessage } from '../../chat/chat-message.js';
import { approvalLines, type LobbyModel } from '../../chat/lobby.js';
import { formFor, type FormContext } from '../../chat/resource-form.js';

/** Discord's limits that rendering must stay within. */
export const LIMITS = { content: 2000, embedTitle: 256, embedDescription: 4096, fieldValue: 1024, fields: 25, embedTotal: 6000, modalTitle: 45, label: 45, inputValue: 4000, selectOptions: 25 } as const;

const COLORS = { info: 0x5865f2, success: 0x57f287, warning: 0xfee75c, error: 0xed4245 } as const;
const STATE_COLORS: Record<string, number> = {
  DRAFT: 0x99aab5,
  VALIDATING: 0x5865f2,
  PLANNING: 0x5865f2,
  PLAN_READY: 0x57f287,
  PLAN_FAILED: 0xed4245,
  APPROVED: 0x57f287,
  APPLYING: 0xfee75c,
  APPLIED: 0x57f287,
  FAILED: 0xed4245,
  CANCELLED: 0x99aab5,
};

/**
 * Custom ids carry the action and the session: `ce:<action>:<sessionId>[:<extra>]`; Approve's
 * extra is the id of the plan its lobby showed, so a click approves that plan or nothing.
 */
export function customId(action: string, sessionId: string, extra?: string): string {
  return ['ce', action, sessionId, extra].filter((part) => part !== undefined).join(':').slice(0, 100);
}

export function parseCustomId(id: string): { action: string; sessionId: string; extra?: string } | undefined {
  const [prefix, action, sessionId, ...rest] = id.split(':');
  if (prefix !== 'ce' || !action || !sessionId) return undefined;
  return { action, sessionId, extra: rest.length ? rest.join(':') : undefined };
}

/** Truncates to `max` characters, saying that it did. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '… (truncated)';
  return `${text.slice(0, Math.max(0, max - note.length))}${note}`;
}

/**
 * The lobby message: an embed and its buttons — Approve & Deploy, Add, Edit
 * and Remove Resource, Cancel; then Refresh, and Change and Destroy once
 * the session is applied (or failed) — and the full plan as a file when it
 * does not fit.
 */
export function renderLobby(lobby: LobbyModel): {
  embeds: APIEmbed[];
  components: ActionRowBuilder<ButtonBuilder>[];
  files: { name: string; attachment: Buffer }[];
} {
  const embed = new EmbedBuilder()
    .setTitle(clip(`Deployment ${lobby.sessionId}`, LIMITS.embedTitle))
    .setColor(STATE_COLORS[lobby.state] ?? COLORS.info)
    .setDescription(clip(lobby.stateLabel, LIMITS.embedDescription))
    .addFields(
      { name: 'Deployment', value: clip(lobby.deploymentName || lobby.deploymentId, LIMITS.fieldValue), inline: true },
      { name: 'Project', value: lobby.projectId, inline: true },
      { name: 'Provider', value: lobby.provider, inline: true },
      { name: 'Owner', value: `<@${lobby.owner}>`, inline: true },
      ...(lobby.expiry ? [{ name: 'TTL', value: clip(lobby.expiry, LIMITS.fieldValue), inline: true }] : []),
      ...(lobby.drift ? [{ name: 'Drift', value: clip(lobby.drift.replace(/^drift: /, ''), LIMITS.fieldValue), inline: true }] : []),
      {
        name: `Resources (${lobby.resources.length})`,
        value: clip(
          lobby.resources
            .map((resource) => `• **${resource.name}** — ${resource.type}${resource.detail ? ` (${resource.detail})` : ''}${resource.parts ? `\n  parts: ${resource.parts.join(', ')}` : ''}`)
            .join('\n') || 'None yet — click **Add Resource**.',
          LIMITS.fieldValue,
        ),
      },
    );
  const files: { name: string; attachment: Buffer }[] = [];
  if (lobby.plan) {
    const changes = lobby.plan.changes.join('\n');
    const block = `${lobby.plan.summary}\n\`\`\`diff\n${changes}\n\`\`\``;
    if (block.length <= LIMITS.fieldValue) embed.addFields({ name: 'Plan', value: block });
    else {
      const shown: string[] = [];
      let size = lobby.plan.summary.length + 40;
      for (const change of lobby.plan.changes) {
        if (size + change.length + 1 > LIMITS.fieldValue - 60) break;
        shown.push(change);
        size += change.length + 1;
      }
      embed.addFields({ name: 'Plan', value: `${lobby.plan.summary}\n\`\`\`diff\n${shown.join('\n')}\n\`\`\`… ${lobby.plan.changes.length - shown.length} more in plan.txt` });
      files.push({ name: 'plan.txt', attachment: Buffer.from(`${lobby.plan.summary}\n\n${changes}\n`, 'utf8') });
    }
  }
  if (lobby.cost) {
    const unpriced = lobby.cost.unpriced.length ? `\nUnpriced:\n${lobby.cost.unpriced.map((item) => `• ${item}`).join('\n')}` : '';
    embed.addFields({ name: 'Cost', value: clip(`${lobby.cost.text}\nThis change: ${lobby.cost.delta}${unpriced}`, LIMITS.fieldValue) });
  }
  if (lobby.quotas.length) {
    embed.addFields({ name: 'Quotas', value: clip(lobby.quotas.map((quota) => `\`${quota.quotaKey}\` ${quota.bar}`).join('\n'), LIMITS.fieldValue) });
  }
  const approvals = approvalLines(lobby.approvals, (userId) => `<@${userId}>`);
  if (approvals.length) embed.addFields({ name: 'Approvals', value: clip(approvals.join('\n'), LIMITS.fieldValue) });
  if (lobby.problems.length) embed.addFields({ name: 'Problems', value: clip(lobby.problems.join('\n'), LIMITS.fieldValue) });
  if (lobby.outputs && Object.keys(lobby.outputs).length) {
    embed.addFields({
      name: 'Outputs',
      value: clip(Object.entries(lobby.outputs).map(([name, value]) => `\`${name}\`: ${JSON.stringify(value)}`).join('\n'), LIMITS.fieldValue),
    });
  }
  const { actions, sessionId } = lobby;
  const edits = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(customId('approve', sessionId, lobby.plan?.id)).setLabel(approveLabel(lobby)).setStyle(ButtonStyle.Success).setDisabled(!actions.approve),
    new ButtonBuilder().setCustomId(customId('add', sessionId)).setLabel('Add Resource').setStyle(ButtonStyle.Primary).setDisabled(!actions.add),
    new ButtonBuilder().setCustomId(customId('edit', sessionId)).setLabel('Edit Resource').setStyle(ButtonStyle.Secondary).setDisabled(!actions.edit),
    new ButtonBuilder().setCustomId(customId('remove', sessionId)).setLabel('Remove Resource').setStyle(ButtonStyle.Secondary).setDisabled(!actions.remove),
    new ButtonBuilder().setCustomId(customId('cancel', sessionId)).setLabel('Cancel').setStyle(ButtonStyle.Danger).setDisabled(!actions.cancel),
  );
  const more = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(customId('refresh', sessionId)).setLabel('Refresh').setStyle(ButtonStyle.Secondary).setDisabled(!actions.refresh),
  );
  // Offered only where they apply: a lobby being edited is not one to tear down from.
  if (actions.change) more.addComponents(new ButtonBuilder().setCustomId(customId('change', sessionId)).setLabel('Change').setStyle(ButtonStyle.Primary));
  if (actions.destroy) more.addComponents(new ButtonBuilder().setCustomId(customId('destroy', sessionId)).setLabel('Destroy').setStyle(ButtonStyle.Danger));
  if (actions.withdraw) more.addComponents(new ButtonBuilder().setCustomId(customId('withdraw', sessionId)).setLabel('Withdraw my approval').setStyle(ButtonStyle.Secondary));
  return { embeds: [embed.toJSON()], components: [edits, more], files };
}

/** The approve button: "Approve & Deploy", or "Approve (1/2)" when the project needs more than one approval. */
export function approveLabel(lobby: LobbyModel): string {
  const approvals = lobby.approvals;
  return approvals && approvals.required > 1 ? `Approve (${approvals.given.length}/${approvals.required})` : 'Approve & Deploy';
}

/** A chat message as an embed (lines as description, fields, page in the footer), with its buttons in one row. */
export function renderMessage(message: ChatMessage): { embeds: APIEmbed[]; files: { name: string; attachment: Buffer }[]; components: ActionRowBuilder<ButtonBuilder>[] } {
  const embed = new EmbedBuilder().setColor(COLORS[message.tone]).setDescription(clip(message.lines.join('\n') || '—', LIMITS.embedDescription));
  if (message.title) embed.setTitle(clip(message.title, LIMITS.embedTitle));
  for (const field of (message.fields ?? []).slice(0, LIMITS.fields)) embed.addFields({ name: clip(field.name, 256), value: clip(field.value, LIMITS.fieldValue) });
  if (message.page) embed.setFooter({ text: `Page ${message.page.index} of ${message.page.count}${message.page.index < message.page.count ? ` — use page:${message.page.index + 1} for more` : ''}` });
  const files = message.attachment ? [{ name: message.attachment.name, attachment: Buffer.from(message.attachment.content, 'utf8') }] : [];
  const buttons = (message.buttons ?? []).slice(0, 5).map((button) =>
    new ButtonBuilder().setCustomId(customId(button.action, button.target)).setLabel(clip(button.label, 80)).setStyle(BUTTON_STYLES[button.style]),
  );
  return { embeds: [embed.toJSON()], files, components: buttons.length > 0 ? [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons)] : [] };
}

const BUTTON_STYLES = { primary: ButtonStyle.Primary, secondary: ButtonStyle.Secondary, danger: ButtonStyle.Danger } as const;

/** The select menu of the session provider's resource types (Add Resource). */
export function renderTypeSelect(sessionId: string, types: readonly ResourceType[]): ActionRowBuilder<StringSelectMenuBuilder> {
  const menu = new StringSelectMenuBuilder()
    .setCustomId(customId('type', sessionId))
    .setPlaceholder('Choose a resource type')
    .addOptions(types.slice(0, LIMITS.selectOptions).map((type) => ({ label: clip(type.type, 100), value: type.type, description: clip(type.description, 100) })));
  return new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu);
}

/** A select of the session's resources, for Edit Resource (`edit-pick`) or Remove Resource (`remove-pick`). */
export function renderResourceSelect(
  sessionId: string,
  action: 'edit-pick' | 'remove-pick',
  resources: readonly { readonly name: string; readonly type: string }[],
): ActionRowBuilder<StringSelectMenuBuilder> {
  const menu = new StringSelectMenuBuilder()
    .setCustomId(customId(action, sessionId))
    .setPlaceholder(action === 'edit-pick' ? 'Choose the resource to edit' : 'Choose the resource to remove')
    .addOptions(resources.slice(0, LIMITS.selectOptions).map((resource) => ({ label: clip(resource.name, 100), value: resource.name, description: clip(resource.type, 100) })));
  return new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu);
}

/**
 * The add-resource modal built from the type's fields; `values` refills what
 * the user typed. With `edit` (a resource's name) it is the Edit Resource
 * modal: no name input, `values` its current config. Reference fields name
 * their candidates in the placeholder (`context`: the session's resources):
 * a modal holds text inputs only.
 */
export function renderResourceModal(
  sessionId: string,
  type: ResourceType,
  values: Readonly<Record<string, string>> = {},
  options: { readonly context?: FormContext; readonly edit?: string } = {},
): ModalBuilder {
  const { context, edit } = options;
  const modal = new ModalBuilder()
    .setCustomId(edit === undefined ? customId('modal', sessionId, type.type) : customId('edit-modal', sessionId, edit))
    .setTitle(clip(edit === undefined ? `Add ${type.type}` : `Edit ${edit} (${type.type})`, LIMITS.modalTitle));
  const fields = formFor(type, context).filter((field) => edit === undefined || field.id !== 'name');
  for (const field of fields) {
    const input = new TextInputBuilder()
      .setCustomId(field.id)
      .setLabel(clip(field.label, LIMITS.label))
      .setStyle(field.kind === 'map' ? TextInputStyle.Paragraph : TextInputStyle.Short)
      .setRequired(field.required);
    // An edit never prefills a secret (a session shows none); a refused addition gets back what its author typed.
    const value = field.secret && edit !== undefined ? undefined : (values[field.id] ?? (edit === undefined ? field.defaultValue : undefined));
    if (value !== undefined && value !== '') input.setValue(clip(value, LIMITS.inputValue));
    const placeholder = field.secret && edit !== undefined ? 'secret, never shown: type it again' : field.placeholder;
    if (placeholder) input.setPlaceholder(clip(placeholder, 100));
    modal.addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input));
  }
  return modal;
}
