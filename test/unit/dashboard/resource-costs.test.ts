import { describe, expect, it } from 'vitest';
import type { CostLine } from '../../../src/kernel/plugin/cost-estimator.js';
import type { PlannedChange, SessionView } from '../../../src/kernel/sessions/session-view.js';
import { resourceCosts } from '../../../src/dashboard/views/resource-costs.js';

/** A session of the deployment as `getSession` returns it, with only what the walk reads. */
function session(id: string, state: SessionView['state'], changes: PlannedChange[], lines: Partial<CostLine>[], unpriced: { address: string; reason: string }[] = []): SessionView {
  const full = lines.map((line) => ({ type: 'aws_instance', action: 'create', hourly: 0, monthly: 0, monthlyDelta: 0, assumption: 'test', address: '', ...line }) as CostLine);
  return {
    id,
    state,
    plan: { id: `p-${id}`, changes, cost: { currency: 'USD', hourly: 0, monthly: 0, monthlyDelta: 0, lines: full, unpriced } },
  } as unknown as SessionView;
}

const change = (address: string, resource?: string): PlannedChange => ({ address, type: address.split('.')[0]!, actions: ['update'], ...(resource ? { resource } : {}) });

describe('cost per resource of a deployment', () => {
  it('takes each address from the newest applied plan that priced it, sums a resource\'s addresses, and skips unapplied changes', () => {
    const sessions = [
      session('s4', 'PLAN_READY', [change('aws_instance.vm', 'vm')], [{ address: 'aws_instance.vm', monthly: 999 }]),
      session('s3', 'APPLIED', [change('aws_instance.vm', 'vm')], [{ address: 'aws_instance.vm', monthly: 30.37, action: 'update' }]),
      session('s2', 'FAILED', [change('aws_db_instance.db', 'db')], [{ address: 'aws_db_instance.db', monthly: 500 }]),
      session(
        's1',
        'APPLIED',
        [change('aws_instance.vm', 'vm'), change('aws_db_instance.db', 'db'), change('aws_ebs_volume.db_disk', 'db')],
        [
          { address: 'aws_instance.vm', monthly: 15.18 },
          { address: 'aws_db_instance.db', monthly: 100 },
          { address: 'aws_ebs_volume.db_disk', monthly: 8 },
        ],
      ),
    ];
    const costs = resourceCosts([{ name: 'vm' }, { name: 'db' }], sessions);
    expect(costs.map((cost) => [cost.resource, cost.monthly, cost.lines.map((line) => line.sessionId)])).toEqual([
      ['vm', 30.37, ['s3']],
      ['db', 108, ['s1', 's1']],
    ]);
  });

  it('drops an address whose newest priced change deleted it, stops at the last teardown, and says why a resource is unpriced', () => {
    const sessions = [
      session('s3', 'APPLIED', [change('aws_instance.old'), change('aws_sqs_queue.jobs', 'jobs')], [{ address: 'aws_instance.old', monthly: 0, action: 'delete' }], [
        { address: 'aws_sqs_queue.jobs', reason: 'billed by use' },
      ]),
      session('s2', 'DESTROYED', [], []),
      session('s1', 'APPLIED', [change('aws_instance.vm', 'vm'), change('aws_instance.old', 'old')], [
        { address: 'aws_instance.vm', monthly: 15 },
        { address: 'aws_instance.old', monthly: 15 },
      ]),
    ];
    const costs = resourceCosts([{ name: 'vm' }, { name: 'jobs' }, { name: 'old' }], sessions);
    expect(costs).toEqual([
      { resource: 'vm', monthly: null, lines: [], unpriced: [] },
      { resource: 'jobs', monthly: null, lines: [], unpriced: ['aws_sqs_queue.jobs: billed by use'] },
      { resource: 'old', monthly: null, lines: [], unpriced: [] },
    ]);
  });
});
