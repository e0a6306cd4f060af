import { describe, expect, it } from 'vitest';
import { summarizePlan, type ChangeAction, type PlanJson, type ResourceChange } from '../../../../src/kernel/terraform/plan-json.js';

function change(address: string, actions: ChangeAction[], mode: 'managed' | 'data' = 'managed'): ResourceChange {
  const [type = '', name = ''] = address.replace(/^data\./, '').split('.');
  return {
    address,
    mode,
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: { actions, before: null, after: null, after_unknown: {}, before_sensitive: false, after_sensitive: false },
  };
}

function plan(...changes: ResourceChange[]): PlanJson {
  return { format_version: '1.2', terraform_version: '1.11.4', resource_changes: changes };
}

describe('summarizePlan', () => {
  it('counts a create as one to add', () => {
    const summary = summarizePlan(plan(change('aws_s3_bucket.logs', ['create'])));
    expect(summary).toMatchObject({ toAdd: 1, toChange: 0, toDestroy: 0 });
    expect(summary.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(summary.changes).toEqual([{ address: 'aws_s3_bucket.logs', type: 'aws_s3_bucket', actions: ['create'] }]);
  });

  it('counts an update as one to change and a delete as one to destroy', () => {
    const summary = summarizePlan(plan(change('aws_instance.web', ['update']), change('aws_instance.old', ['delete'])));
    expect(summary.summary).toBe('Plan: 0 to add, 1 to change, 1 to destroy.');
  });

  it('counts a replace in either order as one to add and one to destroy', () => {
    const summary = summarizePlan(
      plan(change('aws_instance.a', ['delete', 'create']), change('aws_instance.b', ['create', 'delete'])),
    );
    expect(summary).toMatchObject({ toAdd: 2, toChange: 0, toDestroy: 2 });
    expect(summary.summary).toBe('Plan: 2 to add, 0 to change, 2 to destroy.');
    expect(summary.changes.map((c) => c.actions)).toEqual([
      ['delete', 'create'],
      ['create', 'delete'],
    ]);
  });

  it('leaves no-op and read changes out of the counts and the list', () => {
    const summary = summarizePlan(
      plan(
        change('aws_vpc.main', ['no-op']),
        change('data.aws_ami.ubuntu', ['read'], 'data'),
        change('aws_instance.web', ['read']),
        change('aws_subnet.a', ['create']),
      ),
    );
    expect(summary.changes.map((c) => c.address)).toEqual(['aws_subnet.a']);
    expect(summary.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('says "No changes" when only no-ops and data-source reads are planned', () => {
    const summary = summarizePlan(plan(change('aws_vpc.main', ['no-op']), change('data.aws_ami.ubuntu', ['read'], 'data')));
    expect(summary).toEqual({
      toAdd: 0,
      toChange: 0,
      toDestroy: 0,
      changes: [],
      summary: 'No changes. Your infrastructure matches the configuration.',
    });
  });

  it('says "No changes" for a plan without resource_changes', () => {
    expect(summarizePlan({ format_version: '1.2', terraform_version: '1.11.4' }).summary).toBe(
      'No changes. Your infrastructure matches the configuration.',
    );
  });
});
