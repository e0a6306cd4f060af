import type { Command } from 'commander';
import { CloudEngineError, isCloudEngineError } from '../kernel/errors.js';
import type { PlanResult } from '../kernel/sessions/session-view.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { planOutput, planLines } from './session-output.js';
import { readSpec } from './spec-file.js';

/** `cloud-engine plan <spec>`: a session from a spec file, planned and left PLAN_READY for `approve`. */
export function registerPlanCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('plan')
      .description('Start a session from a spec file (YAML or JSON, - for stdin), plan it and leave it ready to approve.')
      .argument('<spec>', 'spec file: { project, provider?, resources: [{ type, name, config? }] }'),
  ).action(async (spec: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const { sessionId, plan } = await planSpec(ctx, spec);
      if (ctx.json) ctx.result({ sessionId, state: 'PLAN_READY', plan: planOutput(plan) });
      ctx.say(`Apply this plan with: cloud-engine approve ${sessionId} --plan ${plan.id}`);
    });
  });
}

/**
 * Reads the spec, starts a session, adds its resources and plans, streaming
 * terraform's lines to stderr; prints the plan for people (stdout, or stderr
 * under --json). A spec the kernel refuses names the spec's field; the
 * half-built session is cancelled so it does not linger in DRAFT.
 */
export async function planSpec(ctx: CliContext, specPath: string): Promise<{ sessionId: string; plan: PlanResult }> {
  const spec = await readSpec(specPath, ctx.io.readStdin);
  const source = specPath === '-' ? 'stdin' : specPath;
  const { orchestrator } = ctx.kernel;
  const session = await orchestrator.startSession(ctx.user, spec.project, spec.provider).catch((error: unknown) => {
    throw inSpec(error, source, { projectId: 'project', provider: 'provider' });
  });
  ctx.setSession(session.id);
  ctx.say(`Session ${session.id} started by ${ctx.user} in project ${session.projectId} (${session.provider})`);

  for (const [index, resource] of spec.resources.entries()) {
    try {
      await orchestrator.addResource(session.id, ctx.user, resource);
    } catch (error) {
      await orchestrator.cancelSession(session.id, ctx.user).catch(() => undefined);
      throw inSpec(error, `${source}: resources.${index} (${resource.name})`, {}, `resources.${index}.`);
    }
    ctx.say(`+ ${resource.type} ${resource.name}`);
  }

  ctx.say('Planning…');
  let plan: PlanResult;
  try {
    plan = await orchestrator.runPlan(session.id, ctx.user, { onOutput: (line) => ctx.progress(line) });
  } catch (error) {
    const after = await orchestrator.getSession(session.id).catch(() => undefined);
    if (after) ctx.progress(`Session ${session.id} is ${after.state}.`);
    throw error;
  }
  ctx.say(`Session ${session.id} PLAN_READY with plan ${plan.id}`);
  for (const line of planLines(plan)) ctx.say(line);
  return { sessionId: session.id, plan };
}

/**
 * Points a kernel refusal at the spec: INVALID_INPUT and NOT_FOUND get the
 * file in the message and the spec's field path (`resources.1.config.size`).
 */
function inSpec(error: unknown, where: string, renames: Record<string, string>, prefix = ''): unknown {
  if (!isCloudEngineError(error) || (error.code !== 'INVALID_INPUT' && error.code !== 'NOT_FOUND')) return error;
  const field = error.field === undefined ? undefined : `${prefix}${renames[error.field] ?? error.field}`;
  return new CloudEngineError(error.code, `${where}: ${error.message}`, {
    field,
    value: error.value,
    details: error.details,
    cause: error,
  });
}
