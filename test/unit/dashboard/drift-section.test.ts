import { describe, expect, it } from 'vitest';
import { driftSection } from '../../../src/dashboard/render/drift-section.js';
import type { DriftRecord } from '../../../src/kernel/drift/drift-record.js';

const viewer = { userId: 'alice', csrf: 'token-1' };
const now = new Date('2026-12-06T12:00:00Z');

/** A drift record as `kernel.deployments.get(id).drift` gives it after a check found the bucket's tags changed. */
const drifted: DriftRecord = {
  status: 'DRIFTED',
  checkedAt: new Date('2026-12-06T11:50:00Z'),
  checkedBy: 'cloud-engine',
  resources: [
    { address: 'aws_s3_bucket.files', resource: 'files', action: 'update', attributes: [{ path: 'tags.env', before: 'prod', after: '<img src=x onerror=alert(1)>' }, { path: 'tags.owner', before: undefined, after: 'mallory' }], more: 2 },
    { address: 'aws_instance.vm', resource: 'vm', action: 'delete', attributes: [], more: 0 },
  ],
  error: null,
  fingerprint: 'f1',
  dismissed: null,
};

describe('the drift section of a deployment page', () => {
  it('shows a drift per resource, the attributes old → new escaped, and offers Check, Reconcile and Dismiss with the CSRF token', () => {
    const text = driftSection(viewer, { id: 'd1', drift: drifted, nextDriftCheck: new Date('2026-12-06T13:00:00Z') }, now, { check: true, reconcile: true }).text;
    expect(text).toContain('drifted: 2 resources changed outside Cloud Engine');
    expect(text).toContain('2026-12-06 11:50 UTC (10 min ago) by cloud-engine');
    expect(text).toContain('<td id="drift-next">2026-12-06 13:00 UTC (in 1 h 0 min)</td>');
    expect(text).toContain('<td><code>tags.env</code></td><td class="was"><code>prod</code></td><td class="now"><code>&lt;img src=x onerror=alert(1)&gt;</code></td>');
    expect(text).toContain('<td class="was"><span class="muted">(not set)</span></td><td class="now"><code>mallory</code></td>');
    expect(text).toContain('… and 2 more attributes');
    expect(text).toContain('<td>vm</td><td><code>aws_instance.vm</code></td><td class="change-delete">gone from the cloud</td>');
    expect(text).not.toContain('<img');
    for (const action of ['check', 'reconcile', 'dismiss']) {
      expect(text).toContain(`action="/deployments/d1/drift/${action}"><input type="hidden" name="_csrf" value="token-1">`);
    }
  });

  it('once dismissed says by whom and offers no Dismiss; a reader is offered nothing', () => {
    const dismissed = { ...drifted, dismissed: { by: 'bob', at: new Date('2026-12-06T11:55:00Z') } };
    const text = driftSection(viewer, { id: 'd1', drift: dismissed, nextDriftCheck: null }, now, { check: true, reconcile: true }).text;
    expect(text).toContain('dismissed by bob at 2026-12-06 11:55 UTC');
    expect(text).toContain('id="drift-reconcile"');
    expect(text).not.toContain('id="drift-dismiss"');
    expect(text).toContain('none scheduled');
    const reader = driftSection(viewer, { id: 'd1', drift: drifted, nextDriftCheck: null }, now, { check: false, reconcile: false }).text;
    expect(reader).not.toMatch(/<form|<button/);
  });

  it('shows why a failed check could not tell', () => {
    const failed: DriftRecord = { ...drifted, status: 'FAILED', resources: [], fingerprint: null, error: 'terraform refresh failed: <AccessDenied>' };
    const text = driftSection(viewer, { id: 'd1', drift: failed, nextDriftCheck: null }, now, { check: true, reconcile: true }).text;
    expect(text).toContain('<p class="error" id="drift-error">The check could not tell: terraform refresh failed: &lt;AccessDenied&gt;</p>');
    expect(text).not.toContain('id="drift-reconcile"');
    expect(text).not.toContain('<table id="drifted">');
  });
});
