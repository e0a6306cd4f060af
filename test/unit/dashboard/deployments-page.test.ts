import { describe, expect, it } from 'vitest';
import { deploymentsPage } from '../../../src/dashboard/render/deployments.page.js';
import type { DeploymentView } from '../../../src/kernel/deployments/deployment-service.js';
import type { DriftRecord } from '../../../src/kernel/drift/drift-record.js';

const viewer = { userId: 'alice', csrf: 'token-1' };
const now = new Date('2026-12-06T12:00:00Z');
const checkedAt = new Date('2026-12-06T10:00:00Z');

function deployment(id: string, drift: DriftRecord | null): DeploymentView {
  return {
    id,
    name: id,
    projectId: 'shop',
    provider: 'sandbox',
    state: 'ACTIVE',
    version: 1,
    resources: [],
    outputs: null,
    monthlyCost: null,
    openSessionId: null,
    expiresAt: null,
    expiryFailure: null,
    drift,
    nextDriftCheck: null,
    sessions: [],
    createdAt: now,
    updatedAt: now,
  };
}

const record = (status: DriftRecord['status'], extra: Partial<DriftRecord> = {}): DriftRecord => ({
  status,
  checkedAt,
  checkedBy: 'cloud-engine',
  resources: status === 'DRIFTED' ? [{ address: 'aws_s3_bucket.b', resource: 'b', action: 'update', attributes: [{ path: 'tags.env', before: 'a', after: 'b' }], more: 0 }] : [],
  error: status === 'FAILED' ? 'terraform <said> no' : null,
  fingerprint: status === 'DRIFTED' ? 'f1' : null,
  dismissed: null,
  ...extra,
});

describe('the deployments page', () => {
  it("shows each deployment's last drift check in a word: not checked, none, drifted (dismissed), failed — escaped", () => {
    const text = String(
      deploymentsPage(
        viewer,
        [
          deployment('fresh', null),
          deployment('clean', record('NONE')),
          deployment('moved', record('DRIFTED')),
          deployment('known', record('DRIFTED', { dismissed: { by: 'bob', at: checkedAt } })),
          deployment('broken', record('FAILED')),
        ],
        [],
        now,
      ),
    );
    expect(text).toContain('<th>Drift</th>');
    const row = (id: string) => text.slice(text.indexOf(`data-deployment="${id}"`), text.indexOf('</tr>', text.indexOf(`data-deployment="${id}"`)));
    expect(row('fresh')).toContain('not checked');
    expect(row('clean')).toMatch(/none \(2 h( 0 min)? ago\)/);
    expect(row('moved')).toMatch(/class="error"[^>]*>1 resource drifted \(2 h/);
    expect(row('known')).toContain('1 resource drifted, dismissed');
    expect(row('broken')).toContain('title="terraform &lt;said&gt; no"');
    expect(text).not.toContain('<said>');
  });
});
