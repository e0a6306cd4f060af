import { describe, expect, it } from 'vitest';
import { ApprovalSettingsSchema, approvalRules } from '../../../../src/kernel/approvals/approval-settings.js';

describe('approval settings', () => {
  it("today's keys alone mean one approval from anyone with deploy access, never expiring", () => {
    expect(approvalRules(undefined)).toEqual({ required: 1, approvers: 'deploy', requireDistinctApprover: false, expiresAfterMs: undefined });
    expect(approvalRules({ requireDistinctApprover: true, approvers: 'admin' })).toEqual({ required: 1, approvers: 'admin', requireDistinctApprover: true, expiresAfterMs: undefined });
  });

  it('reads required, a list of approvers and expiresAfter as a duration or milliseconds', () => {
    expect(approvalRules({ required: 3, approvers: ['bob', '123456789012345678'], expiresAfter: '2h' })).toEqual({
      required: 3,
      approvers: ['bob', '123456789012345678'],
      requireDistinctApprover: false,
      expiresAfterMs: 7_200_000,
    });
    expect(approvalRules({ expiresAfter: 90_000 }).expiresAfterMs).toBe(90_000);
  });

  it('refuses counts outside 1-10, durations outside 1 minute-30 days or not durations, and empty or malformed approver lists, at the right path', () => {
    const path = (value: unknown) => {
      const result = ApprovalSettingsSchema.safeParse(value);
      return result.success ? null : result.error.issues.map((issue) => issue.path.join('.'));
    };
    expect(path({ required: 0 })).toEqual(['required']);
    expect(path({ required: 11 })).toEqual(['required']);
    expect(path({ expiresAfter: '59s' })).toEqual(['expiresAfter']);
    expect(path({ expiresAfter: '31d' })).toEqual(['expiresAfter']);
    expect(path({ expiresAfter: 'soon' })).toEqual(['expiresAfter']);
    expect(path({ approvers: [] })).toEqual(['approvers']);
    expect(path({ approvers: ['a b'] })).toEqual(['approvers.0']);
    expect(path({ quorum: 2 })).toEqual(['']);
    expect(path({ required: 10, expiresAfter: '1m', approvers: ['x'] })).toBeNull();
  });
});
