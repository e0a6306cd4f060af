/**
 * Request-body validation with Discord's limits and error paths.
 *
 * Every check here corresponds to a 400 Discord really returns; the point is that a bot which
 * passes against the emulator does not fail in production with "Invalid Form Body". Checks that
 * discord.js's builders already perform client-side are still repeated, because the adapter may
 * send raw objects instead of builders.
 */
import { FormErrors, Invalid, type Json, type JsonObject, type PathSegment } from './errors.js';
import { MessageFlags } from './world.js';

export const Limits = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooter: 2048,
  embedAuthorName: 256,
  embedTotal: 6000,
  actionRows: 5,
  rowButtons: 5,
  customId: 100,
  buttonLabel: 80,
  selectPlaceholder: 150,
  selectOptions: 25,
  selectOptionText: 100,
  modalTitle: 45,
  modalComponents: 5,
  textInputLabel: 45,
  textInputValue: 4000,
  textInputPlaceholder: 100,
  labelDescription: 100,
  attachments: 10,
  nonce: 25,
  v2Components: 40,
  v2TextChars: 4000,
  threadName: 100,
  autocompleteChoices: 25,
} as const;

export const AUTO_ARCHIVE_DURATIONS = [60, 1440, 4320, 10080] as const;

/** Discord measures lengths in Unicode code points, not UTF-16 units. */
export function len(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkString(
  errors: FormErrors,
  path: PathSegment[],
  value: unknown,
  opts: { min?: number; max: number; required?: boolean },
): value is string {
  if (value === undefined || value === null) {
    if (opts.required) errors.add(path, ...Invalid.required());
    return false;
  }
  if (typeof value !== 'string') {
    errors.add(path, ...Invalid.string(value));
    return false;
  }
  const n = len(value);
  const min = opts.min ?? 0;
  if (opts.required && n === 0 && min <= 1) {
    errors.add(path, ...Invalid.required());
    return false;
  }
  if (n > opts.max || n < min) {
    if (min > 0) errors.add(path, ...Invalid.badLength(min, opts.max));
    else errors.add(path, ...Invalid.maxLength(opts.max));
    return false;
  }
  return true;
}

function checkInt(
  errors: FormErrors,
  path: PathSegment[],
  value: unknown,
  opts: { min?: number; max?: number; required?: boolean },
): value is number {
  if (value === undefined || value === null) {
    if (opts.required) errors.add(path, ...Invalid.required());
    return false;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.add(path, ...Invalid.number(value));
    return false;
  }
  if (opts.min !== undefined && value < opts.min) {
    errors.add(path, ...Invalid.numberMin(opts.min));
    return false;
  }
  if (opts.max !== undefined && value > opts.max) {
    errors.add(path, ...Invalid.numberMax(opts.max));
    return false;
  }
  return true;
}

/** Enum-valued fields (styles, types) fail with BASE_TYPE_CHOICES like Discord's. */
function checkEnum(errors: FormErrors, path: PathSegment[], value: unknown, allowed: readonly number[]): value is number {
  if (value === undefined || value === null) {
    errors.add(path, ...Invalid.required());
    return false;
  }
  if (typeof value !== 'number' || !allowed.includes(value)) {
    errors.add(path, ...Invalid.choices(allowed));
    return false;
  }
  return true;
}

function checkBool(errors: FormErrors, path: PathSegment[], value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== 'boolean') errors.add(path, ...Invalid.bool(value));
}

function checkUrl(errors: FormErrors, path: PathSegment[], value: unknown, schemes: string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') {
    errors.add(path, ...Invalid.string(value));
    return;
  }
  let scheme: string;
  try {
    scheme = new URL(value).protocol.replace(/:$/, '');
  } catch {
    errors.add(path, 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    return;
  }
  if (!schemes.includes(scheme)) {
    errors.add(
      path,
      'URL_TYPE_INVALID_SCHEME',
      `Scheme "${scheme}" is not supported. Scheme must be one of (${schemes.map((s) => `'${s}'`).join(', ')}).`,
    );
  }
}

