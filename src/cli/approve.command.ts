import type { Command } from 'commander';
import type { SessionView } from '../kernel/sessions/session-view.js';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { finalLines, planOutput } from './session-output.js';

interface ApproveOptions extends OutputOptions {
  plan?: string;
}

/** `cloud-engine approve <session-id> [--plan <id>]`: apply exactly the plan a session shows, or the plan named. */
export function registerApproveCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('approve')
      .description('Approve a PLAN_READY session and apply exactly its plan, streaming the apply to stderr (exit 1 if it fails).')
      .argument('<session-id>')
      .option('--plan <plan-id>', 'the plan you reviewed (`plan` prints its id); refused as PLAN_STALE (exit 2) if the session was planned again since'),
  ).action(async (sessionId: string, options: ApproveOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      ctx.setSession(sessionId);
      const before = await ctx.kernel.orchestrator.getSession(sessionId, ctx.user);
      const ready = (before.state === 'PLAN_READY' || before.state === 'DESTROY_READY') && before.plan ? before.plan : null;
      if (ready) ctx.say(`Session ${sessionId} in project ${before.projectId}, plan ${ready.id}: ${ready.summary}`);
      // Without --plan, the plan just printed is the one approved: a re-plan in between is refused, not applied.
      const final = await applySession(ctx, sessionId, options.plan ?? ready?.id);
      if (ctx.json) {
        ctx.result({ sessionId, state: final.state, plan: planOf(final, before), outputs: final.outputs ?? {}, error: final.error });
      }
      return final.state === 'APPLIED' ? ExitCode.OK : ExitCode.FAILURE;
    });
  });
}

/**
 * Approves `planId` (the plan the person or script saw; refused as PLAN_STALE
 * if it is no longer the session's plan) and applies it, streaming
 * terraform's lines to stderr; prints the final state and outputs.
 */
export async function applySession(ctx: CliContext, sessionId: string, planId?: string): Promise<SessionView> {
  let announced = false;
  const final = await ctx.kernel.orchestrator.approveAndApply(sessionId, ctx.user, {
    planId,
    onOutput: (line) => {
      // Said once terraform starts, so a refused approval prints only the refusal.
      if (!announced) ctx.say('Approved; applying that plan…');
      announced = true;
      ctx.progress(line);
    },
  });
  const lines = finalLines(final);
  // A failed apply is news even under --json: it goes where people look.
  for (const line of lines) (final.state === 'APPLIED' ? ctx.say : ctx.progress)(line);
  return final;
}

function planOf(...sessions: SessionView[]) {
  const plan = sessions.find((session) => session.plan)?.plan;
  return plan ? planOutput(plan) : null;
}
