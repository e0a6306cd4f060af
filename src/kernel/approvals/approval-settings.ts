import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { durationMs, type DurationInput } from '../lifecycle/lifecycle-settings.js';

/** Bounds of `approval.required` and `approval.expiresAfter`. */
export const APPROVAL_LIMITS = { minRequired: 1, maxRequired: 10, minExpiry: 60_000, maxExpiry: 30 * 86_400_000, maxApprovers: 100 } as const;

/** An approver list entry: a user id (or a chat role id, once the chat tells roles). */
const ApproverId = z.string().regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'expected a user id of 1-64 letters, digits and ._@:-');

/** Who may approve: `settings.approval`. */
export const ApprovalSettingsSchema = z.strictObject({
  /** Four eyes: nobody who shaped the plan (owner, planner, last changer, resource authors) approves it. */
  requireDistinctApprover: z.boolean().default(false),
  /** `deploy` (default): anyone who may deploy; `admin`: project admins; a list: those user ids (who must also hold deploy access). */
  approvers: z.union([z.enum(['deploy', 'admin']), z.array(ApproverId).min(1).max(APPROVAL_LIMITS.maxApprovers)]).default('deploy'),
  /** How many distinct eligible people must approve a plan before it applies (1-10, default 1). */
  required: z.number().int().min(APPROVAL_LIMITS.minRequired).max(APPROVAL_LIMITS.maxRequired).default(1),
  /** An approval older than this no longer counts ("30m", "2h", "7d"); none: approvals count until the plan changes. */
  expiresAfter: z
    .union([z.string(), z.number()])
    .superRefine((value, ctx) => {
      const ms = durationMs(value);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as "30m", "2h" or "7d"' });
      else if (ms < APPROVAL_LIMITS.minExpiry || ms > APPROVAL_LIMITS.maxExpiry) {
        ctx.addIssue({ code: 'custom', message: `expected a duration from ${formatDuration(APPROVAL_LIMITS.minExpiry)} to ${formatDuration(APPROVAL_LIMITS.maxExpiry)}` });
      }
    })
    .optional(),
});
export type ApprovalSettings = z.output<typeof ApprovalSettingsSchema>;

/** A project's approval rules, resolved (validated when the project was made or updated). */
export interface ApprovalRules {
  readonly required: number;
  readonly approvers: 'deploy' | 'admin' | readonly string[];
  readonly requireDistinctApprover: boolean;
  /** Milliseconds after which an approval stops counting; undefined: never. */
  readonly expiresAfterMs: number | undefined;
}

/** The rules of a project's `settings.approval` (today's keys alone mean one approval from anyone with deploy access). */
export function approvalRules(settings: unknown): ApprovalRules {
  const parsed = ApprovalSettingsSchema.safeParse(settings ?? {});
  const value = parsed.success ? parsed.data : ApprovalSettingsSchema.parse({});
  return {
    required: value.required,
    approvers: value.approvers,
    requireDistinctApprover: value.requireDistinctApprover,
    expiresAfterMs: durationMs(value.expiresAfter as DurationInput | undefined),
  };
}
