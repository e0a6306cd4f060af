import type { DeploymentState } from './deployment-state.js';
import type { CostLine, UnpricedResource } from '../plugin/cost-estimator.js';
import type { PlanJson } from '../terraform/plan-json.js';

/** One resource of a session. */
export interface SessionResource {
  readonly name: string;
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly quotaKey: string;
  readonly createdBy: string;
}

/** One planned change, as terraform reports it. */
export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly actions: readonly string[];
  /**
   * The session resource whose synthesis made this address, so a blueprint's
   * parts are known as its own; absent for what no resource of the change
   * makes (a removed resource's deletes) and in plans made before it was kept.
   */
  readonly resource?: string;
}

/** A plan's cost, from the cost estimators. */
export interface PlanCost {
  readonly currency: 'USD';
  /** Price of the planned resources after the change, priced lines only. */
  readonly hourly: number;
  readonly monthly: number;
  /** Monthly change this plan causes (negative when it removes cost). */
  readonly monthlyDelta: number;
  readonly lines: readonly CostLine[];
  readonly unpriced: readonly UnpricedResource[];
}

/**
 * What a plan will do, as sessions show it: everything but terraform's plan
 * JSON, which can be hundreds of KB and is read only on request
 * (`orchestrator.getPlanJson`). `approveAndApply` applies exactly this plan.
 */
export interface PlanSummary {
  readonly id: string;
  readonly toAdd: number;
  readonly toChange: number;
  readonly toDestroy: number;
  /** "Plan: 1 to add, 0 to change, 0 to destroy." */
  readonly summary: string;
  readonly changes: readonly PlannedChange[];
  readonly workingDir: string;
  /** sha256 of the synthesized configuration the plan was made from. */
  readonly configHash: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly cost?: PlanCost;
}

/** A plan just made (`runPlan`, `destroySession`, the `plan.ready` event): its summary and its plan JSON. */
export type PlanResult = PlanSummary & {
  /** `terraform show -json` of the saved plan, with sensitive values and secrets redacted (as stored). */
  readonly planJson: PlanJson;
};

/** The approvals of a session's current plan (`settings.approval`): how many it needs and who gave one. */
export interface ApprovalsView {
  /** Distinct eligible approvers the plan needs before it applies. */
  readonly required: number;
  /** Live approvals of the current plan, oldest first: not revoked, not voided, not older than `expiresAfter`. */
  readonly given: readonly { readonly userId: string; readonly at: Date }[];
  /** Who may approve: anyone with deploy access, admins, or the listed user (or chat role) ids. */
  readonly approvers: 'deploy' | 'admin' | readonly string[];
  /** Approvals of an earlier plan voided by the last change of the session ("plan changed: approvals cleared"); 0 once the new plan has one. */
  readonly cleared: number;
  /** Approvals of the current plan that no longer count because they are older than `expiresAfter`. */
  readonly expired: number;
}

/** A deployment session as the API returns it. */
export interface SessionView {
  readonly id: string;
  readonly projectId: string;
  /** The deployment this session is a change of, and its name. */
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly provider: string;
  readonly userId: string;
  readonly state: DeploymentState;
  readonly resources: readonly SessionResource[];
  /** The current plan, when the session has one that is still valid; its plan JSON is `orchestrator.getPlanJson`. */
  readonly plan: PlanSummary | null;
  readonly error: string | null;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly lastChangedBy: string | null;
  readonly approvedBy: string | null;
  /** Approvals of the current plan so far, and how many it needs. */
  readonly approvals: ApprovalsView;
  readonly workingDir: string;
  /** While the session's terraform waits for a free slot (the global cap): its 1-based place in the queue. */
  readonly queuePosition: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
