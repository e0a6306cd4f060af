import type { JsonObject } from '../persistence/columns.js';
import type { DriftStatus, DriftedResource } from './drift-report.js';

export type { DriftAttribute, DriftStatus, DriftedResource } from './drift-report.js';

/** A deployment's last drift check: `kernel.deployments.get(id).drift`, `orchestrator.checkDrift`. */
export interface DriftRecord {
  readonly status: DriftStatus;
  readonly checkedAt: Date;
  /** Who asked (`cloud-engine` for a scheduled check). */
  readonly checkedBy: string;
  /** What differs, per drifted resource (empty unless DRIFTED). */
  readonly resources: readonly DriftedResource[];
  /** Why the check could not tell (FAILED). */
  readonly error: string | null;
  /** Names this drift: the same while the same values differ (null unless DRIFTED). */
  readonly fingerprint: string | null;
  /** Acknowledged with `dismissDrift`: holds until the drift changes. */
  readonly dismissed: { readonly by: string; readonly at: Date } | null;
}

/** What `deployments.drift` holds: the record, plus which drift was last announced and which was dismissed. */
interface StoredDrift {
  status: DriftStatus;
  checkedAt: string;
  checkedBy: string;
  resources: DriftedResource[];
  error: string | null;
  fingerprint: string | null;
  /** The fingerprint last announced (`deployment.drifted`): a drift is announced once. */
  announced: string | null;
  dismissed: { by: string; at: string; fingerprint: string } | null;
}

/** The record as views show it; null before the first check (or for a column that is not a record). */
export function driftView(stored: JsonObject | null): DriftRecord | null {
  if (!stored || typeof stored.status !== 'string' || typeof stored.checkedAt !== 'string') return null;
  const value = stored as unknown as StoredDrift;
  const dismissed = value.dismissed && value.dismissed.fingerprint === value.fingerprint && value.status === 'DRIFTED' ? { by: value.dismissed.by, at: new Date(value.dismissed.at) } : null;
  return {
    status: value.status,
    checkedAt: new Date(value.checkedAt),
    checkedBy: value.checkedBy,
    resources: value.resources ?? [],
    error: value.error ?? null,
    fingerprint: value.fingerprint ?? null,
    dismissed,
  };
}

/**
 * The stored record after a check: a dismissal holds while the fingerprint
 * is the same, a failed check keeps what was announced and dismissed (a
 * passing failure does not announce the same drift again), and NONE clears both.
 * `announce` says whether this check found a drift not announced before.
 */
export function afterCheck(previous: JsonObject | null, check: Omit<DriftRecord, 'dismissed'>): { stored: JsonObject; announce: boolean } {
  const before = (previous ?? {}) as Partial<StoredDrift>;
  const drifted = check.status === 'DRIFTED';
  const keep = check.status === 'FAILED';
  const announced = drifted ? check.fingerprint : keep ? (before.announced ?? null) : null;
  const dismissed = keep || (drifted && before.dismissed?.fingerprint === check.fingerprint) ? (before.dismissed ?? null) : null;
  const stored: StoredDrift = {
    status: check.status,
    checkedAt: check.checkedAt.toISOString(),
    checkedBy: check.checkedBy,
    resources: [...check.resources],
    error: check.error,
    fingerprint: check.fingerprint,
    announced,
    dismissed,
  };
  const announce = drifted && before.announced !== check.fingerprint && dismissed === null;
  return { stored: stored as unknown as JsonObject, announce };
}

/** The stored record with the current drift acknowledged by `by`. */
export function dismissedBy(stored: JsonObject, by: string, at: Date): JsonObject {
  const value = stored as unknown as StoredDrift;
  return { ...value, dismissed: { by, at: at.toISOString(), fingerprint: value.fingerprint ?? '' } } as unknown as JsonObject;
}