// ---- embeds ----------------------------------------------------------------------------------

function embedChars(embed: JsonObject): number {
  let total = 0;
  const add = (v: Json | undefined) => {
    if (typeof v === 'string') total += len(v);
  };
  add(embed.title);
  add(embed.description);
  if (isObject(embed.footer)) add(embed.footer.text);
  if (isObject(embed.author)) add(embed.author.name);
  if (Array.isArray(embed.fields)) {
    for (const f of embed.fields) {
      if (isObject(f)) {
        add(f.name);
        add(f.value);
      }
    }
  }
  return total;
}

export function validateEmbeds(errors: FormErrors, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    errors.add(['embeds'], ...Invalid.array());
    return;
  }
  if (value.length > Limits.embeds) errors.add(['embeds'], ...Invalid.maxLength(Limits.embeds));
  let total = 0;
  value.forEach((embed, i) => {
    const p: PathSegment[] = ['embeds', i];
    if (!isObject(embed)) {
      errors.add(p, ...Invalid.object());
      return;
    }
    checkString(errors, [...p, 'title'], embed.title, { max: Limits.embedTitle });
    checkString(errors, [...p, 'description'], embed.description, { max: Limits.embedDescription });
    checkUrl(errors, [...p, 'url'], embed.url, ['http', 'https']);
    if (embed.timestamp !== undefined && embed.timestamp !== null) {
      if (typeof embed.timestamp !== 'string' || Number.isNaN(Date.parse(embed.timestamp))) {
        errors.add([...p, 'timestamp'], 'DATE_TYPE_PARSE', `Could not parse ${String(embed.timestamp)}. Should be ISO8601.`);
      }
    }
    if (embed.color !== undefined && embed.color !== null) checkInt(errors, [...p, 'color'], embed.color, { min: 0, max: 0xffffff });
    if (embed.footer !== undefined && embed.footer !== null) {
      if (!isObject(embed.footer)) errors.add([...p, 'footer'], ...Invalid.object());
      else {
        checkString(errors, [...p, 'footer', 'text'], embed.footer.text, { max: Limits.embedFooter, required: true });
        checkUrl(errors, [...p, 'footer', 'icon_url'], embed.footer.icon_url, ['http', 'https', 'attachment']);
      }
    }
    if (embed.author !== undefined && embed.author !== null) {
      if (!isObject(embed.author)) errors.add([...p, 'author'], ...Invalid.object());
      else {
        checkString(errors, [...p, 'author', 'name'], embed.author.name, { max: Limits.embedAuthorName, required: true });
        checkUrl(errors, [...p, 'author', 'url'], embed.author.url, ['http', 'https']);
        checkUrl(errors, [...p, 'author', 'icon_url'], embed.author.icon_url, ['http', 'https', 'attachment']);
      }
    }
    for (const key of ['image', 'thumbnail'] as const) {
      const media = embed[key];
      if (media === undefined || media === null) continue;
      if (!isObject(media)) errors.add([...p, key], ...Invalid.object());
      else {
        if (media.url === undefined || media.url === null) errors.add([...p, key, 'url'], ...Invalid.required());
        checkUrl(errors, [...p, key, 'url'], media.url, ['http', 'https', 'attachment']);
      }
    }
    if (embed.fields !== undefined && embed.fields !== null) {
      if (!Array.isArray(embed.fields)) errors.add([...p, 'fields'], ...Invalid.array());
      else {
        if (embed.fields.length > Limits.embedFields) errors.add([...p, 'fields'], ...Invalid.maxLength(Limits.embedFields));
        embed.fields.forEach((field, j) => {
          const fp: PathSegment[] = [...p, 'fields', j];
          if (!isObject(field)) {
            errors.add(fp, ...Invalid.object());
            return;
          }
          checkString(errors, [...fp, 'name'], field.name, { max: Limits.embedFieldName, required: true });
          checkString(errors, [...fp, 'value'], field.value, { max: Limits.embedFieldValue, required: true });
          checkBool(errors, [...fp, 'inline'], field.inline);
        });
      }
    }
    total += embedChars(embed);
  });
  if (total > Limits.embedTotal) errors.add(['embeds'], ...Invalid.embedSize());
}

