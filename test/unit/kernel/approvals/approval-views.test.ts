import { describe, expect, it } from 'vitest';
import { approvalRules } from '../../../../src/kernel/approvals/approval-settings.js';
import { approvalsView } from '../../../../src/kernel/approvals/approval-views.js';
import type { ApprovalEntity } from '../../../../src/kernel/persistence/entities/approval.entity.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const PLAN = { id: 'p2', configHash: 'h2' };

function row(userId: string, given: Date, extra: Partial<ApprovalEntity> = {}): ApprovalEntity {
  return { id: `${userId}-${given.getTime()}`, sessionId: 's', planId: 'p2', configHash: 'h2', userId, createdAt: given, revokedAt: null, revokedReason: null, ...extra };
}

describe('approvalsView', () => {
  const rules = approvalRules({ required: 2, expiresAfter: '30m' });

  it('counts only live approvals of the current plan and configuration, oldest first', () => {
    const rows = [
      row('bob', minutesAgo(10)),
      row('carol', minutesAgo(5)),
      row('dave', minutesAgo(4), { planId: 'p1' }),
      row('erin', minutesAgo(3), { configHash: 'other' }),
      row('frank', minutesAgo(2), { revokedAt: minutesAgo(1), revokedReason: 'revoked' }),
    ];
    expect(approvalsView(rows, rules, { state: 'PLAN_READY' }, PLAN, NOW)).toEqual({
      required: 2,
      given: [
        { userId: 'bob', at: minutesAgo(10) },
        { userId: 'carol', at: minutesAgo(5) },
      ],
      approvers: 'deploy',
      cleared: 0,
      expired: 0,
    });
  });

  it('leaves out approvals older than expiresAfter while the plan waits, and counts them as expired', () => {
    const view = approvalsView([row('bob', minutesAgo(31)), row('carol', minutesAgo(29))], rules, { state: 'PLAN_READY' }, PLAN, NOW);
    expect(view.given.map((given) => given.userId)).toEqual(['carol']);
    expect(view.expired).toBe(1);
    // Once applied, who approved stays on record.
    expect(approvalsView([row('bob', minutesAgo(31)), row('carol', minutesAgo(29))], rules, { state: 'APPLIED' }, PLAN, NOW).given).toHaveLength(2);
  });

  it('says how many the last change voided, until the new plan gets an approval', () => {
    const voidedAt = minutesAgo(3);
    const voided = [row('bob', minutesAgo(20), { planId: 'p1', revokedAt: voidedAt, revokedReason: 'voided' }), row('carol', minutesAgo(15), { planId: 'p1', revokedAt: voidedAt, revokedReason: 'voided' })];
    expect(approvalsView(voided, rules, { state: 'DRAFT' }, null, NOW).cleared).toBe(2);
    expect(approvalsView([...voided, row('dave', minutesAgo(1))], rules, { state: 'PLAN_READY' }, PLAN, NOW).cleared).toBe(0);
  });
});
