import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudEngineError, isCloudEngineError } from '../errors.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { Project } from '../projects/project-service.js';
import { redactPlan } from '../secrets/redact-plan.js';
import { sensitiveValues, type Redactor } from '../secrets/redactor.js';
import { summarizePlan, type PlanJson } from '../terraform/plan-json.js';
import { capText } from '../terraform/terraform-events.js';
import type { DeploymentState } from './deployment-state.js';
import type { OutputRecorder } from './output-recorder.js';
import type { SessionChecks } from './session-checks.js';
import { SessionErrors } from './session-errors.js';
import type { RunOptions } from './session-inputs.js';
import { synthesizeView, type SessionServices } from './session-services.js';
import { newId } from './session-store.js';
import type { PlanCost, PlanResult, SessionView } from './session-view.js';

/** What a plan is for: the change the resources describe, or the teardown of the deployment. */
export type PlanPurpose = 'apply' | 'destroy';

/**
 * The planning plans and teardowns share: synthesize into the working dir,
 * run `init`, `plan -out` (`-destroy` for a teardown) and `show -json`;
 * price and check the real plan; store the redacted one, with its secrets
 * sealed, and move the session `from → to`.
 */
export class PlanMaker {
  constructor(
    private readonly services: SessionServices,
    private readonly checks: SessionChecks,
  ) {}

  async make(args: {
    view: SessionView;
    project: Project;
    userId: string;
    options: RunOptions;
    signal: AbortSignal;
    recorder: OutputRecorder;
    purpose: PlanPurpose;
    /** The session as its last transition left it (PLANNING or DESTROY_PLANNING): not read again. */
    planning: CloudSessionEntity;
    to: DeploymentState;
  }): Promise<PlanResult> {
    const { view, project, userId, recorder, purpose } = args;
    const { runner, store, operations, redactor: baseRedactor, db, policies, events, box } = this.services;
    const sessionId = view.id;
    // Synthesis is synchronous (up to ~100 ms for a big session): let waiting work (a click to acknowledge) go first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const synthesis = synthesizeView(this.services, project, view, args.planning.stateKey);
    const workingDir = store.workingDir(args.planning);
    await mkdir(join(workingDir, 'plans'), { recursive: true });
    await writeFile(join(workingDir, 'main.tf.json'), synthesis.text);
    const planId = newId(12);
    const planFile = join(workingDir, 'plans', `${planId}${purpose === 'destroy' ? '.destroy' : ''}.tfplan`);
    const context = operations.terraformContext({
      sessionId,
      cwd: workingDir,
      env: synthesis.environment,
      operation: 'plan',
      options: args.options,
      signal: args.signal,
      recorder,
      redactor: baseRedactor,
    });
    await runner.init(context);
    await runner.plan({ ...context, planFile, destroy: purpose === 'destroy' });
    const rawPlan = await runner.show({ ...context, planFile });
    // What the plan marks sensitive, and what the types call secret: hidden in the plan and, sealed with it, in its apply.
    const secrets = [...sensitiveValues(rawPlan), ...this.secretFieldValues(view)];
    const redactor = baseRedactor.with(secrets);
    // Policies and estimators see the real plan; what is stored and shown is redacted (one pass over the document).
    const planJson = redactPlan(rawPlan, redactor);
    const summary = summarizePlan(planJson);
    let cost: PlanCost | undefined;
    try {
      cost = await this.checks.estimate(project, rawPlan);
      const violations = await this.checks.planViolations(view, project, userId, rawPlan, cost, purpose, requestedDeletes(rawPlan, synthesis.addresses));
      if (violations.length > 0) throw SessionErrors.violations(sessionId, violations, purpose === 'destroy' ? 'in the teardown plan' : 'in the plan');
    } catch (error) {
      // A plugin's message may quote the plan's sensitive values.
      throw isCloudEngineError(error) ? redactError(error, redactor) : error;
    }

    // Kept with the plan: whichever process applies it (another worker) applies exactly this file.
    const planFileData = (await readFile(planFile)).toString('base64');
    const record = planRecord({ id: planId, sessionId, userId, summary, owners: ownersOf(synthesis.addresses), planJson, planFile, planFileData, configHash: synthesis.hash, cost, sealedSecrets: box.seal(secrets) });
    await recorder.close();
    await db.transaction(async (manager) => {
      await manager.insert(PlanRecordEntity, record);
      await store.transition(
        {
          sessionId,
          from: [args.planning.state],
          to: args.to,
          actor: userId,
          patch: { currentPlanId: planId },
          seen: args.planning,
          details: {
            planId,
            summary: summary.summary,
            hash: synthesis.hash,
            policies: policies.keys(),
            monthly: cost?.monthly ?? null,
            ...(purpose === 'destroy' ? { destroy: true } : {}),
          },
        },
        manager,
      );
    });
    const result = store.toPlanResult(record, workingDir);
    events.emit('plan.ready', { sessionId, plan: result });
    return result;
  }