// ---- message components ----------------------------------------------------------------------

export const ComponentTypes = {
  ActionRow: 1,
  Button: 2,
  StringSelect: 3,
  TextInput: 4,
  UserSelect: 5,
  RoleSelect: 6,
  MentionableSelect: 7,
  ChannelSelect: 8,
  Section: 9,
  TextDisplay: 10,
  Thumbnail: 11,
  MediaGallery: 12,
  File: 13,
  Separator: 14,
  Container: 17,
  Label: 18,
  FileUpload: 19,
} as const;

export const SELECT_TYPES: ReadonlySet<number> = new Set([3, 5, 6, 7, 8]);

interface ComponentContext {
  errors: FormErrors;
  customIds: Map<string, PathSegment[]>;
  count: number;
  textChars: number;
}

function checkCustomId(ctx: ComponentContext, path: PathSegment[], value: unknown): void {
  if (checkString(ctx.errors, path, value, { min: 1, max: Limits.customId, required: true })) {
    if (ctx.customIds.has(value)) ctx.errors.add(path, ...Invalid.duplicateCustomId());
    else ctx.customIds.set(value, path);
  }
}

function validateButton(ctx: ComponentContext, p: PathSegment[], c: JsonObject): void {
  const { errors } = ctx;
  if (!checkEnum(errors, [...p, 'style'], c.style, [1, 2, 3, 4, 5, 6])) return;
  const style = c.style as number;
  if (c.label !== undefined && c.label !== null) checkString(errors, [...p, 'label'], c.label, { max: Limits.buttonLabel });
  checkBool(errors, [...p, 'disabled'], c.disabled);
  if (style === 5) {
    if (c.url === undefined || c.url === null) errors.add([...p, 'url'], ...Invalid.required());
    else checkUrl(errors, [...p, 'url'], c.url, ['http', 'https', 'discord']);
    if (c.custom_id !== undefined) errors.add([...p, 'custom_id'], 'BUTTON_COMPONENT_CUSTOM_ID_ON_LINK', 'A custom id cannot be set on a link button');
  } else if (style === 6) {
    if (c.sku_id === undefined) errors.add([...p, 'sku_id'], ...Invalid.required());
  } else {
    checkCustomId(ctx, [...p, 'custom_id'], c.custom_id);
    if (c.url !== undefined) errors.add([...p, 'url'], 'BUTTON_COMPONENT_URL_ON_NON_LINK', 'A url can only be set on a link button');
  }
  if (style !== 6 && (c.label === undefined || c.label === null || c.label === '') && c.emoji === undefined) {
    errors.add([...p, 'label'], 'BUTTON_COMPONENT_MISSING_LABEL_OR_EMOJI', 'A label or an emoji is required');
  }
}

