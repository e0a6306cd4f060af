/**
 * Discord's JSON error bodies. @discordjs/rest turns any 4xx into a `DiscordAPIError` whose
 * `code` and message come straight from these bodies, so the shapes must match Discord's:
 * `{ message, code }` for plain errors and `{ message: 'Invalid Form Body', code: 50035, errors }`
 * with a nested `_errors` tree for validation failures.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface DiscordErrorBody {
  message: string;
  /** Absent only on 429 bodies, which carry retry_after/global instead. */
  code?: number;
  errors?: JsonObject;
  retry_after?: number;
  global?: boolean;
}

/** Thrown by route handlers; the HTTP layer turns it into a response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: DiscordErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${body.code}: ${body.message}`);
    this.name = 'ApiError';
  }
}

// Discord's JSON error codes used by the emulator (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
export const ErrorCodes = {
  General: 0,
  UnknownApplication: 10002,
  UnknownChannel: 10003,
  UnknownGuild: 10004,
  UnknownMember: 10007,
  UnknownMessage: 10008,
  UnknownRole: 10011,
  UnknownUser: 10013,
  UnknownWebhook: 10015,
  UnknownInteraction: 10062,
  UnknownApplicationCommand: 10063,
  RequestEntityTooLarge: 40005,
  InteractionAlreadyAcknowledged: 40060,
  MissingAccess: 50001,
  CannotEditAnotherUsersMessage: 50005,
  CannotSendEmptyMessage: 50006,
  CannotSendMessagesToThisUser: 50007,
  CannotSendMessagesInNonTextChannel: 50008,
  InvalidWebhookToken: 50027,
  InvalidFormBody: 50035,
  MissingPermissions: 50013,
  ThreadArchived: 50083,
  InvalidJson: 50109,
  ThreadAlreadyCreatedForMessage: 160004,
} as const;

export const apiErrors = {
  unauthorized: () => new ApiError(401, { message: '401: Unauthorized', code: ErrorCodes.General }),
  notFound: () => new ApiError(404, { message: '404: Not Found', code: ErrorCodes.General }),
  methodNotAllowed: () => new ApiError(405, { message: '405: Method Not Allowed', code: ErrorCodes.General }),
  unknownChannel: () => new ApiError(404, { message: 'Unknown Channel', code: ErrorCodes.UnknownChannel }),
  unknownGuild: () => new ApiError(404, { message: 'Unknown Guild', code: ErrorCodes.UnknownGuild }),
  unknownMember: () => new ApiError(404, { message: 'Unknown Member', code: ErrorCodes.UnknownMember }),
  unknownMessage: () => new ApiError(404, { message: 'Unknown Message', code: ErrorCodes.UnknownMessage }),
  unknownUser: () => new ApiError(404, { message: 'Unknown User', code: ErrorCodes.UnknownUser }),
  unknownWebhook: () => new ApiError(404, { message: 'Unknown Webhook', code: ErrorCodes.UnknownWebhook }),
  unknownInteraction: () => new ApiError(404, { message: 'Unknown interaction', code: ErrorCodes.UnknownInteraction }),
  unknownCommand: () =>
    new ApiError(404, { message: 'Unknown application command', code: ErrorCodes.UnknownApplicationCommand }),
  alreadyAcknowledged: () =>
    new ApiError(400, {
      message: 'Interaction has already been acknowledged.',
      code: ErrorCodes.InteractionAlreadyAcknowledged,
    }),
  invalidWebhookToken: () =>
    new ApiError(401, { message: 'Invalid Webhook Token', code: ErrorCodes.InvalidWebhookToken }),
  missingAccess: () => new ApiError(403, { message: 'Missing Access', code: ErrorCodes.MissingAccess }),
  cannotSendMessagesToThisUser: () => new ApiError(403, { message: 'Cannot send messages to this user', code: ErrorCodes.CannotSendMessagesToThisUser }),
  missingPermissions: () => new ApiError(403, { message: 'Missing Permissions', code: ErrorCodes.MissingPermissions }),
  emptyMessage: () => new ApiError(400, { message: 'Cannot send an empty message', code: ErrorCodes.CannotSendEmptyMessage }),
  nonTextChannel: () =>
    new ApiError(400, {
      message: 'Cannot send messages in a non-text channel',
      code: ErrorCodes.CannotSendMessagesInNonTextChannel,
    }),
  anotherUsersMessage: () =>
    new ApiError(403, {
      message: 'Cannot edit a message authored by another user',
      code: ErrorCodes.CannotEditAnotherUsersMessage,
    }),
  threadArchived: () =>
    new ApiError(400, { message: 'Thread is archived', code: ErrorCodes.ThreadArchived }),
  threadAlreadyCreated: () =>
    new ApiError(400, {
      message: 'A thread has already been created for this message',
      code: ErrorCodes.ThreadAlreadyCreatedForMessage,
    }),
  invalidJson: () =>
    new ApiError(400, { message: 'The request body contains invalid JSON.', code: ErrorCodes.InvalidJson }),
  tooLarge: () => new ApiError(413, { message: 'Request entity too large', code: ErrorCodes.RequestEntityTooLarge }),
};

export type PathSegment = string | number;

/**
 * Collects field errors and renders them as Discord's nested `_errors` tree:
 * `embeds[0].title` → `{ embeds: { '0': { title: { _errors: [{ code, message }] } } } }`.
 */
