import { describe, expect, it } from 'vitest';
import { afterCheck, dismissedBy, driftView } from '../../../../src/kernel/drift/drift-record.js';
import type { DriftedResource } from '../../../../src/kernel/drift/drift-report.js';

const resources: DriftedResource[] = [{ address: 'aws_s3_bucket.files', action: 'update', attributes: [{ path: 'tags.env', before: 'a', after: 'b' }], more: 0 }];
const at = new Date('2026-12-06T10:00:00Z');
const drifted = (fingerprint: string) => ({ status: 'DRIFTED' as const, checkedAt: at, checkedBy: 'alice', resources, error: null, fingerprint });
const none = { status: 'NONE' as const, checkedAt: at, checkedBy: 'alice', resources: [], error: null, fingerprint: null };
const failed = { status: 'FAILED' as const, checkedAt: at, checkedBy: 'cloud-engine', resources: [], error: 'terraform plan failed', fingerprint: null };

describe('afterCheck', () => {
  it('announces a drift the first time it is found, and not when the same drift is found again', () => {
    const first = afterCheck(null, drifted('f1'));
    expect(first.announce).toBe(true);
    expect(afterCheck(first.stored, drifted('f1')).announce).toBe(false);
    expect(afterCheck(first.stored, drifted('f2')).announce).toBe(true);
  });

  it('keeps a dismissal while the drift is the same, and drops it (announcing) when the drift changes', () => {
    const found = afterCheck(null, drifted('f1')).stored;
    const dismissed = dismissedBy(found, 'bob', at);
    expect(driftView(dismissed)!.dismissed).toEqual({ by: 'bob', at });
    const same = afterCheck(dismissed, drifted('f1'));
    expect(same.announce).toBe(false);
    expect(driftView(same.stored)!.dismissed).toEqual({ by: 'bob', at });
    const changed = afterCheck(dismissed, drifted('f2'));
    expect(changed.announce).toBe(true);
    expect(driftView(changed.stored)!.dismissed).toBeNull();
  });

  it('does not announce the same drift again after a failed check in between, and does after NONE', () => {
    const found = afterCheck(null, drifted('f1')).stored;
    const failedCheck = afterCheck(found, failed);
    expect(driftView(failedCheck.stored)).toMatchObject({ status: 'FAILED', error: 'terraform plan failed', resources: [] });
    expect(afterCheck(failedCheck.stored, drifted('f1')).announce).toBe(false);
    const clean = afterCheck(found, none).stored;
    expect(afterCheck(clean, drifted('f1')).announce).toBe(true);
  });
});

describe('driftView', () => {
  it('is null before the first check and for a value that is not a record', () => {
    expect(driftView(null)).toBeNull();
    expect(driftView({ something: 'else' })).toBeNull();
  });

  it('gives dates as dates and shows no dismissal for a status other than DRIFTED', () => {
    const stored = afterCheck(null, none).stored;
    expect(driftView(stored)).toEqual({ ...none, dismissed: null });
  });
});
