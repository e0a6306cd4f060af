import type { Command } from 'commander';
import { approvalLines, lobbyApprovals } from '../chat/lobby.js';
import type { SessionView } from '../kernel/sessions/session-view.js';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { finalLines, planOutput } from './session-output.js';

interface ApproveOptions extends OutputOptions {
  plan?: string;
  /** false with --no-apply: record the approval only. */
  apply: boolean;
}

/**
 * `cloud-engine approve <session-id> [--plan <id>] [--no-apply]`: approve
 * exactly the plan a session shows (or the plan named) and apply it once the
 * project's approvals are complete; `revoke-approval <session-id>` withdraws
 * one's own approval before the apply.
 */
export function registerApproveCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('approve')
      .description(
        'Approve a PLAN_READY session and apply exactly its plan, streaming the apply to stderr (exit 1 if it fails). When the project needs more approvals (settings.approval.required), records yours and says how many are left (exit 0).',
      )
      .argument('<session-id>')
      .option('--plan <plan-id>', 'the plan you reviewed (`plan` prints its id); refused as PLAN_STALE (exit 2) if the session was planned again since')
      .option('--no-apply', 'record your approval only, never apply, even when it completes the count (a later `approve` applies)'),
  ).action(async (sessionId: string, options: ApproveOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      ctx.setSession(sessionId);
      const before = await ctx.kernel.orchestrator.getSession(sessionId, ctx.user);
      const ready = (before.state === 'PLAN_READY' || before.state === 'DESTROY_READY') && before.plan ? before.plan : null;
      if (ready) ctx.say(`Session ${sessionId} in project ${before.projectId}, plan ${ready.id}: ${ready.summary}`);
      // Without --plan, the plan just printed is the one approved: a re-plan in between is refused, not applied.
      const planId = options.plan ?? ready?.id;
      const final = options.apply ? await applySession(ctx, sessionId, planId) : await recordApproval(ctx, sessionId, planId);
      if (ctx.json) {
        ctx.result({ sessionId, state: final.state, plan: planOf(final, before), approvals: approvalsJson(final), outputs: final.outputs ?? {}, error: final.error });
      }
      return final.state === 'APPLIED' || waiting(final) ? ExitCode.OK : ExitCode.FAILURE;
    });
  });
  withJsonOption(
    program
      .command('revoke-approval')
      .description("Withdraw your approval of a session's plan before the apply starts.")
      .argument('<session-id>'),
  ).action(async (sessionId: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      ctx.setSession(sessionId);
      const view = await ctx.kernel.orchestrator.revokeApproval(sessionId, ctx.user);
      ctx.say(`Your approval of session ${sessionId} is withdrawn.`);
      for (const line of standing(view)) ctx.say(line);
      if (ctx.json) ctx.result({ sessionId, state: view.state, approvals: approvalsJson(view) });
      return ExitCode.OK;
    });
  });
}

/** Records the approval without applying (`--no-apply`) and says where the count stands. */
async function recordApproval(ctx: CliContext, sessionId: string, planId?: string): Promise<SessionView> {
  const view = await ctx.kernel.orchestrator.approve(sessionId, ctx.user, { planId });
  ctx.say('Your approval is recorded; nothing was applied (--no-apply).');
  for (const line of standing(view)) ctx.say(line);
  return view;
}

/** Still waiting for approvals: the approval was recorded, the plan not applied yet. */
function waiting(view: SessionView): boolean {
  return view.state === 'PLAN_READY' || view.state === 'DESTROY_READY';
}

/** "Approvals 1/2: alice", "needs 1 more from deploy-level members", as the lobby says it. */
function standing(view: SessionView): string[] {
  return approvalLines(lobbyApprovals(view));
}

function approvalsJson(view: SessionView) {
  return { required: view.approvals.required, given: view.approvals.given.map((given) => ({ userId: given.userId, at: given.at.toISOString() })) };
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
  if (waiting(final)) {
    // The project needs more approvals: this one is recorded, nothing ran.
    ctx.say('Your approval is recorded; the plan applies once the project has all the approvals it needs.');
    for (const line of standing(final)) ctx.say(line);
    return final;
  }
  const lines = finalLines(final);
  // A failed apply is news even under --json: it goes where people look.
  for (const line of lines) (final.state === 'APPLIED' ? ctx.say : ctx.progress)(line);
  return final;
}

function planOf(...sessions: SessionView[]) {
  const plan = sessions.find((session) => session.plan)?.plan;
  return plan ? planOutput(plan) : null;
}
