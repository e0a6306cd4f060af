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

export function discordConfigFromEnv(env: Record<string, string | undefined> = process.env): DiscordConfig | undefined {
  if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID) return undefined;
  return {
    token: env.DISCORD_TOKEN,
    applicationId: env.DISCORD_APPLICATION_ID,
    guildId: env.DISCORD_GUILD_ID || undefined,
    apiUrl: env.DISCORD_API_URL || undefined,
    registerOnStart: /^(1|true|yes|on)$/i.test(env.DISCORD_REGISTER_COMMANDS ?? ''),
  };
}
