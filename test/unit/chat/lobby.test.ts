import { describe, expect, it } from 'vitest';
import { DeploymentState } from '../../../src/kernel/sessions/deployment-state.js';
import { STATE_LABELS, renderLobbyText, type LobbyModel } from '../../../src/chat/lobby.js';

const base: LobbyModel = {
  sessionId: 's1',
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
  actions: { approve: false, add: true, refresh: true, cancel: true },
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
      '── Session s1 · project web (sandbox) · owner alice',
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
      cost: { text: '$0.00/hour | $0.00/month', unpriced: ['aws_thing.x: no price'] },
      quotas: [{ quotaKey: 'compute_vm', bar: '[██░░░░░░░░] 2/10 (20%)' }],
      problems: ['web: missing tag [MISSING_TAGS]'],
      outputs: { web: { id: 'abc', ip: '10.0.0.1' } },
    });
    expect(lines).toEqual([
      '── Session s1 · project web (sandbox) · owner alice',
      'State: ❌ Plan failed',
      'Resources (2):',
      '  • web — sandbox.vm (size=small)',
      '  • assets — sandbox.bucket',
      'Plan: 2 to add, 0 to change, 0 to destroy.',
      '  + terraform_data.web',
      '  + terraform_data.assets',
      'Cost: $0.00/hour | $0.00/month',
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

  it('leaves out the outputs heading when there are no outputs', () => {
    expect(renderLobbyText({ ...base, outputs: {} }).some((line) => line.startsWith('Outputs'))).toBe(false);
  });
});