export function validateSelect(ctx: ComponentContext, p: PathSegment[], c: JsonObject): void {
  const { errors } = ctx;
  checkCustomId(ctx, [...p, 'custom_id'], c.custom_id);
  checkString(errors, [...p, 'placeholder'], c.placeholder, { max: Limits.selectPlaceholder });
  const minOk = c.min_values === undefined || checkInt(errors, [...p, 'min_values'], c.min_values, { min: 0, max: 25 });
  const maxOk = c.max_values === undefined || checkInt(errors, [...p, 'max_values'], c.max_values, { min: 1, max: 25 });
  const min = typeof c.min_values === 'number' ? c.min_values : 1;
  const max = typeof c.max_values === 'number' ? c.max_values : 1;
  if (minOk && maxOk && min > max) {
    errors.add([...p, 'min_values'], 'SELECT_COMPONENT_MIN_VALUES_TOO_LARGE', 'min_values must be less than or equal to max_values');
  }
  checkBool(errors, [...p, 'disabled'], c.disabled);
  if (c.type === ComponentTypes.StringSelect) {
    if (!Array.isArray(c.options)) {
      errors.add([...p, 'options'], ...Invalid.required());
      return;
    }
    if (c.options.length < 1 || c.options.length > Limits.selectOptions) {
      errors.add([...p, 'options'], ...Invalid.badLength(1, Limits.selectOptions));
    }
    if (maxOk && max > c.options.length) {
      errors.add([...p, 'max_values'], ...Invalid.numberMax(c.options.length));
    }
    const values = new Set<string>();
    c.options.forEach((o, i) => {
      const op: PathSegment[] = [...p, 'options', i];
      if (!isObject(o)) {
        errors.add(op, ...Invalid.object());
        return;
      }
      checkString(errors, [...op, 'label'], o.label, { min: 1, max: Limits.selectOptionText, required: true });
      if (checkString(errors, [...op, 'value'], o.value, { min: 1, max: Limits.selectOptionText, required: true })) {
        if (values.has(o.value)) errors.add([...op, 'value'], 'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED', 'Select component option values must be unique');
        values.add(o.value);
      }
      checkString(errors, [...op, 'description'], o.description, { max: Limits.selectOptionText });
      checkBool(errors, [...op, 'default'], o.default);
    });
  } else if (c.options !== undefined) {
    errors.add([...p, 'options'], ...Invalid.componentType());
  }
}

function validateActionRow(ctx: ComponentContext, p: PathSegment[], row: JsonObject): void {
  const { errors } = ctx;
  const children = row.components;
  if (!Array.isArray(children)) {
    errors.add([...p, 'components'], ...Invalid.required());
    return;
  }
  if (children.length < 1 || children.length > Limits.rowButtons) {
    errors.add([...p, 'components'], ...Invalid.badLength(1, Limits.rowButtons));
  }
  let hasSelect = false;
  children.forEach((child, j) => {
    const cp: PathSegment[] = [...p, 'components', j];
    ctx.count++;
    if (!isObject(child)) {
      errors.add(cp, ...Invalid.object());
      return;
    }
    if (child.type === ComponentTypes.Button) validateButton(ctx, cp, child);
    else if (typeof child.type === 'number' && SELECT_TYPES.has(child.type)) {
      hasSelect = true;
      validateSelect(ctx, cp, child);
    } else errors.add([...cp, 'type'], ...Invalid.componentType());
  });
  // A select menu occupies the full width of its row.
  if (hasSelect && children.length > 1) errors.add([...p, 'components'], ...Invalid.componentWidth());
}

const V2_TOP_LEVEL: ReadonlySet<number> = new Set([1, 9, 10, 12, 13, 14, 17]);
const V2_IN_CONTAINER: ReadonlySet<number> = new Set([1, 9, 10, 12, 13, 14]);

