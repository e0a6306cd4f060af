import { userInfo } from 'node:os';

/** The console user's id: CLOUD_ENGINE_USER, else the OS user name made id-safe. */
export function consoleUserId(env: Record<string, string | undefined> = process.env): string {
  if (env.CLOUD_ENGINE_USER) return env.CLOUD_ENGINE_USER;
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._@:-]/g, '-').slice(0, 64) || 'console';
  } catch {
    return 'console';
  }
}
