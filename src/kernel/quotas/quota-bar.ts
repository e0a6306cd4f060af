/** The usage bar every adapter shows: `[████████░░] 8/10 (80%)`. */
export function renderQuotaBar(used: number, limit: number, width = 10): string {
  const ratio = limit > 0 ? used / limit : used > 0 ? 1 : 0;
  const filled = Math.min(width, Math.max(0, Math.round(ratio * width)));
  const percent = limit > 0 ? Math.round((used / limit) * 100) : used > 0 ? 100 : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${used}/${limit} (${percent}%)`;
}
