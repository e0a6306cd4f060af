/**
 * Application command validation and normalisation for the bulk-overwrite / create endpoints.
 * The stored (normalised) definitions drive how the emulator types interaction options, so an
 * adapter that registers `amount` as STRING really receives a string, as it would on Discord.
 */
import { FormErrors, Invalid, type Json, type JsonObject, type PathSegment } from './errors.js';
import { checkString, isObject, len, validateChoiceValue } from './validation.js';

export const OptionTypes = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

export const CommandTypes = { ChatInput: 1, User: 2, Message: 3, PrimaryEntryPoint: 4 } as const;

// Discord's documented CHAT_INPUT name pattern (the `^[-_a-z0-9]{1,32}$` ASCII subset is what
// most bots use); names must also equal their lowercase form.
const CHAT_INPUT_NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

const CHOICE_TYPES: ReadonlySet<number> = new Set([3, 4, 10]);

function checkName(errors: FormErrors, path: PathSegment[], name: unknown, chatInput: boolean): name is string {
  if (typeof name !== 'string' || name.length === 0) {
    errors.add(path, ...Invalid.required());
    return false;
  }
  if (chatInput) {
    if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
      errors.add(path, ...Invalid.commandName());
      return false;
    }
  } else if (len(name) > 32) {
    errors.add(path, ...Invalid.badLength(1, 32));
    return false;
  }
  return true;
}

interface SizeCounter {
  chars: number;
}

