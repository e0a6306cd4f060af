import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isCloudEngineError, type CloudEngineError } from '../../src/kernel/errors.js';
import { errorReply, type ChatMessage, type ChatReply } from '../../src/chat/chat-message.js';
import type { ChatCommand, CommandArgs } from '../../src/chat/chat-command.js';
import { chatCommands } from '../../src/chat/chat-commands.js';
import { PAGE_SIZE } from '../../src/chat/pages.js';
import { suggest } from '../../src/chat/suggestions.js';
import { STATE_LABELS, renderLobbyText, type LobbyModel } from '../../src/chat/lobby.js';
import { SessionActions } from '../../src/chat/session-actions.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

// Who is who:
//   admin — global admin;  dave — admin of `web`;  alice, bob — deploy on `web`;  rita — read on `web`
//   alice — deploy on `tagged` (needs a `team` tag), read only on `other`;  carol — deploy on `lists` only
const WEB_MEMBERS = { alice: 'deploy', bob: 'deploy', dave: 'admin', rita: 'read' } as const;

let t: TestKernel;
let commands: Map<string, ChatCommand>;
let actions: SessionActions;

async function run(name: string, userId: string, args: CommandArgs = {}): Promise<ChatReply> {
  const command = commands.get(name);
  if (!command) throw new Error(`no command ${name}`);
  return command.run(userId, args);
}

async function messageOf(name: string, userId: string, args: CommandArgs = {}): Promise<ChatMessage> {
  const reply = await run(name, userId, args);
  if (reply.kind !== 'message') throw new Error(`${name}: expected a message, got a ${reply.kind}`);
  return reply.message;
}

async function lobbyOf(name: string, userId: string, args: CommandArgs = {}): Promise<LobbyModel> {
  const reply = await run(name, userId, args);
  if (reply.kind !== 'lobby') throw new Error(`${name}: expected a lobby, got a ${reply.kind}`);
  return reply.lobby;
}

async function rejection(promise: Promise<unknown>): Promise<CloudEngineError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!isCloudEngineError(error)) throw error;
      return error;
    },
  );
}

beforeAll(async () => {
  t = await startTestKernel();
  await createProject(t.kernel, { id: 'web', provider: 'sandbox' }, WEB_MEMBERS);
  await createProject(t.kernel, { id: 'other', provider: 'sandbox' }, { alice: 'read' });
  await createProject(t.kernel, { id: 'tagged', provider: 'sandbox', settings: { policies: { 'required-tags': { keys: ['team'] } } } }, { alice: 'deploy' });
  await createProject(t.kernel, { id: 'lists', provider: 'sandbox' }, { carol: 'deploy' });
  await t.kernel.quotas.set({ projectId: 'web', quotaKey: 'compute_vm', limit: 10, setBy: ADMIN });
  actions = new SessionActions(chatApiOf(t.kernel));
  commands = new Map(chatCommands(chatApiOf(t.kernel), actions).map((command) => [command.name, command]));
});

afterAll(async () => {
  await t?.dispose();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the command set', () => {
  it('offers the seed twelve commands and those added since (/cloud-dashboard, /cloud-drift, /cloud-request-access, /cloud-access), admin ones flagged', () => {
    expect([...commands.keys()].sort()).toEqual(
      [
        'cloud-admin-cancel',
        'cloud-admin-list',
        'cloud-cancel',
        'cloud-create-project',
        'cloud-dashboard',
        'cloud-deploy',
        'cloud-drift',
        'cloud-grant',
        'cloud-list',
        'cloud-projects',
        'cloud-quota',
        'cloud-request-access',
        'cloud-access',
        'cloud-revoke',
        'cloud-set-quota',
        'cloud-stats',
      ].sort(),
    );
    expect([...commands.values()].filter((command) => command.admin).map((command) => command.name).sort()).toEqual(
      ['cloud-admin-cancel', 'cloud-admin-list', 'cloud-create-project', 'cloud-grant', 'cloud-revoke', 'cloud-set-quota', 'cloud-stats'].sort(),
    );
  });

  it('rejects a missing required option as INVALID_INPUT naming it', async () => {
    const error = await rejection(run('cloud-deploy', 'alice', {}));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('project');
  });
});

describe('cloud-projects', () => {
  it('lists a member’s projects with the access level held on each', async () => {
    const reply = await messageOf('cloud-projects', 'alice');
    expect(reply).toMatchObject({ title: 'Projects', tone: 'info', ephemeral: true });
    expect(reply.lines).toEqual(['other — sandbox — your access: read', 'tagged — sandbox — your access: deploy', 'web — sandbox — your access: deploy']);
    expect(reply.page).toBeUndefined();
  });

  it('shows a global admin every project as admin', async () => {
    const reply = await messageOf('cloud-projects', ADMIN);
    expect(reply.lines).toEqual(expect.arrayContaining(['web — sandbox — your access: admin', 'lists — sandbox — your access: admin']));
  });

  it('tells someone without projects how to get access', async () => {
    const reply = await messageOf('cloud-projects', 'nobody');
    expect(reply.lines).toEqual(['You have no projects yet. Ask a project admin for access (/cloud-grant).']);
  });
});

