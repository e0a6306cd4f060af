import { describe, expect, it } from 'vitest';
import { DeploymentState } from '../../../src/kernel/sessions/deployment-state.js';
import { PLAN_ACTIONS, STATE_LABELS, changeLine, formatDelta, renderLobbyText, type LobbyModel } from '../../../src/chat/lobby.js';

const base: LobbyModel = {
  sessionId: 's1',
  deploymentId: 'd1',
  deploymentName: 'shop',
  projectId: 'web',
  provider: 'sandbox',
  owner: 'alice',
  state: 'DRAFT',
  stateLabel: STATE_LABELS.DRAFT,
  queuePosition: null,
  resources: [],
  plan: null,
  cost: null,
  quotas: [],
  problems: [],
  outputs: null,
  expiresAt: null,
  expiry: null,
  drift: null,
  approvals: null,
  actions: { approve: false, add: true, edit: false, remove: false, refresh: true, cancel: true, change: false, destroy: false, withdraw: false },
};

describe('STATE_LABELS', () => {
  it('labels every deployment state', () => {
    expect(Object.keys(STATE_LABELS).sort()).toEqual(Object.values(DeploymentState).sort());
    for (const label of Object.values(STATE_LABELS)) expect(label.trim()).not.toBe('');
  });
});

describe('renderLobbyText', () => {
  it('shows an empty draft as header, state and "none yet"', () => {
    expect(renderLobbyText(base)).toEqual([
      '── Session s1 · deployment shop · project web (sandbox) · owner alice',
      'State: 📝 Draft — add resources to plan',
      'Resources: none yet',
    ]);
  });

  it('shows resources, plan, cost with unpriced items, quota bars, problems and outputs in that order', () => {
    const lines = renderLobbyText({
      ...base,
      state: 'PLAN_FAILED',
      stateLabel: STATE_LABELS.PLAN_FAILED,
      resources: [
        { name: 'web', type: 'sandbox.vm', detail: 'size=small' },
        { name: 'assets', type: 'sandbox.bucket', detail: '' },
      ],
      plan: { id: 'p1', summary: 'Plan: 2 to add, 0 to change, 0 to destroy.', changes: ['+ terraform_data.web', '+ terraform_data.assets'] },
      cost: { text: '$0.01/hour | $7.30/month', delta: '+$7.30/month', unpriced: ['aws_thing.x: no price'] },
      quotas: [{ quotaKey: 'compute_vm', bar: '[██░░░░░░░░] 2/10 (20%)' }],
      problems: ['web: missing tag [MISSING_TAGS]'],
      outputs: { web: { id: 'abc', ip: '10.0.0.1' } },
    });
    expect(lines).toEqual([
      '── Session s1 · deployment shop · project web (sandbox) · owner alice',
      'State: ❌ Plan failed',
      'Resources (2):',
      '  • web — sandbox.vm (size=small)',
      '  • assets — sandbox.bucket',
      'Plan: 2 to add, 0 to change, 0 to destroy.',
      '  + terraform_data.web',
      '  + terraform_data.assets',
      'Cost: $0.01/hour | $7.30/month (change: +$7.30/month)',
      '  unpriced: aws_thing.x: no price',
      'Quota compute_vm: [██░░░░░░░░] 2/10 (20%)',
      'Problems:',
      '  web: missing tag [MISSING_TAGS]',
      'Outputs:',
      '  web: {"id":"abc","ip":"10.0.0.1"}',
    ]);
  });

  it('lists at most 20 planned changes and says how many more there are', () => {
    const changes = Array.from({ length: 23 }, (_, i) => `+ terraform_data.r${i}`);
    const lines = renderLobbyText({ ...base, plan: { id: 'p1', summary: 'Plan: 23 to add, 0 to change, 0 to destroy.', changes } });
    expect(lines.filter((line) => line.startsWith('  + '))).toHaveLength(20);
    expect(lines).toContain('  … and 3 more');
  });

  it("shows a blueprint as one resource with its parts' addresses under it", () => {
    const parts = ['aws_vpc.web-Network', 'aws_subnet.web-Subnet', 'aws_instance.web'];
    const lines = renderLobbyText({ ...base, resources: [{ name: 'web', type: 'aws.web_service', detail: 'port=80', parts }, { name: 'db', type: 'aws.db_instance', detail: '' }] });
    expect(lines.slice(2)).toEqual([
      'Resources (2):',
      '  • web — aws.web_service (port=80)',
      '      parts: aws_vpc.web-Network, aws_subnet.web-Subnet, aws_instance.web',
      '  • db — aws.db_instance',
    ]);
  });

  it('leaves out the outputs heading when there are no outputs', () => {
    expect(renderLobbyText({ ...base, outputs: {} }).some((line) => line.startsWith('Outputs'))).toBe(false);
  });
});

describe('changeLine', () => {
  it.each([
    [['create'], '+ terraform_data.web'],
    [['update'], '~ terraform_data.web (update in place)'],
    [['delete'], '- terraform_data.web (destroy)'],
    [['delete', 'create'], '-/+ terraform_data.web (replace)'],
    [['create', 'delete'], '+/- terraform_data.web (replace, new one first)'],
    [['read'], '<= terraform_data.web (read)'],
  ])('says what terraform will do for actions %j', (actions, line) => {
    expect(changeLine(actions, 'terraform_data.web')).toBe(line);
  });

  it('counts both orders of terraform\'s replacement as a replace', () => {
    expect(PLAN_ACTIONS['delete,create']!.words).toMatch(/^replace/);
    expect(PLAN_ACTIONS['create,delete']!.words).toMatch(/^replace/);
  });

  it('shows actions it does not know as terraform names them', () => {
    expect(changeLine(['forget'], 'terraform_data.web')).toBe('forget terraform_data.web');
  });
});

describe('formatDelta', () => {
  it.each([
    [7.3, '+$7.30/month'],
    [-14.6, '−$14.60/month'],
    [0, '±$0.00/month'],
    [-0.001, '±$0.00/month'],
  ])('writes a monthly change of %d as %s', (delta, text) => {
    expect(formatDelta(delta)).toBe(text);
  });
});
