import type { Command } from 'commander';
import type { AccessDecision, AccessRequestView } from '../kernel/access/access-requests.js';
import type { AccessLevel } from '../kernel/access/authorizer.js';
import type { AccessRequestState } from '../kernel/persistence/entities/access-request.entity.js';
import { invalidInput, describeValue } from '../kernel/errors.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { formatTable } from './table.js';

interface RequestsOptions extends OutputOptions {
  state?: string;
}

const STATES: readonly AccessRequestState[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED'];

/**
 * `cloud-engine access request <project> <level> <duration> <reason…>`,
 * `access approve|deny <request>` (project admins; never one's own approval)
 * and `access requests <project>` (admins: all; others: their own).
 * CLOUD_ENGINE_USER is who asks or decides.
 */
export function registerAccessCommand(program: Command, runtime: CliRuntime): void {
  const access = program.command('access').description('Ask for access to a project for a time, and decide such requests (project admins).');
  withJsonOption(
    access
      .command('request')
      .description('Ask the project\'s admins for read, deploy or admin for a time; the request lapses after a day unanswered.')
      .argument('<project>')
      .argument('<level>', 'read, deploy or admin')
      .argument('<duration>', 'how long: 30m, 2h, 7d (capped by the project\'s access.maxGrant)')
      .argument('<reason...>', 'why (at most 500 characters)'),
  ).action(async (project: string, level: string, duration: string, reason: string[], options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const request = await ctx.kernel.access.request({ projectId: project, userId: ctx.user, level: level as AccessLevel, duration, reason: reason.join(' ') });
      if (ctx.json) ctx.result({ request: requestJson(request) });
      const capped = request.cappedTo ? ` (an approval grants ${request.cappedTo}, the project's maximum)` : '';
      ctx.say(`Requested ${request.level} on ${request.projectId} for ${request.duration}${capped}: request ${request.id}, pending until ${request.expiresAt.toISOString()}. A project admin approves it with: cloud-engine access approve ${request.id}`);
    });
  });
  for (const decision of ['approve', 'deny'] as const) {
    withJsonOption(
      access
        .command(decision)
        .description(decision === 'approve' ? 'Approve a pending request: the requester gets the level for the duration asked (project admins; not your own).' : 'Deny a pending request (project admins), or withdraw your own.')
        .argument('<request>', 'the request id (cloud-engine access requests <project>)'),
    ).action(async (requestId: string, options: OutputOptions) => {
      runtime.exitCode = await runCommand(runtime.io, options, (ctx) => decide(ctx, requestId, decision));
    });
  }
  withJsonOption(
    access
      .command('requests')
      .description('List a project\'s access requests, newest first: all of them for its admins, your own otherwise.')
      .argument('<project>')
      .option('--state <state>', 'only PENDING, APPROVED, DENIED or EXPIRED ones'),
  ).action(async (project: string, options: RequestsOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const state = options.state === undefined ? undefined : parseState(options.state);
      const requests = await ctx.kernel.access.requests(project, ctx.user, state ? { states: [state] } : {});
      if (ctx.json) {
        ctx.result({ requests: requests.map(requestJson) });
        return;
      }
      if (requests.length === 0) {
        ctx.say(`No access requests${state ? ` ${state}` : ''} on ${project} that ${ctx.user} can see.`);
        return;
      }
      const table = formatTable(
        ['ID', 'USER', 'LEVEL', 'FOR', 'STATE', 'DECIDED BY', 'GRANT ENDS', 'REASON'],
        requests.map((request) => [
          request.id,
          request.userId,
          request.level,
          request.cappedTo ? `${request.duration} (max ${request.cappedTo})` : request.duration,
          request.state,
          request.decidedBy ?? '-',
          request.grantExpiresAt?.toISOString() ?? '-',
          oneLine(request.reason),
        ]),
      );
      for (const line of table) ctx.say(line);
    });
  });
}

async function decide(ctx: CliContext, requestId: string, decision: AccessDecision): Promise<void> {
  const request = await ctx.kernel.access.decide(requestId, ctx.user, decision);
  if (ctx.json) ctx.result({ request: requestJson(request) });
  if (request.state === 'APPROVED') {
    const capped = request.cappedTo ? ` (capped at the project's maximum of ${request.cappedTo}; ${request.duration} was asked)` : '';
    ctx.say(`Approved request ${request.id}: ${request.userId} has ${request.level} on ${request.projectId} for ${request.grantDuration}, until ${request.grantExpiresAt!.toISOString()}${capped}.`);
  } else {
    ctx.say(`${request.decidedBy === request.userId ? 'Withdrew' : 'Denied'} request ${request.id} of ${request.userId} for ${request.level} on ${request.projectId}.`);
  }
}

function parseState(text: string): AccessRequestState {
  const state = text.trim().toUpperCase() as AccessRequestState;
  if (!STATES.includes(state)) throw invalidInput('--state', `expected ${STATES.join(', ')}; received ${describeValue(text)}`, { field: 'state', value: text });
  return state;
}

/** A reason on one table line: newlines shown as spaces, long ones cut. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

function requestJson(request: AccessRequestView): Record<string, unknown> {
  return {
    ...request,
    createdAt: request.createdAt.toISOString(),
    expiresAt: request.expiresAt.toISOString(),
    decidedAt: request.decidedAt?.toISOString() ?? null,
    grantExpiresAt: request.grantExpiresAt?.toISOString() ?? null,
  };
}