function validateV2Component(ctx: ComponentContext, p: PathSegment[], c: unknown, allowed: ReadonlySet<number>): void {
  const { errors } = ctx;
  ctx.count++;
  if (!isObject(c)) {
    errors.add(p, ...Invalid.object());
    return;
  }
  const type = c.type;
  if (typeof type !== 'number' || !allowed.has(type)) {
    errors.add([...p, 'type'], ...Invalid.componentType());
    return;
  }
  switch (type) {
    case ComponentTypes.ActionRow:
      validateActionRow(ctx, p, c);
      break;
    case ComponentTypes.TextDisplay:
      if (checkString(errors, [...p, 'content'], c.content, { min: 1, max: Limits.v2TextChars, required: true })) {
        ctx.textChars += len(c.content);
      }
      break;
    case ComponentTypes.Section: {
      if (!Array.isArray(c.components) || c.components.length < 1 || c.components.length > 3) {
        errors.add([...p, 'components'], ...Invalid.badLength(1, 3));
      } else {
        c.components.forEach((t, i) => validateV2Component(ctx, [...p, 'components', i], t, new Set([10])));
      }
      if (!isObject(c.accessory)) errors.add([...p, 'accessory'], ...Invalid.required());
      else {
        ctx.count++;
        if (c.accessory.type === ComponentTypes.Button) validateButton(ctx, [...p, 'accessory'], c.accessory);
        else if (c.accessory.type !== ComponentTypes.Thumbnail) errors.add([...p, 'accessory', 'type'], ...Invalid.componentType());
      }
      break;
    }
    case ComponentTypes.Container:
      if (!Array.isArray(c.components) || c.components.length < 1) {
        errors.add([...p, 'components'], ...Invalid.required());
      } else {
        c.components.forEach((child, i) => validateV2Component(ctx, [...p, 'components', i], child, V2_IN_CONTAINER));
      }
      if (c.accent_color !== undefined && c.accent_color !== null) {
        checkInt(errors, [...p, 'accent_color'], c.accent_color, { min: 0, max: 0xffffff });
      }
      break;
    case ComponentTypes.MediaGallery:
      if (!Array.isArray(c.items) || c.items.length < 1 || c.items.length > 10) {
        errors.add([...p, 'items'], ...Invalid.badLength(1, 10));
      }
      break;
    case ComponentTypes.File:
      if (!isObject(c.file)) errors.add([...p, 'file'], ...Invalid.required());
      else checkUrl(errors, [...p, 'file', 'url'], c.file.url, ['attachment']);
      break;
    case ComponentTypes.Separator:
      if (c.spacing !== undefined) checkInt(errors, [...p, 'spacing'], c.spacing, { min: 1, max: 2 });
      break;
  }
}

export interface MessageBodyOptions {
  /** Whether EPHEMERAL may be set (interaction responses and follow-ups only). */
  allowEphemeral: boolean;
  /** Edits validate only the fields that are present. */
  edit: boolean;
  /** Flags already on the message (edits) so components-v2 rules apply to the merged result. */
  existingFlags?: number;
}

