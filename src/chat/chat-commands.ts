import type { AccessLevel } from '../kernel/access/authorizer.js';
import { formatDuration, parseDuration } from '../kernel/config/duration.js';
import { CloudEngineError, describeValue } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { DeploymentState, isDeploymentState } from '../kernel/sessions/deployment-state.js';
import type { SessionView } from '../kernel/sessions/session-view.js';
import { renderQuotaBar } from '../kernel/quotas/quota-bar.js';
import { message, redactError, redactReply, type ChatReply } from './chat-message.js';
import { SessionActions } from './session-actions.js';

/** Where an option's suggestions come from, for adapters that autocomplete. */
export type Suggestions = 'deployable-projects' | 'readable-projects' | 'administered-projects' | 'own-sessions' | 'any-sessions' | 'quota-keys';

export interface CommandOption {
  readonly name: string;
  readonly description: string;
  readonly type: 'string' | 'integer' | 'user';
  readonly required: boolean;
  readonly choices?: readonly { readonly name: string; readonly value: string }[];
  readonly suggestions?: Suggestions;
  readonly min?: number;
  readonly max?: number;
}

export type CommandArgs = Readonly<Record<string, string | number | undefined>>;

/** A chat command as every adapter offers it; the kernel decides who may do what. */
export interface ChatCommand {
  readonly name: string;
  readonly description: string;
  /** Listed among the admin commands; the kernel still checks every call. */
  readonly admin: boolean;
  readonly options: readonly CommandOption[];
  run(userId: string, args: CommandArgs): Promise<ChatReply>;
}

export const PAGE_SIZE = 10;
const ACCESS_CHOICES = ['read', 'deploy', 'admin'].map((level) => ({ name: level, value: level }));

/** The seed's twelve commands, bound to a kernel; what they reply or throw passes the kernel's redactor. */
export function chatCommands(kernel: Kernel, actions = new SessionActions(kernel)): ChatCommand[] {
  const { redactor } = kernel;
  return commandList(kernel, actions).map((command) => ({
    ...command,
    run: async (userId, args) => {
      try {
        return redactReply(await command.run(userId, args), (text) => redactor.redact(text));
      } catch (error) {
        // An error may quote what was typed (a bad JSON value, say) back to the channel.
        throw redactError(error, redactor);
      }
    },
  }));
}

