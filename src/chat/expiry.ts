import type { KernelEventMap } from '../kernel/events/kernel-events.js';
import type { DueAction } from '../kernel/lifecycle/lifecycle-service.js';

/** A time left as people read it: "3 h 20 min", "2 d 4 h", "45 s". */
export function formatRemaining(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return rest > 0 ? `${hours} h ${rest} min` : `${hours} h`;
  return `${rest} min`;
}

/** "expires in 3 h 20 min", "expiry due now (being torn down)", or null when it does not expire. */
export function expiryText(expiresAt: Date | null, now: Date): string | null {
  if (!expiresAt) return null;
  const left = expiresAt.getTime() - now.getTime();
  return left > 0 ? `expires in ${formatRemaining(left)}` : 'expiry due now (being torn down)';
}

/** A due lifecycle action (reminder, expiry, scheduled drift check) as a `/cloud-stats` line: "2026-12-07T01:00:00Z · reminder (1h before) · deployment d1 (sandbox)". */
export function dueActionLine(action: DueAction): string {
  const what =
    action.kind === 'reminder'
      ? `reminder (${action.before} before expiry)`
      : action.kind === 'drift'
        ? 'drift check'
        : `expiry${action.attempts > 0 ? ` (retry ${action.attempts + 1}: ${action.lastError ?? 'failed'})` : ''}`;
  return `${action.dueAt.toISOString()} · ${what} · deployment ${action.deploymentId} (${action.projectId})`;
}

/** What every adapter says when a deployment is about to expire; the buttons (Extend, Destroy now) are the adapter's. */
export function reminderLines(event: KernelEventMap['deployment.expiring']): string[] {
  const lines = [`Deployment ${event.name} (${event.projectId}) expires in ${formatRemaining(event.remaining)}, at ${event.expiresAt.toISOString()}; then Cloud Engine tears it down.`];
  if (event.lateMs > 60_000) lines.push(`(This reminder is ${formatRemaining(event.lateMs)} late.)`);
  return lines;
}

/** The notice that a deployment expired and was torn down. */
export function expiredLine(event: KernelEventMap['deployment.expired']): string {
  return `Deployment ${event.name} (${event.projectId}) expired at ${event.expiresAt.toISOString()} and was torn down by cloud-engine${event.lateMs > 60_000 ? ` (${formatRemaining(event.lateMs)} late)` : ''}.`;
}

/** The notice for admins that an expired deployment's teardown failed and when it is tried again. */
export function expiryFailedLine(event: KernelEventMap['deployment.expiryFailed']): string {
  return `Admins: the teardown of expired deployment ${event.name} (${event.projectId}) failed (attempt ${event.attempts}): ${event.error.slice(0, 500)} — next retry at ${event.retryAt.toISOString()}.`;
}
