/** One action terraform plans for a resource instance. */
export type ChangeAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

/** Before/after values of one change, as `terraform show -json` reports them. */
export interface Change {
  actions: ChangeAction[];
  before: unknown;
  after: unknown;
  /** Attributes known only after apply (`true` leaves mirror `after`). */
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown[];
  importing?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A planned change to one resource instance (`resource_changes[]`). */
export interface ResourceChange {
  address: string;
  module_address?: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  index?: string | number;
  provider_name: string;
  change: Change;
  action_reason?: string;
  [key: string]: unknown;
}

/** A planned change to one root output (`output_changes{}`). */
export interface OutputChange {
  actions: ChangeAction[];
  before: unknown;
  after: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  [key: string]: unknown;
}

/** A resource instance's values in `planned_values`. */
export interface PlannedResource {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  index?: string | number;
  provider_name: string;
  schema_version?: number;
  values: Record<string, unknown>;
  sensitive_values?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A module's resources in `planned_values`, nested by child module. */
export interface PlannedModule {
  address?: string;
  resources?: PlannedResource[];
  child_modules?: PlannedModule[];
  [key: string]: unknown;
}

/** The document printed by `terraform show -json <planfile>`. */
export interface PlanJson {
  format_version: string;
  terraform_version: string;
  resource_changes?: ResourceChange[];
  resource_drift?: ResourceChange[];
  planned_values?: {
    outputs?: Record<string, { sensitive: boolean; value?: unknown; type?: unknown }>;
    root_module?: PlannedModule;
    [key: string]: unknown;
  };
  output_changes?: Record<string, OutputChange>;
  prior_state?: Record<string, unknown>;
  configuration?: Record<string, unknown>;
  errored?: boolean;
  [key: string]: unknown;
}

/** One counted change in a plan summary. */
export interface PlanSummaryChange {
  address: string;
  type: string;
  actions: ChangeAction[];
}

/** The counts terraform prints after a plan, plus the changed resources. */
export interface PlanSummary {
  toAdd: number;
  toChange: number;
  toDestroy: number;
  changes: PlanSummaryChange[];
  /** Exactly terraform's own line, e.g. "Plan: 1 to add, 0 to change, 0 to destroy." */
  summary: string;
}

/** The line terraform prints when a plan changes nothing. */
export const NO_CHANGES_SUMMARY = 'No changes. Your infrastructure matches the configuration.';

/** Counts a plan's changes the way terraform's own "Plan: …" line does. */
export function summarizePlan(plan: PlanJson): PlanSummary {
  let toAdd = 0;
  let toChange = 0;
  let toDestroy = 0;
  const changes: PlanSummaryChange[] = [];

  for (const rc of plan.resource_changes ?? []) {
    // Data sources are read, never created or destroyed; terraform leaves them out of its counts.
    if (rc.mode === 'data') continue;
    const actions = rc.change.actions;
    const creates = actions.includes('create');
    const deletes = actions.includes('delete');
    if (creates && deletes) {
      toAdd += 1;
      toDestroy += 1;
    } else if (creates) {
      toAdd += 1;
    } else if (deletes) {
      toDestroy += 1;
    } else if (actions.includes('update')) {
      toChange += 1;
    } else {
      continue;
    }
    changes.push({ address: rc.address, type: rc.type, actions: [...actions] });
  }

  const summary =
    toAdd + toChange + toDestroy === 0
      ? NO_CHANGES_SUMMARY
      : `Plan: ${toAdd} to add, ${toChange} to change, ${toDestroy} to destroy.`;
  return { toAdd, toChange, toDestroy, changes, summary };
}
