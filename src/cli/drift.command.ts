import type { Command } from 'commander';
import { driftLines } from '../chat/drift.js';
import type { DriftRecord } from '../kernel/drift/drift-record.js';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { findDeployment } from './deployments.command.js';
import { deploymentRef, planLines, planOutput } from './session-output.js';

interface DriftOptions extends OutputOptions {
  project?: string;
  reconcile?: boolean;
  dismiss?: boolean;
}

/**
 * `cloud-engine drift <deployment> [--reconcile | --dismiss]`: checks a
 * deployment for drift now (exit 0 none, 3 drifted, 1 the check failed);
 * `--reconcile` plans the change that puts the cloud back (approve it with
 * `cloud-engine approve`), `--dismiss` acknowledges the current drift.
 */
export function registerDriftCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('drift')
      .description(
        'Compare a deployment with the cloud now (a refresh-only plan) and show each drifted resource and what differs. Exit 0: no drift, 3: drifted, 1: the check failed. Needs deploy access and no open change.',
      )
      .argument('<deployment>', 'deployment name or id (see `cloud-engine deployments`)')
      .option('--project <project>', 'the project the deployment belongs to (needed when several projects have a deployment of that name)')
      .option('--reconcile', 'instead of checking, plan a change that puts the cloud back to the declared config (approve it with `cloud-engine approve`)')
      .option('--dismiss', 'instead of checking, acknowledge the current drift (not announced again until it changes)'),
  ).action(async (name: string, options: DriftOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const target = await findDeployment(ctx, name, options.project);
      const { orchestrator } = ctx.kernel;
      if (options.reconcile) {
        const session = await orchestrator.reconcileDrift(target.id, ctx.user);
        ctx.setSession(session.id);
        if (session.plan) for (const line of planLines(session.plan)) ctx.say(line);
        ctx.say(`Not applied: apply this change with: cloud-engine approve ${session.id}${session.plan ? ` --plan ${session.plan.id}` : ''}`);
        if (ctx.json) ctx.result({ sessionId: session.id, state: session.state, deployment: deploymentRef(target), plan: session.plan ? planOutput(session.plan) : null });
        return ExitCode.OK;
      }
      const drift = options.dismiss ? await orchestrator.dismissDrift(target.id, ctx.user) : await orchestrator.checkDrift(target.id, ctx.user);
      if (ctx.json) ctx.result({ deployment: deploymentRef(target), drift: driftJson(drift) });
      else for (const line of driftLines(drift, target)) ctx.say(line);
      if (drift.status === 'FAILED') return ExitCode.FAILURE;
      return drift.status === 'DRIFTED' && !options.dismiss ? ExitCode.DRIFTED : ExitCode.OK;
    });
  });
}

/** A drift record as `--json` prints it: dates as ISO strings. */
function driftJson(drift: DriftRecord): Record<string, unknown> {
  return { ...drift, checkedAt: drift.checkedAt.toISOString(), dismissed: drift.dismissed ? { by: drift.dismissed.by, at: drift.dismissed.at.toISOString() } : null };
}
