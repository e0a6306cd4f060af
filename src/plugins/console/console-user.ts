import { userInfo } from 'node:os';

/** The console user's id: `configured` (CLOUD_ENGINE_USER), else the OS user name made id-safe. */
export function consoleUserId(configured: string | undefined): string {
  if (configured) return configured;
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._@:-]/g, '-').slice(0, 64) || 'console';
  } catch {
    return 'console';
  }
}
