import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { SessionErrors } from '../../../../src/kernel/sessions/session-errors.js';
import { TerraformError } from '../../../../src/kernel/terraform/terraform-runner.js';

describe('what a failed plan tells the user', () => {
  it('keeps our own errors as they are', () => {
    const own = new CloudEngineError('POLICY_VIOLATION', 'no');
    expect(SessionErrors.fromPlanFailure('s1', own)).toBe(own);
  });

  it("gives terraform's failure as TERRAFORM_FAILED with the command and exit code", () => {
    const failure = new TerraformError('terraform plan exited with code 1: Error: boom', {
      command: 'plan',
      exitCode: 1,
      signal: null,
      timedOut: false,
      cancelled: false,
      diagnostics: ['Error: boom'],
      stderrTail: '',
    });
    expect(SessionErrors.fromPlanFailure('s1', failure)).toMatchObject({ code: 'TERRAFORM_FAILED', message: failure.message, details: { command: 'plan', exitCode: 1, timedOut: false } });
  });

  it('explains a full or read-only data dir and says to plan again; anything else is INTERNAL', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(SessionErrors.fromPlanFailure('s1', full).message).toBe(
      'Planning session s1 failed: no space left in the data directory (ENOSPC: no space left on device, write). Free space in CLOUD_ENGINE_DATA_DIR, then plan again.',
    );
    const readOnly = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    expect(SessionErrors.fromPlanFailure('s1', readOnly).message).toContain('Check that CLOUD_ENGINE_DATA_DIR is writable, then plan again.');
    expect(SessionErrors.fromPlanFailure('s1', new Error('odd'))).toMatchObject({ code: 'INTERNAL', message: 'Planning session s1 failed unexpectedly: odd.' });
  });

  it('lists every violation and picks QUOTA_EXCEEDED when a quota is among them', () => {
    const error = SessionErrors.violations('s1', [{ code: 'MISSING_TAGS', message: 'needs team', address: 'web' }, { code: 'QUOTA_EXCEEDED', message: 'quota compute_vm' }], 'before planning');
    expect(error.code).toBe('QUOTA_EXCEEDED');
    expect(error.message).toBe('Session s1 cannot be planned; 2 problems before planning:\n- web: needs team [MISSING_TAGS]\n- quota compute_vm [QUOTA_EXCEEDED]\nRemove resources or ask a project admin to raise the quota.');
  });
});