  /** The string values of the session's secret fields (each type's `secretFields`). */
  private secretFieldValues(view: SessionView): string[] {
    return view.resources.flatMap((resource) => {
      const fields = this.services.resourceTypes.get(resource.type)?.secretFields ?? [];
      return fields.map((field) => resource.config[field]).filter((value): value is string => typeof value === 'string');
    });
  }
}

/**
 * The addresses a plan deletes outright that no resource of the session
 * synthesizes to any more: the user removed those resources in this change.
 */
function requestedDeletes(plan: PlanJson, addresses: Readonly<Record<string, readonly string[]>>): string[] {
  const configured = new Set(Object.values(addresses).flat());
  return (plan.resource_changes ?? [])
    .filter((change) => change.mode !== 'data' && change.change.actions.length === 1 && change.change.actions[0] === 'delete' && !configured.has(change.address))
    .map((change) => change.address);
}

/** Which session resource made each address (synthesis knows it; a plan's changes carry it to views). */
function ownersOf(addresses: Readonly<Record<string, readonly string[]>>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [name, made] of Object.entries(addresses)) for (const address of made) owners.set(address, name);
  return owners;
}

/** The error with secrets redacted and its text bounded (terraform's diagnostics can be megabytes). */
export function redactError(error: CloudEngineError, redactor: Redactor): CloudEngineError {
  const message = capText(redactor.redact(error.message));
  if (message === error.message) return error;
  return new CloudEngineError(error.code, message, { field: error.field, details: redactor.redactDeep(error.details), cause: error });
}

/** The stored record of a plan: what was shown, and the file that will be applied. */
function planRecord(input: {
  id: string;
  sessionId: string;
  userId: string;
  summary: ReturnType<typeof summarizePlan>;
  owners: ReadonlyMap<string, string>;
  planJson: PlanJson;
  planFile: string;
  planFileData: string;
  configHash: string;
  cost: PlanCost | undefined;
  sealedSecrets: string | null;
}): PlanRecordEntity {
  return Object.assign(new PlanRecordEntity(), {
    id: input.id,
    sessionId: input.sessionId,
    createdBy: input.userId,
    summary: input.summary.summary,
    toAdd: input.summary.toAdd,
    toChange: input.summary.toChange,
    toDestroy: input.summary.toDestroy,
    changes: input.summary.changes.map((change) => {
      const resource = input.owners.get(change.address);
      return { address: change.address, type: change.type, actions: [...change.actions], ...(resource === undefined ? {} : { resource }) };
    }),
    planJson: input.planJson as Record<string, unknown>,
    planFile: input.planFile,
    planFileData: input.planFileData,
    configHash: input.configHash,
    cost: (input.cost ?? null) as Record<string, unknown> | null,
    sealedSecrets: input.sealedSecrets,
    createdAt: new Date(),
  } satisfies PlanRecordEntity);
}
