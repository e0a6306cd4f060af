import { z } from 'zod';

/** How the bot reaches Discord; from DISCORD_* environment variables. */
export interface DiscordConfig {
  readonly token: string;
  readonly applicationId: string;
  /** Register commands in this guild (instant) rather than globally. */
  readonly guildId?: string;
  /** REST base, e.g. a local emulator's `http://127.0.0.1:PORT/api`. */
  readonly apiUrl?: string;
  /** Register the slash commands when the bot starts. */
  readonly registerOnStart: boolean;
}

/** The discord plugin's configuration; the bot is on once `token` and `applicationId` are both set. */
export const discordSettingsSchema = z.object({
  token: z.string().optional(),
  applicationId: z.string().optional(),
  guildId: z.string().optional(),
  apiUrl: z.string().optional(),
  // As before: 1, true, yes or on (any case) turns it on; any other text leaves it off.
  registerOnStart: z.union([z.boolean(), z.string().transform((text) => /^(1|true|yes|on)$/i.test(text))]).default(false),
});
export type DiscordSettings = z.output<typeof discordSettingsSchema>;

/** Which environment variable feeds which key of the discord plugin's configuration. */
export const DISCORD_ENV = {
  token: 'DISCORD_TOKEN',
  applicationId: 'DISCORD_APPLICATION_ID',
  guildId: 'DISCORD_GUILD_ID',
  apiUrl: 'DISCORD_API_URL',
  registerOnStart: 'DISCORD_REGISTER_COMMANDS',
} as const;

/** The bot's configuration, or undefined when the token or the application id is missing. */
export function discordConfigOf(settings: DiscordSettings): DiscordConfig | undefined {
  if (!settings.token || !settings.applicationId) return undefined;
  return {
    token: settings.token,
    applicationId: settings.applicationId,
    guildId: settings.guildId || undefined,
    apiUrl: settings.apiUrl || undefined,
    registerOnStart: settings.registerOnStart,
  };
}

/** The same, read from DISCORD_* variables (for `cloud-engine register-commands`, which starts no bot). */
export function discordConfigFromEnv(env: Readonly<Record<string, string | undefined>>): DiscordConfig | undefined {
  const raw = Object.fromEntries(Object.entries(DISCORD_ENV).map(([key, name]) => [key, env[name] || undefined]));
  return discordConfigOf(discordSettingsSchema.parse(raw));
}
