import { describe, expect, it } from 'vitest';
import { driftButtons, driftLines, driftStatusText } from '../../../src/chat/drift.js';
import type { DriftRecord } from '../../../src/kernel/drift/drift-record.js';
import { buttonCommand, renderMessage } from '../../../src/plugins/console/console-render.js';

const checkedAt = new Date('2026-12-06T10:00:00Z');
const drifted: DriftRecord = {
  status: 'DRIFTED',
  checkedAt,
  checkedBy: 'cloud-engine',
  resources: [
    {
      address: 'aws_s3_bucket.files',
      resource: 'files',
      action: 'update',
      attributes: Array.from({ length: 8 }, (_, index) => ({ path: `tags.k${index}`, before: 'a', after: index === 0 ? undefined : 'b' })),
      more: 2,
    },
    { address: 'aws_instance.vm', resource: 'web', action: 'delete', attributes: [], more: 0 },
  ],
  error: null,
  fingerprint: 'f1',
  dismissed: null,
};
const deployment = { name: 'shop', projectId: 'prod' };

describe('drift texts', () => {
  it('names each drifted resource, its resource when the address does not, the first attributes old → new and how many more', () => {
    const lines = driftLines(drifted, deployment);
    expect(lines[0]).toBe('Drift in deployment shop (prod): 2 resources changed outside Terraform (checked 2026-12-06T10:00:00.000Z by cloud-engine).');
    expect(lines[1]).toBe('• aws_s3_bucket.files: tags.k0 "a" → (unset); tags.k1 "a" → "b"; tags.k2 "a" → "b"; tags.k3 "a" → "b"; tags.k4 "a" → "b"; tags.k5 "a" → "b"; and 4 more');
    expect(lines[2]).toBe('• aws_instance.vm (web): deleted outside Terraform');
    expect(lines[3]).toMatch(/^Reconcile plans a change/);
  });

  it('says no drift, a failed check with its reason, and a dismissal with who and when', () => {
    expect(driftLines({ ...drifted, status: 'NONE', resources: [], fingerprint: null }, deployment)).toEqual([
      'No drift: the cloud matches what deployment shop (prod) declares (checked 2026-12-06T10:00:00.000Z by cloud-engine).',
    ]);
    expect(driftLines({ ...drifted, status: 'FAILED', resources: [], error: 'terraform plan failed: no credentials' }, deployment)).toEqual([
      'The drift check of deployment shop (prod) could not tell (checked 2026-12-06T10:00:00.000Z by cloud-engine):',
      'terraform plan failed: no credentials',
    ]);
    expect(driftLines({ ...drifted, dismissed: { by: 'bob', at: checkedAt } }, deployment).at(-1)).toBe(
      'Dismissed by bob at 2026-12-06T10:00:00.000Z: not announced again unless the drift changes.',
    );
  });

  it('gives a short status for lists, null before the first check', () => {
    const now = new Date(checkedAt.getTime() + 2 * 3_600_000);
    expect(driftStatusText(null, now)).toBeNull();
    expect(driftStatusText({ ...drifted, status: 'NONE' }, now)).toBe('drift: none (checked 2 h ago)');
    expect(driftStatusText(drifted, now)).toBe('drift: 2 resources changed outside Terraform (checked 2 h ago)');
    expect(driftStatusText({ ...drifted, dismissed: { by: 'bob', at: now } }, now)).toBe('drift: 2 resources changed outside Terraform, dismissed by bob (checked 2 h ago)');
    expect(driftStatusText({ ...drifted, status: 'FAILED' }, now)).toBe('drift: check failed (checked 2 h ago)');
  });

  it('offers Reconcile and Dismiss only for a drift, Dismiss only while it is not dismissed; the console names their commands', () => {
    expect(driftButtons(drifted, 'd1').map((button) => `${button.label}:${button.action}:${button.target}`)).toEqual(['Reconcile:reconcile:d1', 'Dismiss:dismiss-drift:d1']);
    expect(driftButtons({ ...drifted, dismissed: { by: 'bob', at: checkedAt } }, 'd1').map((button) => button.label)).toEqual(['Reconcile']);
    expect(driftButtons({ ...drifted, status: 'NONE' }, 'd1')).toEqual([]);
    const buttons = driftButtons(drifted, 'd1');
    expect(buttons.map(buttonCommand)).toEqual(['/reconcile d1', '/dismiss d1']);
    expect(renderMessage({ lines: ['x'], tone: 'warning', ephemeral: false, buttons })).toBe('⚠ x\n  Reconcile: /reconcile d1 · Dismiss: /dismiss d1');
  });
});