describe('deploying through the lobby', () => {
  let sessionId: string;

  it('cloud-deploy opens a DRAFT lobby where resources can be added but nothing approved', async () => {
    const lobby = await lobbyOf('cloud-deploy', 'alice', { project: 'web' });
    sessionId = lobby.sessionId;
    expect(lobby).toMatchObject({
      projectId: 'web',
      provider: 'sandbox',
      owner: 'alice',
      state: 'DRAFT',
      stateLabel: STATE_LABELS.DRAFT,
      resources: [],
      plan: null,
      cost: null,
      problems: [],
      outputs: null,
      actions: { approve: false, add: true, edit: false, remove: false, refresh: true, cancel: true, change: false, destroy: false },
    });
    expect(lobby.deploymentName).toMatch(/\S/);
    expect(renderLobbyText(lobby)).toContain('Resources: none yet');
  });

  it('cloud-deploy to a project the user may only read is PERMISSION_DENIED', async () => {
    expect((await rejection(run('cloud-deploy', 'alice', { project: 'other' }))).code).toBe('PERMISSION_DENIED');
  });

  it('adding a resource shows the DRAFT lobby at once, then the planned lobby with plan, cost and quota bar', async () => {
    const streamed: string[] = [];
    const { lobby, planned } = await actions.addResource(sessionId, 'alice', { type: 'sandbox.vm', name: 'web', config: { size: 'medium' } }, (line) => streamed.push(line));
    expect(lobby.state).toBe('DRAFT');
    expect(lobby.resources).toEqual([{ name: 'web', type: 'sandbox.vm', detail: 'size=medium, image=debian-12, bootSeconds=0' }]);
    expect(lobby.quotas).toEqual([{ quotaKey: 'compute_vm', bar: '[░░░░░░░░░░] 0/10 (0%)' }]);
    expect(lobby.actions.approve).toBe(false);

    const ready = await planned;
    expect(ready.state).toBe('PLAN_READY');
    expect(ready.stateLabel).toBe(STATE_LABELS.PLAN_READY);
    expect(ready.plan).toEqual({ id: expect.any(String), summary: 'Plan: 1 to add, 0 to change, 0 to destroy.', changes: ['+ terraform_data.web'] });
    expect(ready.cost).toEqual({ text: '$0.00/hour | $0.00/month', delta: '±$0.00/month', unpriced: [] });
    expect(ready.problems).toEqual([]);
    expect(ready.actions).toEqual({ approve: true, add: true, edit: true, remove: true, refresh: true, cancel: true, change: false, destroy: false, withdraw: false });
    expect(streamed.join('\n')).toContain('Plan: 1 to add');

    const text = renderLobbyText(ready);
    expect(text).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(text).toContain('  + terraform_data.web');
    expect(text).toContain('Cost: $0.00/hour | $0.00/month (change: ±$0.00/month)');
    expect(text).toContain('Quota compute_vm: [░░░░░░░░░░] 0/10 (0%)');
  });

  it('a second resource re-plans the session to two additions', async () => {
    const { lobby, planned } = await actions.addResource(sessionId, 'alice', { type: 'sandbox.vm', name: 'api', config: {} });
    expect(lobby.state).toBe('DRAFT');
    expect(lobby.plan).toBeNull();
    const ready = await planned;
    expect(ready.state).toBe('PLAN_READY');
    expect(ready.plan?.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect([...(ready.plan?.changes ?? [])].sort()).toEqual(['+ terraform_data.api', '+ terraform_data.web']);
  });

  it('approving applies the plan and shows an APPLIED lobby with the outputs', async () => {
    const streamed: string[] = [];
    const applied = await actions.approve(sessionId, 'alice', (line) => streamed.push(line));
    expect(applied.state).toBe('APPLIED');
    expect(applied.stateLabel).toBe(STATE_LABELS.APPLIED);
    // Applied: the deployment can be changed again or torn down.
    expect(applied.actions).toEqual({ approve: false, add: false, edit: false, remove: false, refresh: true, cancel: false, change: true, destroy: true, withdraw: false });
    expect(applied.problems).toEqual([]);
    expect(applied.outputs).toEqual({
      web: { id: expect.any(String), ip: expect.stringMatching(/^10\./) },
      api: { id: expect.any(String), ip: expect.stringMatching(/^10\./) },
    });
    expect(applied.quotas).toEqual([{ quotaKey: 'compute_vm', bar: '[██░░░░░░░░] 2/10 (20%)' }]);
    expect(streamed.join('\n')).toContain('Apply complete!');

    const text = renderLobbyText(applied);
    expect(text).toContain('Outputs:');
    const web = applied.outputs!.web as { id: string; ip: string };
    expect(text).toContain(`  web: ${JSON.stringify(web)}`);
    expect(text.join('\n')).toContain(web.ip);
  });

  it('the lobby of a session can be read again by a project reader, not by an outsider', async () => {
    expect((await actions.lobby(sessionId, 'rita')).state).toBe('APPLIED');
    expect((await rejection(actions.lobby(sessionId, 'carol'))).code).toBe('PERMISSION_DENIED');
  });

  it('cloud-quota draws the bar of the deployed VMs', async () => {
    const reply = await messageOf('cloud-quota', 'rita', { project: 'web' });
    expect(reply).toMatchObject({ title: 'Quotas of web', tone: 'info', ephemeral: true });
    expect(reply.lines).toEqual(['compute_vm: [██░░░░░░░░] 2/10 (20%)']);
  });

  it('cloud-quota of a project without quotas or deployments says so, and needs read access', async () => {
    expect((await messageOf('cloud-quota', 'carol', { project: 'lists' })).lines).toEqual(['No quotas set and nothing deployed yet.']);
    expect((await rejection(run('cloud-quota', 'carol', { project: 'web' }))).code).toBe('PERMISSION_DENIED');
  });

  it('cloud-cancel of an applied session says there is nothing to cancel', async () => {
    const error = await rejection(run('cloud-cancel', 'alice', { session_id: sessionId }));
    expect(error.code).toBe('INVALID_STATE');
    expect(asMessage(errorReply(error)).title).toBe('Not possible right now');
  });
});

describe('a policy failure', () => {
  it('shows PLAN_FAILED with MISSING_TAGS among the problems and no approve button', async () => {
    const opened = await lobbyOf('cloud-deploy', 'alice', { project: 'tagged' });
    const { lobby, planned } = await actions.addResource(opened.sessionId, 'alice', { type: 'sandbox.vm', name: 'web', config: { tags: { owner: 'ops' } } });
    expect(lobby.state).toBe('DRAFT');
    const failed = await planned;
    expect(failed.state).toBe('PLAN_FAILED');
    expect(failed.stateLabel).toBe(STATE_LABELS.PLAN_FAILED);
    expect(failed.plan).toBeNull();
    expect(failed.problems.length).toBeGreaterThan(0);
    expect(failed.problems.some((line) => line.includes('MISSING_TAGS') && line.includes('"team"'))).toBe(true);
    expect(failed.actions).toEqual({ approve: false, add: true, edit: true, remove: true, refresh: true, cancel: true, change: false, destroy: false, withdraw: false });
    const text = renderLobbyText(failed);
    expect(text).toContain('Problems:');
    expect(text.some((line) => line.startsWith('  ') && line.includes('MISSING_TAGS'))).toBe(true);
  });
});

describe('cloud-list', () => {
  it('pages twelve deployments as ten, then two, newest first, each naming its open change and its owner', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await lobbyOf('cloud-deploy', 'carol', { project: 'lists' })).sessionId);

    const first = await messageOf('cloud-list', 'carol');
    expect(first).toMatchObject({ title: 'Deployments', ephemeral: true, page: { index: 1, count: 2 } });
    expect(first.lines).toHaveLength(PAGE_SIZE);
    expect(first.lines[0]).toMatch(new RegExp(`^[a-z0-9_-]+ · lists · NEW · 0 resources · open change ${ids[11]} by carol \\(DRAFT\\)$`));

    const second = await messageOf('cloud-list', 'carol', { page: 2 });
    expect(second.page).toEqual({ index: 2, count: 2 });
    expect(second.lines).toHaveLength(2);
    const openChange = (line: string) => /open change (\w+)/.exec(line)?.[1];
    expect([...first.lines, ...second.lines].map(openChange).sort()).toEqual([...ids].sort());

    expect((await messageOf('cloud-list', 'carol', { page: 99 })).page).toEqual({ index: 2, count: 2 });
  });

  it('shows an applied deployment with its resources and monthly cost, and "No deployments." for someone with none', async () => {
    const lines = (await messageOf('cloud-list', 'alice')).lines;
    const applied = (await t.kernel.orchestrator.listSessions({ projectId: 'web', states: ['APPLIED'] }))[0]!;
    expect(lines).toContain(`${applied.deploymentName} · web · ACTIVE · 2 resources · $0.00/month`);
    expect((await messageOf('cloud-list', 'nobody')).lines).toEqual(['No deployments.']);
  });

  it('lists one project with project:, and refuses a project the user cannot read', async () => {
    const reply = await messageOf('cloud-list', 'alice', { project: 'web' });
    expect(reply.title).toBe('Deployments of web');
    expect(reply.lines.every((line) => line.split(' · ')[1] === 'web')).toBe(true);
    expect((await rejection(run('cloud-list', 'carol', { project: 'web' }))).code).toBe('PERMISSION_DENIED');
  });

  it('rejects a page that is not a whole number as INVALID_INPUT on page', async () => {
    const error = await rejection(run('cloud-list', 'carol', { page: 'two' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('page');
  });
});

describe('cancelling', () => {
  it('cloud-cancel of one’s own draft shows a CANCELLED lobby with no buttons but refresh', async () => {
    const opened = await lobbyOf('cloud-deploy', 'alice', { project: 'web' });
    const lobby = await lobbyOf('cloud-cancel', 'alice', { session_id: opened.sessionId });
    expect(lobby.state).toBe('CANCELLED');
    expect(lobby.stateLabel).toBe(STATE_LABELS.CANCELLED);
    expect(lobby.actions).toEqual({ approve: false, add: false, edit: false, remove: false, refresh: true, cancel: false, change: false, destroy: false, withdraw: false });
  });

  it('cloud-admin-cancel of someone else’s session is PERMISSION_DENIED for a deploy user and works for a project admin', async () => {
    const bobs = await lobbyOf('cloud-deploy', 'bob', { project: 'web' });
    expect((await rejection(run('cloud-admin-cancel', 'alice', { session_id: bobs.sessionId }))).code).toBe('PERMISSION_DENIED');
    expect((await rejection(run('cloud-cancel', 'alice', { session_id: bobs.sessionId }))).code).toBe('PERMISSION_DENIED');

    const lobby = await lobbyOf('cloud-admin-cancel', 'dave', { session_id: bobs.sessionId });
    expect(lobby).toMatchObject({ sessionId: bobs.sessionId, owner: 'bob', state: 'CANCELLED' });
  });

  it('cancelling an unknown session is NOT_FOUND', async () => {
    expect((await rejection(run('cloud-cancel', 'alice', { session_id: 'nosuchsession' }))).code).toBe('NOT_FOUND');
  });
});

describe('cloud-admin-list', () => {
  it('lists every project’s sessions for a global admin', async () => {
    const reply = await messageOf('cloud-admin-list', ADMIN, { page: 1 });
    expect(reply.title).toBe('All deployments');
    expect(reply.page?.count).toBeGreaterThanOrEqual(2);
    const all = [reply];
    for (let page = 2; page <= reply.page!.count; page++) all.push(await messageOf('cloud-admin-list', ADMIN, { page }));
    const projects = new Set(all.flatMap((message) => message.lines).map((line) => line.split(' · ')[1]));
    expect([...projects].sort()).toEqual(['lists', 'tagged', 'web']);
  });

  it('lists one project’s sessions for its admin, filtered by state', async () => {
    const reply = await messageOf('cloud-admin-list', 'dave', { project: 'web' });
    expect(reply.title).toBe('Deployments of web');
    expect(reply.lines.every((line) => line.split(' · ')[1] === 'web')).toBe(true);
    expect(reply.lines.some((line) => line.includes(' · bob'))).toBe(true);

    const applied = await messageOf('cloud-admin-list', 'dave', { project: 'web', state: 'APPLIED' });
    expect(applied.lines).toHaveLength(1);
    expect(applied.lines[0]).toContain(' · APPLIED · 2 resources · alice');
  });

  it('refuses a project admin who names no project, and a deploy user who names one', async () => {
    const everywhere = await rejection(run('cloud-admin-list', 'dave', {}));
    expect(everywhere.code).toBe('PERMISSION_DENIED');
    expect(everywhere.message).toContain('global admins');
    expect((await rejection(run('cloud-admin-list', 'alice', { project: 'web' }))).code).toBe('PERMISSION_DENIED');
  });

  it('rejects an unknown state as INVALID_INPUT on state', async () => {
    const error = await rejection(run('cloud-admin-list', ADMIN, { state: 'DONE' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('state');
    expect(error.message).toContain('PLAN_READY');
  });

  it('says "No deployments." when the filter matches nothing', async () => {
    expect((await messageOf('cloud-admin-list', ADMIN, { project: 'other' })).lines).toEqual(['No deployments.']);
  });
});

describe('cloud-grant and cloud-revoke', () => {
  it('grants for 2h: the message says for how long and until when, and the grant expires in two hours', async () => {
    const before = Date.now();
    const reply = await messageOf('cloud-grant', 'dave', { user: 'erin', project: 'web', permission: 'deploy', duration: '2h' });
    const after = Date.now();
    expect(reply).toMatchObject({ title: 'Access granted', tone: 'success', ephemeral: false });
    expect(reply.lines).toHaveLength(1);
    expect(reply.lines[0]).toMatch(/^Granted deploy on web to erin for 2h, until \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);

    const grant = (await t.kernel.access.list('web')).find((row) => row.userId === 'erin');
    expect(grant).toMatchObject({ level: 'deploy', grantedBy: 'dave', expired: false });
    const expiresAt = grant!.expiresAt!.getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 2 * 3_600_000);
    expect(reply.lines[0]).toContain(`until ${grant!.expiresAt!.toISOString().replace('T', ' ').slice(0, 16)} UTC`);
    expect(await t.kernel.access.check('erin', 'web', 'deploy')).toBe(true);
  });

  it('still says "for 2h" when the clock ticks between reading the duration and storing the grant', async () => {
    // Date.now() lags a millisecond behind new Date(), as when a tick falls between the two reads.
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 1);
    const reply = await messageOf('cloud-grant', 'dave', { user: 'erin', project: 'web', permission: 'read', duration: '2h' });
    expect(reply.lines[0]).toContain(' for 2h, until ');
  });

  it('grants without a duration until revoked', async () => {
    const reply = await messageOf('cloud-grant', ADMIN, { user: 'frank', project: 'other', permission: 'read' });
    expect(reply.lines).toEqual(['Granted read on other to frank until revoked.']);
    expect((await t.kernel.access.list('other')).find((row) => row.userId === 'frank')?.expiresAt).toBeNull();
  });

  it('rejects the duration "soon" as INVALID_INPUT on duration, and grants nothing', async () => {
    const error = await rejection(run('cloud-grant', 'dave', { user: 'gina', project: 'web', permission: 'read', duration: 'soon' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('duration');
    expect(error.message).toContain('"soon"');
    expect((await t.kernel.access.list('web')).some((row) => row.userId === 'gina')).toBe(false);

    const reply = errorReply(error);
    expect(asMessage(reply)).toMatchObject({ title: 'Invalid input', tone: 'error', ephemeral: true, fields: [{ name: 'Field', value: 'duration' }] });
  });

  it('refuses a deploy user who grants, and a project admin who grants admin elsewhere', async () => {
    expect((await rejection(run('cloud-grant', 'alice', { user: 'gina', project: 'web', permission: 'read' }))).code).toBe('PERMISSION_DENIED');
    expect((await rejection(run('cloud-grant', 'dave', { user: 'gina', project: 'lists', permission: 'read' }))).code).toBe('PERMISSION_DENIED');
  });

  it('revokes a grant: the user loses access at once; revoking again is NOT_FOUND', async () => {
    const reply = await messageOf('cloud-revoke', 'dave', { user: 'erin', project: 'web' });
    expect(reply).toMatchObject({ title: 'Access revoked', tone: 'success', ephemeral: false });
    expect(reply.lines).toEqual(["Revoked erin's access to web. It takes effect at their next action."]);
    expect(await t.kernel.access.check('erin', 'web', 'read')).toBe(false);
    expect((await rejection(run('cloud-revoke', 'dave', { user: 'erin', project: 'web' }))).code).toBe('NOT_FOUND');
  });

  it('refuses a revoke by a deploy user', async () => {
    expect((await rejection(run('cloud-revoke', 'alice', { user: 'bob', project: 'web' }))).code).toBe('PERMISSION_DENIED');
    expect(await t.kernel.access.check('bob', 'web', 'deploy')).toBe(true);
  });
});

describe('cloud-create-project', () => {
  it('creates a project with JSON settings for a global admin', async () => {
    const reply = await messageOf('cloud-create-project', ADMIN, {
      project_id: 'made-in-chat',
      provider: 'sandbox',
      settings: '{"policies": {"required-tags": {"keys": ["team"]}}}',
    });
    expect(reply).toMatchObject({ title: 'Project created', tone: 'success', ephemeral: false });
    expect(reply.lines).toEqual(['Project made-in-chat (sandbox) created; you are its admin.']);
    const project = await t.kernel.projects.get('made-in-chat');
    expect(project.settings).toMatchObject({ policies: { 'required-tags': { keys: ['team'] } } });
  });

  it('creates a project without settings', async () => {
    await messageOf('cloud-create-project', ADMIN, { project_id: 'plain', provider: 'sandbox' });
    expect((await t.kernel.projects.get('plain')).provider).toBe('sandbox');
  });

  it.each([
    ['{"region": ', 'not valid JSON'],
    ['null', 'JSON object'],
    ['[1, 2]', 'JSON object'],
  ])('rejects settings %j as INVALID_INPUT on settings', async (settings, hint) => {
    const error = await rejection(run('cloud-create-project', ADMIN, { project_id: 'broken', provider: 'sandbox', settings }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('settings');
    expect(error.message).toContain(hint);
    expect((await rejection(t.kernel.projects.get('broken'))).code).toBe('NOT_FOUND');
  });

  it('refuses a project admin who is not a global admin', async () => {
    expect((await rejection(run('cloud-create-project', 'dave', { project_id: 'daves', provider: 'sandbox' }))).code).toBe('PERMISSION_DENIED');
  });
});

describe('cloud-set-quota', () => {
  it('sets a limit and shows the bar of current usage', async () => {
    const reply = await messageOf('cloud-set-quota', 'dave', { project: 'web', resource_type: 'storage_bucket', limit: 4 });
    expect(reply).toMatchObject({ title: 'Quota set', tone: 'success', ephemeral: false });
    expect(reply.lines).toEqual(['storage_bucket on web: [░░░░░░░░░░] 0/4 (0%)']);
    expect((await messageOf('cloud-set-quota', 'dave', { project: 'web', resource_type: 'compute_vm', limit: '5' })).lines).toEqual([
      'compute_vm on web: [████░░░░░░] 2/5 (40%)',
    ]);
    expect((await messageOf('cloud-quota', 'alice', { project: 'web' })).lines).toEqual(['compute_vm: [████░░░░░░] 2/5 (40%)', 'storage_bucket: [░░░░░░░░░░] 0/4 (0%)']);
  });

  it('rejects a limit that is not a whole number, and a deploy user', async () => {
    const error = await rejection(run('cloud-set-quota', 'dave', { project: 'web', resource_type: 'compute_vm', limit: '2.5' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('limit');
    expect((await rejection(run('cloud-set-quota', 'alice', { project: 'web', resource_type: 'compute_vm', limit: 50 }))).code).toBe('PERMISSION_DENIED');
  });
});

describe('cloud-stats', () => {
  it('counts sessions, plans and deployed resources for a global admin', async () => {
    const reply = await messageOf('cloud-stats', ADMIN);
    expect(reply.title).toBe('Cloud Engine statistics');
    expect(reply.lines).toHaveLength(5);
    expect(reply.lines[4]).toBe('Next lifecycle actions: none');
    expect(reply.lines[0]).toMatch(/^Sessions: \d+ · plans: \d+ · resources deployed: 2$/);
    expect(reply.lines[1]).toMatch(/^By state: .*APPLIED 1/);
    expect(reply.lines[1]).toContain('PLAN_FAILED 1');
    expect(reply.lines[2]).toContain('lists 12');
    // Sandbox sessions have no provider plugin: the pool is on but has nothing to serve.
    expect(reply.lines[3]).toBe('Terraform: 0 running, 0 queued (cap 2) · provider pool: 0 processes (0 idle), 0 hits, 0 misses, 0 fallbacks');
  });

  it('is PERMISSION_DENIED for a project admin', async () => {
    expect((await rejection(run('cloud-stats', 'dave'))).code).toBe('PERMISSION_DENIED');
  });
});

describe('suggest', () => {
  it('offers only projects where the user may deploy, filtered by what was typed', async () => {
    expect(await suggest(chatApiOf(t.kernel), 'deployable-projects', 'alice', '')).toEqual(['tagged', 'web']);
    expect(await suggest(chatApiOf(t.kernel), 'readable-projects', 'alice', '')).toEqual(['other', 'tagged', 'web']);
    expect(await suggest(chatApiOf(t.kernel), 'deployable-projects', 'alice', 'WE')).toEqual(['web']);
    expect(await suggest(chatApiOf(t.kernel), 'administered-projects', 'dave', '')).toEqual(['web']);
    expect(await suggest(chatApiOf(t.kernel), 'deployable-projects', 'nobody', '')).toEqual([]);
  });

  it('offers only the user’s own open sessions', async () => {
    const open = await lobbyOf('cloud-deploy', 'alice', { project: 'web' });
    const bobs = await lobbyOf('cloud-deploy', 'bob', { project: 'web' });
    const own = await suggest(chatApiOf(t.kernel), 'own-sessions', 'alice', '');
    expect(own).toContain(open.sessionId);
    expect(own).not.toContain(bobs.sessionId);
    const alices = await t.kernel.orchestrator.listSessions({ userId: 'alice' });
    const expected = alices.filter((session) => ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED'].includes(session.state)).map((session) => session.id);
    expect([...own].sort()).toEqual([...expected].sort());
    expect(alices.some((session) => session.state === 'APPLIED' && own.includes(session.id))).toBe(false);
  });

  it('offers a project admin the open sessions of projects they administer', async () => {
    const any = await suggest(chatApiOf(t.kernel), 'any-sessions', 'dave', '');
    const web = await t.kernel.orchestrator.listSessions({ projectId: 'web', states: ['DRAFT', 'PLAN_READY', 'PLAN_FAILED'] });
    expect(any.length).toBeGreaterThan(0);
    expect([...any].sort()).toEqual(web.map((session) => session.id).sort());
  });

  it('lists the quota keys of every resource type, sorted', async () => {
    const keys = await suggest(chatApiOf(t.kernel), 'quota-keys', 'alice', '');
    expect(keys).toEqual(expect.arrayContaining(['compute_vm', 'storage_bucket', 'database']));
    expect(keys).toEqual([...keys].sort());
    expect(await suggest(chatApiOf(t.kernel), 'quota-keys', 'alice', 'stor')).toEqual(['storage_bucket']);
  });
});

function asMessage(reply: ChatReply): ChatMessage {
  if (reply.kind !== 'message') throw new Error(`expected a message, got a ${reply.kind}`);
  return reply.message;
}

describe('deployments: open by name, change after APPLIED, edit, remove, destroy', () => {
  // A project of its own (replacing allowed), after the tests above that count what exists.
  let applied: string;
  let change: string;
  beforeAll(async () => {
    await createProject(t.kernel, { id: 'shop', provider: 'sandbox', settings: { policies: { 'destroy-guard': { allowReplace: true } } } }, { alice: 'deploy', bob: 'deploy', rita: 'read' });
  });

  it('cloud-deploy deployment:store opens a new deployment of that name, its lobby naming it; a network and a VM in it are applied', async () => {
    const opened = await lobbyOf('cloud-deploy', 'alice', { project: 'shop', deployment: 'store' });
    expect(opened).toMatchObject({ deploymentName: 'store', state: 'DRAFT', resources: [] });
    expect(renderLobbyText(opened)[0]).toBe(`── Session ${opened.sessionId} · deployment store · project shop (sandbox) · owner alice`);
    await actions.addResource(opened.sessionId, 'alice', { type: 'sandbox.network', name: 'net', config: {} });
    const { planned } = await actions.addResource(opened.sessionId, 'alice', { type: 'sandbox.vm', name: 'web', config: { network: 'net' } });
    expect((await planned).plan?.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    const done = await actions.approve(opened.sessionId, 'bob');
    expect(done.state).toBe('APPLIED');
    expect(done.actions).toMatchObject({ change: true, destroy: true, add: false, edit: false, remove: false });
    applied = opened.sessionId;
  });

  it('Change after APPLIED opens a change of the same deployment with its current resources and no plan yet', async () => {
    const lobby = await actions.change(applied, 'bob');
    change = lobby.sessionId;
    expect(change).not.toBe(applied);
    expect(lobby).toMatchObject({ deploymentName: 'store', owner: 'bob', state: 'DRAFT', plan: null });
    expect(lobby.resources.map((resource) => resource.name).sort()).toEqual(['net', 'web']);
    expect(lobby.resources.find((resource) => resource.name === 'web')!.detail).toContain('network=net');
    expect(lobby.actions).toMatchObject({ add: true, edit: true, remove: true, change: false, destroy: false });
  });

  it('cloud-deploy of that deployment while the change is open is LOCKED: the kernel names the change, its owner and since when, privately', async () => {
    const error = await rejection(run('cloud-deploy', 'alice', { project: 'shop', deployment: 'store' }));
    expect(error.code).toBe('LOCKED');
    expect(error.message).toMatch(new RegExp(`Deployment store already has an open change: session ${change} by bob, DRAFT since \\d{4}-`));
    expect(asMessage(errorReply(error))).toMatchObject({ title: 'Busy', ephemeral: true, tone: 'error' });
    // Change on the applied lobby is the same refusal.
    expect((await rejection(actions.change(applied, 'alice'))).code).toBe('LOCKED');
  });

  it('suggests the project’s deployments for deployment:, and nothing for a project the user cannot read', async () => {
    expect(await suggest(chatApiOf(t.kernel), 'project-deployments', 'alice', 'st', { project: 'shop' })).toEqual(['store']);
    expect(await suggest(chatApiOf(t.kernel), 'project-deployments', 'alice', '', {})).toContain('store');
    expect(await suggest(chatApiOf(t.kernel), 'project-deployments', 'carol', '', { project: 'shop' })).toEqual([]);
  });

  it('cloud-list shows the deployment: state, resources, monthly cost and the open change with its owner', async () => {
    const reply = await messageOf('cloud-list', 'rita', { project: 'shop' });
    expect(reply.lines).toEqual([`store · shop · ACTIVE · 2 resources · $0.00/month · open change ${change} by bob (DRAFT)`]);
  });

  it('Edit Resource changes the VM in place: the plan shows an update, and what was not typed is kept', async () => {
    const { lobby, planned } = await actions.editResource(change, 'bob', 'web', { size: 'large' });
    expect(lobby.resources.find((resource) => resource.name === 'web')!.detail).toBe('size=large, image=debian-12, bootSeconds=0, network=net');
    const ready = await planned;
    expect(ready.state).toBe('PLAN_READY');
    expect(ready.plan).toMatchObject({ summary: 'Plan: 0 to add, 1 to change, 0 to destroy.', changes: ['~ terraform_data.web (update in place)'] });
    expect(ready.cost?.delta).toBe('±$0.00/month');
  });

  it('Remove Resource of the network the VM refers to is refused with the kernel’s message, and changes nothing', async () => {
    const error = await rejection(actions.removeResource(change, 'bob', 'net'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('"net" cannot be removed while web refers to it');
    const lobby = await actions.lobby(change, 'bob');
    expect(lobby.state).toBe('PLAN_READY');
    expect(lobby.resources.map((resource) => resource.name).sort()).toEqual(['net', 'web']);
  });

  it('an edit that forces a new machine is shown as a replace; removing the VM as a destroy', async () => {
    const replaced = await (await actions.editResource(change, 'bob', 'web', { image: 'ubuntu-24' })).planned;
    expect(replaced.plan?.changes).toEqual(['-/+ terraform_data.web (replace)']);
    await actions.editResource(change, 'bob', 'web', { image: 'debian-12' });
    const removed = await (await actions.removeResource(change, 'bob', 'web')).planned;
    expect(removed.plan).toMatchObject({ summary: 'Plan: 0 to add, 0 to change, 1 to destroy.', changes: ['- terraform_data.web (destroy)'] });
    await actions.cancel(change, 'bob');
  });

  it('Destroy plans the teardown of every resource (the VM before the network it is in) as a lobby to approve; approved, the deployment is DESTROYED', async () => {
    const teardown = await actions.destroy(applied, 'alice');
    expect(teardown).toMatchObject({ deploymentName: 'store', state: 'PLAN_READY', resources: [] });
    expect(teardown.plan?.summary).toBe('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect([...teardown.plan!.changes].sort()).toEqual(['- terraform_data.net (destroy)', '- terraform_data.web (destroy)']);
    expect(teardown.actions.approve).toBe(true);
    const done = await actions.approve(teardown.sessionId, 'bob');
    expect(done.state).toBe('APPLIED');
    expect(done.actions).toMatchObject({ change: true, destroy: false });
    expect(await t.kernel.deployments.get('store', undefined, 'shop')).toMatchObject({ state: 'DESTROYED', resources: [], openSessionId: null });
    expect((await messageOf('cloud-list', 'rita', { project: 'shop' })).lines).toEqual(['store · shop · DESTROYED · 0 resources']);
  });

  it('Destroy by a reader is refused and opens nothing', async () => {
    expect((await rejection(actions.destroy(applied, 'rita'))).code).toBe('PERMISSION_DENIED');
    expect((await t.kernel.deployments.get('store', undefined, 'shop')).openSessionId).toBeNull();
  });
});

describe('deployments that expire', () => {
  it('cloud-deploy ttl:2h gives a new deployment its expiry, shown in the lobby and in cloud-list; extend moves it', async () => {
    await createProject(t.kernel, { id: 'expiring', provider: 'sandbox', settings: { lifecycle: { maxTtl: '1d' } } }, { alice: 'deploy', rita: 'read' });
    const lobby = await lobbyOf('cloud-deploy', 'alice', { project: 'expiring', deployment: 'preview', ttl: '2h' });
    expect(lobby.expiresAt).toEqual((await t.kernel.deployments.get(lobby.deploymentId)).expiresAt);
    expect(lobby.expiry).toMatch(/^expires in (2 h|1 h 59 min)$/);
    expect(renderLobbyText(lobby)).toContain(`TTL: ${lobby.expiry}`);
    const list = await messageOf('cloud-list', 'alice', { project: 'expiring' });
    expect(list.lines.join('\n')).toMatch(/preview · expiring · NEW · 0 resources · expires in (2 h|1 h 59 min)/);
    const extended = await actions.extend(lobby.deploymentId, 'alice', '3h');
    expect(extended.line).toMatch(/^Deployment preview extended by alice: expires in (5 h|4 h 59 min) \(at /);
    expect((await rejection(actions.extend(lobby.deploymentId, 'rita'))).code).toBe('PERMISSION_DENIED');
  });

  it('refuses bad TTLs with the kernel INVALID_INPUT naming the field', async () => {
    for (const ttl of ['0', '-1h', '10y', '2d']) {
      const error = await rejection(run('cloud-deploy', 'alice', { project: 'expiring', ttl }));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'ttl' });
      expect(errorReply(error)).toMatchObject({ kind: 'message', message: { ephemeral: true, tone: 'error' } });
    }
  });
});