function commandList(kernel: Kernel, actions: SessionActions): ChatCommand[] {
  const providers = kernel.registries.providers.list().map((provider) => ({ name: provider.displayName, value: provider.id }));
  const states = Object.values(DeploymentState).map((state) => ({ name: state, value: state }));
  const page: CommandOption = { name: 'page', description: 'Page of the list', type: 'integer', required: false, min: 1, max: 1000 };
  return [
    {
      name: 'cloud-deploy',
      description: 'Start a deployment: opens a lobby to add resources, plan, approve and apply',
      admin: false,
      options: [
        { name: 'project', description: 'Project to deploy to', type: 'string', required: true, suggestions: 'deployable-projects' },
        { name: 'provider', description: "Cloud provider (defaults to the project's)", type: 'string', required: false, choices: providers },
      ],
      run: async (userId, args) => ({ kind: 'lobby', lobby: await actions.open(userId, str(args, 'project'), optStr(args, 'provider')) }),
    },
    {
      name: 'cloud-list',
      description: 'List your deployments',
      admin: false,
      options: [page],
      run: async (userId, args) => sessionList(await kernel.orchestrator.listSessions({ userId }, userId), 'Your deployments', optInt(args, 'page')),
    },
    {
      name: 'cloud-quota',
      description: "Show a project's quota usage",
      admin: false,
      options: [{ name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'readable-projects' }],
      run: async (userId, args) => {
        const projectId = str(args, 'project');
        await kernel.authorizer.authorize({ userId, action: 'project.view', projectId });
        await kernel.projects.get(projectId);
        const usage = await kernel.quotas.usage(projectId);
        const lines = usage.length
          ? usage.map((row) =>
              row.limit === null
                ? `${row.quotaKey}: ${row.used} used${row.reserved ? ` + ${row.reserved} reserved` : ''} (no limit)`
                : `${row.quotaKey}: ${renderQuotaBar(row.used + row.reserved, row.limit)}${row.reserved ? ` (${row.reserved} reserved)` : ''}`,
            )
          : ['No quotas set and nothing deployed yet.'];
        return message(lines, { title: `Quotas of ${projectId}` });
      },
    },
    {
      name: 'cloud-projects',
      description: 'List the projects you can use',
      admin: false,
      options: [page],
      run: async (userId, args) => {
        const ids = await kernel.access.projectsFor(userId, 'read');
        const rows = await Promise.all(ids.map(async (id) => ({ project: await kernel.projects.get(id), level: await kernel.access.levelOf(userId, id) })));
        const lines = rows.map(({ project, level }) => `${project.id} — ${project.provider} — your access: ${level}`);
        return paginate(lines.length ? lines : ['You have no projects yet. Ask a project admin for access (/cloud-grant).'], 'Projects', optInt(args, 'page'));
      },
    },
    {
      name: 'cloud-cancel',
      description: 'Cancel one of your deployments',
      admin: false,
      options: [{ name: 'session_id', description: 'Session to cancel', type: 'string', required: true, suggestions: 'own-sessions' }],
      run: async (userId, args) => ({ kind: 'lobby', lobby: await actions.cancel(str(args, 'session_id'), userId) }),
    },
    {
      name: 'cloud-grant',
      description: 'Grant a user access to a project (read, deploy or admin), optionally for a time',
      admin: true,
      options: [
        { name: 'user', description: 'Who gets access', type: 'user', required: true },
        { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
        { name: 'permission', description: 'Access level', type: 'string', required: true, choices: ACCESS_CHOICES },
        { name: 'duration', description: 'How long, e.g. 30m, 2h, 7d (default: until revoked)', type: 'string', required: false },
      ],
      run: async (userId, args) => {
        const duration = optStr(args, 'duration');
        let expiresAt: Date | undefined;
        let ms: number | undefined;
        if (duration !== undefined) {
          ms = parseDuration(duration);
          if (ms === undefined) {
            throw new CloudEngineError('INVALID_INPUT', `Invalid duration: expected a number and a unit like 30m, 2h or 7d; received ${describeValue(duration)}.`, {
              field: 'duration',
              value: duration,
            });
          }
          expiresAt = new Date(Date.now() + ms);
        }
        const grant = await kernel.access.grant({
          projectId: str(args, 'project'),
          userId: str(args, 'user'),
          level: str(args, 'permission') as AccessLevel,
          grantedBy: userId,
          expiresAt,
        });
        // The duration asked for: expiresAt - grantedAt can fall a millisecond short of it ("7200s" instead of "2h").
        const until = grant.expiresAt ? ` for ${formatDuration(ms ?? grant.expiresAt.getTime() - grant.grantedAt.getTime())}, until ${grant.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC` : ' until revoked';
        return message(`Granted ${grant.level} on ${grant.projectId} to ${grant.userId}${until}.`, { title: 'Access granted', tone: 'success', ephemeral: false });
      },
    },
    {
      name: 'cloud-revoke',
      description: "Revoke a user's access to a project",
      admin: true,
      options: [
        { name: 'user', description: 'Whose access', type: 'user', required: true },
        { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
      ],
      run: async (userId, args) => {
        await kernel.access.revoke({ projectId: str(args, 'project'), userId: str(args, 'user'), revokedBy: userId });
        return message(`Revoked ${str(args, 'user')}'s access to ${str(args, 'project')}. It takes effect at their next action.`, {
          title: 'Access revoked',
          tone: 'success',
          ephemeral: false,
        });
      },
    },
    {
      name: 'cloud-create-project',
      description: 'Create a project (global admins)',
      admin: true,
      options: [
        { name: 'project_id', description: 'Id: lowercase letters, digits, dashes', type: 'string', required: true },
        { name: 'provider', description: 'Cloud provider', type: 'string', required: true, choices: providers },
        { name: 'settings', description: 'Settings as JSON, e.g. {"region":"us-east-1"}', type: 'string', required: false },
      ],
      run: async (userId, args) => {
        const text = optStr(args, 'settings');
        let settings: Record<string, unknown> | undefined;
        if (text !== undefined) {
          try {
            settings = JSON.parse(text) as Record<string, unknown>;
          } catch (error) {
            throw new CloudEngineError('INVALID_INPUT', `Invalid settings: not valid JSON (${(error as Error).message}); write e.g. {"region": "us-east-1"}.`, {
              field: 'settings',
              value: text,
            });
          }
          // `null` would otherwise reach the kernel as "no settings" and create the project silently.
          if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
            throw new CloudEngineError('INVALID_INPUT', 'Invalid settings: expected a JSON object such as {"region": "us-east-1"}.', { field: 'settings', value: text });
          }
        }
        const project = await kernel.projects.create({ id: str(args, 'project_id'), provider: str(args, 'provider'), createdBy: userId, settings });
        return message(`Project ${project.id} (${project.provider}) created; you are its admin.`, { title: 'Project created', tone: 'success', ephemeral: false });
      },
    },
    {
      name: 'cloud-set-quota',
      description: 'Set how many resources of a kind a project may hold',
      admin: true,
      options: [
        { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
        { name: 'resource_type', description: 'Quota key, e.g. compute_vm, storage_bucket', type: 'string', required: true, suggestions: 'quota-keys' },
        { name: 'limit', description: 'Maximum number', type: 'integer', required: true, min: 0, max: 1_000_000 },
      ],
      run: async (userId, args) => {
        const projectId = str(args, 'project');
        const quotaKey = str(args, 'resource_type');
        await kernel.quotas.set({ projectId, quotaKey, limit: int(args, 'limit'), setBy: userId });
        const row = (await kernel.quotas.usage(projectId)).find((item) => item.quotaKey === quotaKey);
        return message(`${quotaKey} on ${projectId}: ${row && row.limit !== null ? renderQuotaBar(row.used + row.reserved, row.limit) : 'no limit'}`, {
          title: 'Quota set',
          tone: 'success',
          ephemeral: false,
        });
      },
    },
    {
      name: 'cloud-admin-list',
      description: 'List every deployment (of a project, or everywhere for global admins)',
      admin: true,
      options: [
        { name: 'project', description: 'Only this project', type: 'string', required: false, suggestions: 'administered-projects' },
        { name: 'state', description: 'Only this state', type: 'string', required: false, choices: states },
        page,
      ],
      run: async (userId, args) => {
        const projectId = optStr(args, 'project');
        const state = optStr(args, 'state');
        if (state !== undefined && !isDeploymentState(state)) {
          throw new CloudEngineError('INVALID_INPUT', `Invalid state: expected one of ${Object.values(DeploymentState).join(', ')}.`, { field: 'state', value: state });
        }
        if (projectId) await kernel.authorizer.authorize({ userId, action: 'project.admin', projectId });
        else if (!kernel.authorizer.isGlobalAdmin(userId)) {
          throw new CloudEngineError('PERMISSION_DENIED', 'Listing deployments of every project is for global admins; name a project you administer.', { details: { needed: 'global admin' } });
        }
        const sessions = await kernel.orchestrator.listSessions({ projectId, states: state ? [state] : undefined }, userId);
        return sessionList(sessions, projectId ? `Deployments of ${projectId}` : 'All deployments', optInt(args, 'page'));
      },
    },
    {
      name: 'cloud-admin-cancel',
      description: "Cancel anyone's deployment (project admins)",
      admin: true,
      options: [{ name: 'session_id', description: 'Session to cancel', type: 'string', required: true, suggestions: 'any-sessions' }],
      run: async (userId, args) => ({ kind: 'lobby', lobby: await actions.cancel(str(args, 'session_id'), userId) }),
    },
    {
      name: 'cloud-stats',
      description: 'Deployment statistics across all projects (global admins)',
      admin: true,
      options: [],
      run: async (userId) => {
        const stats = await kernel.orchestrator.stats(userId);
        return message(
          [
            `Sessions: ${stats.sessions} · plans: ${stats.plans} · resources deployed: ${stats.resourcesApplied}`,
            `By state: ${Object.entries(stats.byState).map(([state, count]) => `${state} ${count}`).join(', ') || 'none'}`,
            `By project: ${Object.entries(stats.byProject).map(([project, count]) => `${project} ${count}`).join(', ') || 'none'}`,
            `Terraform: ${stats.terraform.running} running, ${stats.terraform.queued} queued (cap ${stats.terraform.cap})` +
              (stats.terraform.pool
                ? ` · provider pool: ${stats.terraform.pool.processes} processes (${stats.terraform.pool.idle} idle), ${stats.terraform.pool.hits} hits, ${stats.terraform.pool.misses} misses, ${stats.terraform.pool.fallbacks} fallbacks`
                : ' · provider pool off'),
          ],
          { title: 'Cloud Engine statistics' },
        );
      },
    },
  ];
}

/** Suggestions for an option, filtered by what the user typed (autocomplete). */
export async function suggest(kernel: Kernel, source: Suggestions, userId: string, typed: string): Promise<string[]> {
  let values: string[];
  switch (source) {
    case 'deployable-projects':
      values = await kernel.access.projectsFor(userId, 'deploy');
      break;
    case 'readable-projects':
      values = await kernel.access.projectsFor(userId, 'read');
      break;
    case 'administered-projects':
      values = await kernel.access.projectsFor(userId, 'admin');
      break;
    case 'own-sessions':
      values = (await kernel.orchestrator.listSessions({ userId, states: ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED'] }, userId)).map((session) => session.id);
      break;
    case 'any-sessions':
      values = (await kernel.orchestrator.listSessions({ states: ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED', 'APPLYING'] }, userId)).map((session) => session.id);
      break;
    case 'quota-keys':
      values = [...new Set(kernel.registries.resourceTypes.list().map((type) => type.quotaKey))].sort();
      break;
  }
  const needle = typed.toLowerCase();
  return values.filter((value) => value.toLowerCase().includes(needle)).slice(0, 25);
}

function sessionList(sessions: readonly SessionView[], title: string, pageNumber?: number): ChatReply {
  const lines = sessions.map(
    (session) =>
      `${session.id} · ${session.projectId} · ${session.state} · ${session.resources.length} resource${session.resources.length === 1 ? '' : 's'} · ${session.userId}` +
      (session.plan ? ` · ${session.plan.summary}` : ''),
  );
  return paginate(lines.length ? lines : ['No deployments.'], title, pageNumber);
}

function paginate(lines: readonly string[], title: string, pageNumber = 1): ChatReply {
  const count = Math.max(1, Math.ceil(lines.length / PAGE_SIZE));
  const index = Math.min(Math.max(1, pageNumber), count);
  return message(lines.slice((index - 1) * PAGE_SIZE, index * PAGE_SIZE), { title, page: count > 1 ? { index, count } : undefined });
}

function str(args: CommandArgs, name: string): string {
  const value = args[name];
  if (value === undefined || value === '') throw new CloudEngineError('INVALID_INPUT', `Missing ${name}: this option is required.`, { field: name });
  return String(value);
}

function optStr(args: CommandArgs, name: string): string | undefined {
  const value = args[name];
  return value === undefined || value === '' ? undefined : String(value);
}

function int(args: CommandArgs, name: string): number {
  const value = args[name];
  const number = typeof value === 'number' ? value : Number(value);
  if (value === undefined || value === '' || !Number.isSafeInteger(number)) {
    throw new CloudEngineError('INVALID_INPUT', `Invalid ${name}: expected a whole number; received ${describeValue(value)}.`, { field: name, value });
  }
  return number;
}

function optInt(args: CommandArgs, name: string): number | undefined {
  return args[name] === undefined ? undefined : int(args, name);
}
