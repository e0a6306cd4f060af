/**
 * Local Discord API emulator for tests: REST (`/api/v10`) + gateway WebSocket on 127.0.0.1.
 *
 *   const emulator = await DiscordEmulator.start();
 *   const guild = emulator.addGuild();
 *   const channel = emulator.addChannel({ guild });
 *   const alice = emulator.addUser({ guild });
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: emulator.apiUrl } });
 *   await client.login(emulator.token);
 *   const run = emulator.slashCommand({ user: alice, channel, name: 'deploy', options: { env: 'prod' } });
 *   expect((await run.response()).type).toBe(4);
 *   expect(emulator.errors).toEqual([]);
 */
export {
  DiscordEmulator,
  InteractionHandle,
  type AttachmentInput,
  type AutocompleteInput,
  type ButtonInput,
  type ChannelInfo,
  type DiscordEmulatorOptions,
  type EmulatedAttachment,
  type EmulatedMessage,
  type EmulatedRevision,
  type EmulatedThread,
  type ErrorRecord,
  type GuildInfo,
  type IdentifyRecord,
  type InteractionResponseRecord,
  type MessageWriteRecord,
  type ModalInput,
  type OptionInput,
  type OverwriteInput,
  type RateLimitOptions,
  type Ref,
  type RequestRecord,
  type RoleInfo,
  type SelectInput,
  type SlashCommandInput,
  type UserInfo,
} from './emulator.js';
export { CloseCode, Intents, PRIVILEGED_INTENTS } from './gateway.js';
export { CallbackTypes, InteractionTypes } from './rest.js';
export { Limits } from './validation.js';
export { MessageFlags } from './world.js';
export type { Json, JsonObject, DiscordErrorBody } from './errors.js';
