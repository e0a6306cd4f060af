import type { AuditEvent } from '../../kernel/audit/audit-log.js';

/** One policy outcome of a session, as its audit trail recorded it. */
export interface PolicyResult {
  readonly at: Date;
  readonly actor: string;
  /** `passed`: a plan went through every loaded policy; `refused`: a plan or a check refused with violations; `refused-at-approval`: an approval refused by a policy or quota. */
  readonly outcome: 'passed' | 'refused' | 'refused-at-approval';
  /** The plan it is about, when known. */
  readonly planId: string | null;
  readonly teardown: boolean;
  /** The policies that judged a passed plan. */
  readonly policies: readonly string[];
  readonly violations: readonly { readonly code: string; readonly message: string; readonly address?: string }[];
  /** The kernel's own words when violations are not itemized (a refusal at approval). */
  readonly reason: string | null;
}

const POLICY_CODES = new Set(['POLICY_VIOLATION', 'QUOTA_EXCEEDED']);

/**
 * A session's policy results, oldest first, read from its audit trail (the
 * kernel keeps no separate record): a plan that became ready names the
 * policies it passed; a plan or validation that failed on policies or quotas
 * lists the violations; an approval refused by them gives the kernel's reason.
 */
export function policyResults(events: readonly AuditEvent[]): PolicyResult[] {
  const results: PolicyResult[] = [];
  for (const event of events) {
    const details = event.details;
    const base = { at: event.at, actor: event.actor, planId: typeof details.planId === 'string' ? details.planId : null, teardown: details.destroy === true || event.action === 'session.destroy_ready' };
    if (event.action === 'session.plan_ready' || event.action === 'session.destroy_ready') {
      const policies = Array.isArray(details.policies) ? details.policies.filter((id): id is string => typeof id === 'string') : [];
      results.push({ ...base, outcome: 'passed', policies, violations: [], reason: null });
    } else if (event.action === 'session.plan_failed' && POLICY_CODES.has(String(details.code))) {
      results.push({ ...base, outcome: 'refused', policies: [], violations: violationsOf(details.violations), reason: violationsOf(details.violations).length ? null : stringOr(details.error) });
    } else if (event.action === 'action.refused' && POLICY_CODES.has(String(details.code))) {
      results.push({ ...base, outcome: 'refused-at-approval', policies: [], violations: violationsOf(details.violations), reason: stringOr(details.reason) });
    }
  }
  return results;
}

function violationsOf(value: unknown): PolicyResult['violations'] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object')
    .map((item) => ({ code: String(item.code ?? ''), message: String(item.message ?? ''), ...(typeof item.address === 'string' ? { address: item.address } : {}) }));
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