/** Validates content/embeds/components/flags/attachments metadata of a message body. */
export function validateMessageBody(body: JsonObject, opts: MessageBodyOptions): FormErrors {
  const errors = new FormErrors();
  if (body.content !== undefined && body.content !== null) {
    checkString(errors, ['content'], body.content, { max: Limits.content });
  }
  if (body.nonce !== undefined && body.nonce !== null) {
    if (typeof body.nonce === 'string') checkString(errors, ['nonce'], body.nonce, { max: Limits.nonce });
    else if (typeof body.nonce !== 'number' || !Number.isInteger(body.nonce)) errors.add(['nonce'], ...Invalid.string(body.nonce));
  }
  checkBool(errors, ['tts'], body.tts);
  validateEmbeds(errors, body.embeds);

  const existing = opts.existingFlags ?? 0;
  let flags = existing;
  if (body.flags !== undefined && body.flags !== null && checkInt(errors, ['flags'], body.flags, { min: 0 })) {
    const requested = body.flags as number;
    if (opts.edit && existing & MessageFlags.IsComponentsV2 && !(requested & MessageFlags.IsComponentsV2)) {
      errors.add(['flags'], 'MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG', 'Cannot remove the IS_COMPONENTS_V2 flag from a message');
    }
    flags = requested | (existing & MessageFlags.IsComponentsV2);
  }
  const v2 = (flags & MessageFlags.IsComponentsV2) !== 0;

  if (body.components !== undefined && body.components !== null) {
    const ctx: ComponentContext = { errors, customIds: new Map(), count: 0, textChars: 0 };
    if (!Array.isArray(body.components)) errors.add(['components'], ...Invalid.array());
    else if (v2) {
      body.components.forEach((c, i) => validateV2Component(ctx, ['components', i], c, V2_TOP_LEVEL));
      if (ctx.count > Limits.v2Components) errors.add(['components'], 'COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED', `Must be ${Limits.v2Components} or fewer in total.`);
      if (ctx.textChars > Limits.v2TextChars) errors.add(['components'], 'COMPONENT_MAX_TOTAL_TEXT_EXCEEDED', `Total text display content must be ${Limits.v2TextChars} or fewer characters.`);
    } else {
      if (body.components.length > Limits.actionRows) errors.add(['components'], ...Invalid.maxLength(Limits.actionRows));
      body.components.forEach((row, i) => {
        const p: PathSegment[] = ['components', i];
        if (!isObject(row)) errors.add(p, ...Invalid.object());
        else if (row.type !== ComponentTypes.ActionRow) errors.add([...p, 'type'], ...Invalid.componentType());
        else validateActionRow(ctx, p, row);
      });
    }
  }
  if (v2) {
    const hasContent = typeof body.content === 'string' && body.content.length > 0;
    const hasEmbeds = Array.isArray(body.embeds) && body.embeds.length > 0;
    if (hasContent) errors.add(['content'], ...Invalid.componentsV2Content());
    if (hasEmbeds) errors.add(['embeds'], ...Invalid.componentsV2Content());
  }

  if (body.allowed_mentions !== undefined && body.allowed_mentions !== null) {
    const am = body.allowed_mentions;
    if (!isObject(am)) errors.add(['allowed_mentions'], ...Invalid.object());
    else {
      if (am.parse !== undefined) {
        if (!Array.isArray(am.parse)) errors.add(['allowed_mentions', 'parse'], ...Invalid.array());
        else {
          am.parse.forEach((v, i) => {
            if (v !== 'users' && v !== 'roles' && v !== 'everyone') {
              errors.add(['allowed_mentions', 'parse', i], ...Invalid.choices(['users', 'roles', 'everyone']));
            }
          });
          for (const key of ['users', 'roles'] as const) {
            if (am.parse.includes(key) && Array.isArray(am[key]) && (am[key] as Json[]).length > 0) {
              errors.add(['allowed_mentions'], 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE', `parse:["${key}"] and ${key}: [ids...] are mutually exclusive.`);
            }
          }
        }
      }
      for (const key of ['users', 'roles'] as const) {
        const list = am[key];
        if (list !== undefined && (!Array.isArray(list) || list.length > 100)) errors.add(['allowed_mentions', key], ...Invalid.maxLength(100));
      }
    }
  }

  if (body.attachments !== undefined && body.attachments !== null) {
    if (!Array.isArray(body.attachments)) errors.add(['attachments'], ...Invalid.array());
    else {
      if (body.attachments.length > Limits.attachments) errors.add(['attachments'], ...Invalid.maxLength(Limits.attachments));
      body.attachments.forEach((a, i) => {
        if (!isObject(a)) errors.add(['attachments', i], ...Invalid.object());
        else {
          if (a.id === undefined || a.id === null) errors.add(['attachments', i, 'id'], ...Invalid.required());
          checkString(errors, ['attachments', i, 'description'], a.description, { max: 1024 });
        }
      });
    }
  }
  if (body.sticker_ids !== undefined && body.sticker_ids !== null) {
    if (!Array.isArray(body.sticker_ids) || body.sticker_ids.length > 3) errors.add(['sticker_ids'], ...Invalid.maxLength(3));
  }
  void opts.allowEphemeral;
  return errors;
}

/** Interactive custom ids present on a stored message (used to simulate clicks). */
export function findComponent(components: JsonObject[], customId: string): JsonObject | undefined {
  const stack: Json[] = [...components];
  while (stack.length) {
    const c = stack.shift();
    if (!isObject(c)) continue;
    if (c.custom_id === customId) return c;
    if (Array.isArray(c.components)) stack.push(...c.components);
    if (isObject(c.accessory)) stack.push(c.accessory);
    if (isObject(c.component)) stack.push(c.component);
  }
  return undefined;
}

/**
 * Discord assigns a sequential numeric `id` to every component that has none; bots see them
 * on the returned message, and modal submits echo them back.
 */
export function assignComponentIds(components: JsonObject[]): JsonObject[] {
  const used = new Set<number>();
  const walk = (c: Json, visit: (o: JsonObject) => void) => {
    if (!isObject(c)) return;
    visit(c);
    if (Array.isArray(c.components)) c.components.forEach((x) => walk(x, visit));
    if (isObject(c.accessory)) walk(c.accessory, visit);
    if (isObject(c.component)) walk(c.component, visit);
  };
  const cloned = structuredClone(components);
  cloned.forEach((c) => walk(c, (o) => typeof o.id === 'number' && used.add(o.id)));
  let next = 1;
  cloned.forEach((c) =>
    walk(c, (o) => {
      if (typeof o.id !== 'number') {
        while (used.has(next)) next++;
        o.id = next;
        used.add(next);
      }
    }),
  );
  return cloned;
}

// ---- modals ----------------------------------------------------------------------------------

function validateTextInput(ctx: ComponentContext, p: PathSegment[], c: JsonObject, inLabel: boolean): void {
  const { errors } = ctx;
  checkCustomId(ctx, [...p, 'custom_id'], c.custom_id);
  checkEnum(errors, [...p, 'style'], c.style, [1, 2]);
  if (inLabel) {
    // Inside a Label the label text lives on the Label component.
    if (c.label !== undefined && c.label !== null) checkString(errors, [...p, 'label'], c.label, { max: Limits.textInputLabel });
  } else {
    checkString(errors, [...p, 'label'], c.label, { min: 1, max: Limits.textInputLabel, required: true });
  }
  const minOk = c.min_length === undefined || c.min_length === null || checkInt(errors, [...p, 'min_length'], c.min_length, { min: 0, max: Limits.textInputValue });
  const maxOk = c.max_length === undefined || c.max_length === null || checkInt(errors, [...p, 'max_length'], c.max_length, { min: 1, max: Limits.textInputValue });
  if (minOk && maxOk && typeof c.min_length === 'number' && typeof c.max_length === 'number' && c.min_length > c.max_length) {
    errors.add([...p, 'min_length'], 'TEXT_INPUT_MIN_LENGTH_TOO_LARGE', 'min_length must be less than or equal to max_length');
  }
  checkBool(errors, [...p, 'required'], c.required);
  if (c.value !== undefined && c.value !== null) {
    const max = typeof c.max_length === 'number' ? c.max_length : Limits.textInputValue;
    checkString(errors, [...p, 'value'], c.value, { max });
  }
  checkString(errors, [...p, 'placeholder'], c.placeholder, { max: Limits.textInputPlaceholder });
}

export function validateModal(data: unknown): FormErrors {
  const errors = new FormErrors();
  if (!isObject(data)) {
    errors.add(['data'], ...Invalid.required());
    return errors;
  }
  const ctx: ComponentContext = { errors, customIds: new Map(), count: 0, textChars: 0 };
  checkString(errors, ['data', 'custom_id'], data.custom_id, { min: 1, max: Limits.customId, required: true });
  checkString(errors, ['data', 'title'], data.title, { min: 1, max: Limits.modalTitle, required: true });
  const comps = data.components;
  if (!Array.isArray(comps) || comps.length < 1 || comps.length > Limits.modalComponents) {
    errors.add(['data', 'components'], ...Invalid.badLength(1, Limits.modalComponents));
    return errors;
  }
  let interactive = 0;
  comps.forEach((c, i) => {
    const p: PathSegment[] = ['data', 'components', i];
    if (!isObject(c)) {
      errors.add(p, ...Invalid.object());
      return;
    }
    if (c.type === ComponentTypes.ActionRow) {
      const children = c.components;
      if (!Array.isArray(children) || children.length !== 1) {
        errors.add([...p, 'components'], ...Invalid.badLength(1, 1));
        return;
      }
      const child = children[0];
      if (!isObject(child) || child.type !== ComponentTypes.TextInput) {
        errors.add([...p, 'components', 0, 'type'], ...Invalid.componentType());
        return;
      }
      interactive++;
      validateTextInput(ctx, [...p, 'components', 0], child, false);
    } else if (c.type === ComponentTypes.Label) {
      checkString(errors, [...p, 'label'], c.label, { min: 1, max: Limits.textInputLabel, required: true });
      checkString(errors, [...p, 'description'], c.description, { max: Limits.labelDescription });
      const inner = c.component;
      if (!isObject(inner)) {
        errors.add([...p, 'component'], ...Invalid.required());
        return;
      }
      interactive++;
      if (inner.type === ComponentTypes.TextInput) validateTextInput(ctx, [...p, 'component'], inner, true);
      else if (typeof inner.type === 'number' && SELECT_TYPES.has(inner.type)) validateSelect(ctx, [...p, 'component'], inner);
      else if (inner.type === ComponentTypes.FileUpload) checkCustomId(ctx, [...p, 'component', 'custom_id'], inner.custom_id);
      else errors.add([...p, 'component', 'type'], ...Invalid.componentType());
    } else if (c.type === ComponentTypes.TextDisplay) {
      checkString(errors, [...p, 'content'], c.content, { min: 1, max: Limits.v2TextChars, required: true });
    } else {
      errors.add([...p, 'type'], ...Invalid.componentType());
    }
  });
  if (interactive === 0) errors.add(['data', 'components'], 'MODAL_REQUIRES_INTERACTIVE_COMPONENT', 'A modal must contain at least one interactive component');
  return errors;
}

// ---- threads ---------------------------------------------------------------------------------

export function validateThreadBody(body: JsonObject, allowType: boolean): FormErrors {
  const errors = new FormErrors();
  checkString(errors, ['name'], body.name, { min: 1, max: Limits.threadName, required: true });
  if (body.auto_archive_duration !== undefined && body.auto_archive_duration !== null) {
    if (!AUTO_ARCHIVE_DURATIONS.includes(body.auto_archive_duration as (typeof AUTO_ARCHIVE_DURATIONS)[number])) {
      errors.add(['auto_archive_duration'], ...Invalid.choices(AUTO_ARCHIVE_DURATIONS));
    }
  }
  if (body.rate_limit_per_user !== undefined && body.rate_limit_per_user !== null) {
    checkInt(errors, ['rate_limit_per_user'], body.rate_limit_per_user, { min: 0, max: 21600 });
  }
  if (allowType && body.type !== undefined && body.type !== null && ![10, 11, 12].includes(body.type as number)) {
    errors.add(['type'], ...Invalid.choices([10, 11, 12]));
  }
  checkBool(errors, ['invitable'], body.invitable);
  return errors;
}

// ---- autocomplete ----------------------------------------------------------------------------

export function validateAutocompleteResult(data: unknown, optionType: number): FormErrors {
  const errors = new FormErrors();
  if (!isObject(data)) {
    errors.add(['data'], ...Invalid.required());
    return errors;
  }
  const choices = data.choices;
  if (!Array.isArray(choices)) {
    errors.add(['data', 'choices'], ...Invalid.required());
    return errors;
  }
  if (choices.length > Limits.autocompleteChoices) errors.add(['data', 'choices'], ...Invalid.maxLength(Limits.autocompleteChoices));
  choices.forEach((c, i) => {
    const p: PathSegment[] = ['data', 'choices', i];
    if (!isObject(c)) {
      errors.add(p, ...Invalid.object());
      return;
    }
    checkString(errors, [...p, 'name'], c.name, { min: 1, max: 100, required: true });
    validateChoiceValue(errors, [...p, 'value'], c.value, optionType);
  });
  return errors;
}

/** A choice value must match the option's type: STRING → string ≤ 100, INTEGER → int, NUMBER → float. */
export function validateChoiceValue(errors: FormErrors, path: PathSegment[], value: unknown, optionType: number): void {
  if (value === undefined || value === null) {
    errors.add(path, ...Invalid.required());
    return;
  }
  if (optionType === 3) checkString(errors, path, value, { max: 100 });
  else if (optionType === 4) {
    if (typeof value !== 'number' || !Number.isInteger(value)) errors.add(path, ...Invalid.number(value));
  } else if (optionType === 10) {
    if (typeof value !== 'number' || !Number.isFinite(value)) errors.add(path, ...Invalid.float(value));
  }
}