export class FormErrors {
  private readonly entries: Array<{ path: PathSegment[]; code: string; message: string }> = [];

  add(path: PathSegment[], code: string, message: string): void {
    this.entries.push({ path, code, message });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Flat `path: message` list, handy in assertion messages. */
  describe(): string[] {
    return this.entries.map((e) => `${formatPath(e.path)}: ${e.message}`);
  }

  toJSON(): JsonObject {
    const root: JsonObject = {};
    for (const { path, code, message } of this.entries) {
      let node = root;
      for (const segment of path) {
        const key = String(segment);
        const next = node[key];
        if (next && typeof next === 'object' && !Array.isArray(next)) {
          node = next;
        } else {
          const created: JsonObject = {};
          node[key] = created;
          node = created;
        }
      }
      const list = (node._errors as Json[] | undefined) ?? [];
      list.push({ code, message });
      node._errors = list;
    }
    return root;
  }

  /** The same errors nested under `prefix` (interaction callbacks report `data.embeds[0]...`). */
  withPrefix(prefix: PathSegment[]): FormErrors {
    const out = new FormErrors();
    for (const e of this.entries) out.add([...prefix, ...e.path], e.code, e.message);
    return out;
  }

  /** Throws Discord's 50035 if anything was collected. */
  throwIfAny(): void {
    if (this.entries.length === 0) return;
    throw new ApiError(400, { message: 'Invalid Form Body', code: ErrorCodes.InvalidFormBody, errors: this.toJSON() });
  }
}

export function formatPath(path: PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

// Discord's validation error codes/messages, as they appear in real 50035 bodies.
export const Invalid = {
  maxLength: (max: number) => ['BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`] as const,
  minLength: (min: number) => ['BASE_TYPE_MIN_LENGTH', `Must be ${min} or more in length.`] as const,
  badLength: (min: number, max: number) => ['BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`] as const,
  required: () => ['BASE_TYPE_REQUIRED', 'This field is required'] as const,
  choices: (choices: readonly (string | number)[]) =>
    ['BASE_TYPE_CHOICES', `Value must be one of {${choices.map((c) => (typeof c === 'string' ? `'${c}'` : c)).join(', ')}}.`] as const,
  string: (value: unknown) => ['BASE_TYPE_STRING', `Could not interpret "${String(value)}" as string.`] as const,
  number: (value: unknown) => ['NUMBER_TYPE_COERCE', `Value "${String(value)}" is not int.`] as const,
  float: (value: unknown) => ['NUMBER_TYPE_COERCE', `Value "${String(value)}" is not a valid number.`] as const,
  bool: (value: unknown) => ['BOOLEAN_TYPE_COERCE', `Value "${String(value)}" is not a valid boolean.`] as const,
  array: () => ['LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType'] as const,
  object: () => ['MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType'] as const,
  numberMax: (max: number) => ['NUMBER_TYPE_MAX', `int value should be less than or equal to ${max}.`] as const,
  numberMin: (min: number) => ['NUMBER_TYPE_MIN', `int value should be greater than or equal to ${min}.`] as const,
  embedSize: () => ['MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000'] as const,
  componentWidth: () => ['COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width'] as const,
  componentType: () => ['UNION_TYPE_CHOICES', 'The specified component type is invalid in this context'] as const,
  duplicateCustomId: () => ['COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated'] as const,
  commandName: () => ['APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid'] as const,
  optionName: () => ['APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid'] as const,
  duplicateCommandName: () => ['APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique'] as const,
  duplicateOptionName: () =>
    ['APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS', 'Option name already exists in this command'] as const,
  optionsOrder: () =>
    ['APPLICATION_COMMAND_OPTIONS_ORDER_INVALID', 'Required options must be placed before non-required options'] as const,
  commandTooLarge: () => ['APPLICATION_COMMAND_TOO_LARGE', 'Command exceeds maximum size (4000)'] as const,
  autocompleteWithChoices: () =>
    ['AUTOCOMPLETE_AND_CHOICES_ARE_MUTUALLY_EXCLUSIVE', 'Autocomplete cannot be set on options with choices'] as const,
  subcommandMix: () =>
    ['APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Sub-command and sub-command group option types are mutually exclusive to all other types'] as const,
  componentsV2Content: () =>
    ['MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', 'The \'content\', \'embeds\', \'stickers\', and \'poll\' fields cannot be used when flags is set to include IS_COMPONENTS_V2'] as const,
};