function validateOptions(
  errors: FormErrors,
  path: PathSegment[],
  options: unknown,
  level: 'command' | 'subcommand' | 'group',
  size: SizeCounter,
): void {
  if (options === undefined || options === null) return;
  if (!Array.isArray(options)) {
    errors.add(path, ...Invalid.array());
    return;
  }
  if (options.length > 25) errors.add(path, ...Invalid.maxLength(25));
  const names = new Set<string>();
  let seenOptional = false;
  let hasSub = false;
  let hasValue = false;
  options.forEach((opt, i) => {
    const p: PathSegment[] = [...path, i];
    if (!isObject(opt)) {
      errors.add(p, ...Invalid.object());
      return;
    }
    const type = opt.type;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 1 || type > 11) {
      errors.add([...p, 'type'], ...Invalid.choices([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
      return;
    }
    if (checkName(errors, [...p, 'name'], opt.name, true)) {
      if (names.has(opt.name)) errors.add([...p, 'name'], ...Invalid.duplicateOptionName());
      names.add(opt.name);
      size.chars += len(opt.name);
    }
    if (checkString(errors, [...p, 'description'], opt.description, { min: 1, max: 100, required: true })) {
      size.chars += len(opt.description);
    }
    const isSub = type === OptionTypes.Subcommand || type === OptionTypes.SubcommandGroup;
    if (isSub) hasSub = true;
    else hasValue = true;
    if (level === 'group' && type !== OptionTypes.Subcommand) {
      errors.add([...p, 'type'], ...Invalid.choices([OptionTypes.Subcommand]));
    }
    if (level === 'subcommand' && isSub) errors.add([...p, 'type'], ...Invalid.subcommandMix());

    if (isSub) {
      if (opt.required) errors.add([...p, 'required'], 'APPLICATION_COMMAND_OPTION_REQUIRED_INVALID', 'Sub-commands and groups cannot be required');
      validateOptions(errors, [...p, 'options'], opt.options, type === OptionTypes.SubcommandGroup ? 'group' : 'subcommand', size);
      return;
    }
    if (opt.options !== undefined) errors.add([...p, 'options'], ...Invalid.subcommandMix());
    if (opt.required !== undefined && typeof opt.required !== 'boolean') errors.add([...p, 'required'], ...Invalid.bool(opt.required));
    if (opt.required === true) {
      if (seenOptional) errors.add([...p, 'required'], ...Invalid.optionsOrder());
    } else seenOptional = true;

    if (opt.choices !== undefined && opt.choices !== null) {
      if (!CHOICE_TYPES.has(type)) errors.add([...p, 'choices'], 'APPLICATION_COMMAND_OPTION_CHOICES_INVALID', 'Choices are only allowed for STRING, INTEGER and NUMBER options');
      else if (!Array.isArray(opt.choices)) errors.add([...p, 'choices'], ...Invalid.array());
      else {
        if (opt.choices.length > 25) errors.add([...p, 'choices'], ...Invalid.maxLength(25));
        opt.choices.forEach((c, j) => {
          const cp: PathSegment[] = [...p, 'choices', j];
          if (!isObject(c)) {
            errors.add(cp, ...Invalid.object());
            return;
          }
          if (checkString(errors, [...cp, 'name'], c.name, { min: 1, max: 100, required: true })) size.chars += len(c.name);
          validateChoiceValue(errors, [...cp, 'value'], c.value, type);
          if (typeof c.value === 'string') size.chars += len(c.value);
        });
        if (opt.autocomplete === true && opt.choices.length > 0) errors.add([...p, 'autocomplete'], ...Invalid.autocompleteWithChoices());
      }
    }
    if (opt.autocomplete !== undefined && opt.autocomplete !== false && !CHOICE_TYPES.has(type)) {
      errors.add([...p, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID', 'Autocomplete is only allowed for STRING, INTEGER and NUMBER options');
    }
    for (const key of ['min_value', 'max_value'] as const) {
      const v = opt[key];
      if (v === undefined || v === null) continue;
      if (type !== OptionTypes.Integer && type !== OptionTypes.Number) errors.add([...p, key], 'APPLICATION_COMMAND_OPTION_INVALID', `${key} is only allowed for INTEGER and NUMBER options`);
      else if (typeof v !== 'number' || (type === OptionTypes.Integer && !Number.isInteger(v))) errors.add([...p, key], ...Invalid.number(v));
    }
    if (typeof opt.min_value === 'number' && typeof opt.max_value === 'number' && opt.min_value > opt.max_value) {
      errors.add([...p, 'min_value'], 'APPLICATION_COMMAND_OPTION_INVALID', 'min_value must be less than or equal to max_value');
    }
    for (const [key, min] of [['min_length', 0], ['max_length', 1]] as const) {
      const v = opt[key];
      if (v === undefined || v === null) continue;
      if (type !== OptionTypes.String) errors.add([...p, key], 'APPLICATION_COMMAND_OPTION_INVALID', `${key} is only allowed for STRING options`);
      else if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 6000) errors.add([...p, key], ...Invalid.badLength(min, 6000));
    }
    if (opt.channel_types !== undefined && opt.channel_types !== null && type !== OptionTypes.Channel) {
      errors.add([...p, 'channel_types'], 'APPLICATION_COMMAND_OPTION_INVALID', 'channel_types is only allowed for CHANNEL options');
    }
  });
  if (hasSub && hasValue) errors.add(path, ...Invalid.subcommandMix());
}

/** Validates one command object; `path` is `[]` for single create and `[index]` for bulk. */
export function validateCommand(errors: FormErrors, path: PathSegment[], cmd: unknown): void {
  if (!isObject(cmd)) {
    errors.add(path, ...Invalid.object());
    return;
  }
  const type = cmd.type ?? CommandTypes.ChatInput;
  if (typeof type !== 'number' || ![1, 2, 3, 4].includes(type)) {
    errors.add([...path, 'type'], ...Invalid.choices([1, 2, 3, 4]));
    return;
  }
  const chatInput = type === CommandTypes.ChatInput;
  const size: SizeCounter = { chars: 0 };
  if (checkName(errors, [...path, 'name'], cmd.name, chatInput)) size.chars += len(cmd.name);
  if (chatInput) {
    if (checkString(errors, [...path, 'description'], cmd.description, { min: 1, max: 100, required: true })) {
      size.chars += len(cmd.description);
    }
    validateOptions(errors, [...path, 'options'], cmd.options, 'command', size);
  } else {
    if (typeof cmd.description === 'string' && cmd.description !== '') {
      errors.add([...path, 'description'], 'APPLICATION_COMMAND_INVALID_DESCRIPTION', 'Context menu commands cannot have a description');
    }
    if (Array.isArray(cmd.options) && cmd.options.length > 0) {
      errors.add([...path, 'options'], 'APPLICATION_COMMAND_OPTIONS_INVALID', 'Context menu commands cannot have options');
    }
  }
  if (cmd.default_member_permissions !== undefined && cmd.default_member_permissions !== null) {
    if (typeof cmd.default_member_permissions !== 'string' || !/^\d+$/.test(cmd.default_member_permissions)) {
      errors.add([...path, 'default_member_permissions'], ...Invalid.string(cmd.default_member_permissions));
    }
  }
  for (const [key, allowed] of [['contexts', [0, 1, 2]], ['integration_types', [0, 1]]] as const) {
    const v = cmd[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) errors.add([...path, key], ...Invalid.array());
    else v.forEach((x, i) => {
      if (!(allowed as readonly Json[]).includes(x)) errors.add([...path, key, i], ...Invalid.choices(allowed));
    });
  }
  if (size.chars > 4000) errors.add(path, ...Invalid.commandTooLarge());
}

function normaliseOption(opt: JsonObject): JsonObject {
  const out: JsonObject = { type: opt.type as number, name: opt.name as string };
  if (opt.name_localizations) out.name_localizations = opt.name_localizations;
  out.description = opt.description as string;
  if (opt.description_localizations) out.description_localizations = opt.description_localizations;
  if (opt.required === true) out.required = true;
  for (const key of ['choices', 'channel_types', 'min_value', 'max_value', 'min_length', 'max_length'] as const) {
    if (opt[key] !== undefined && opt[key] !== null) out[key] = structuredClone(opt[key]);
  }
  if (opt.autocomplete === true) out.autocomplete = true;
  if (Array.isArray(opt.options)) out.options = opt.options.filter(isObject).map(normaliseOption);
  return out;
}

/** The command object Discord returns for a registered command. */
export function normaliseCommand(
  cmd: JsonObject,
  ids: { id: string; applicationId: string; version: string; guildId: string | null },
): JsonObject {
  const type = (cmd.type as number | undefined) ?? CommandTypes.ChatInput;
  const out: JsonObject = {
    id: ids.id,
    application_id: ids.applicationId,
    version: ids.version,
    default_member_permissions: (cmd.default_member_permissions as string | null | undefined) ?? null,
    type,
    name: cmd.name as string,
    name_localizations: (cmd.name_localizations as JsonObject | undefined) ?? null,
    description: (cmd.description as string | undefined) ?? '',
    description_localizations: (cmd.description_localizations as JsonObject | undefined) ?? null,
    dm_permission: cmd.dm_permission === false ? false : true,
    contexts: (cmd.contexts as Json[] | undefined) ?? null,
    integration_types: (cmd.integration_types as Json[] | undefined) ?? [0],
    nsfw: cmd.nsfw === true,
  };
  if (ids.guildId) {
    out.guild_id = ids.guildId;
    delete out.dm_permission;
  }
  if (Array.isArray(cmd.options) && cmd.options.length > 0) out.options = cmd.options.filter(isObject).map(normaliseOption);
  return out;
}
