import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ExitCode, errorJson, errorText, exitCodeFor } from '../../../src/cli/cli-errors.js';
import { CloudEngineError, ErrorCode } from '../../../src/kernel/errors.js';

describe('exitCodeFor', () => {
  it.each([
    ['INVALID_INPUT', 2],
    ['PERMISSION_DENIED', 2],
    ['POLICY_VIOLATION', 2],
    ['QUOTA_EXCEEDED', 2],
    ['PLAN_STALE', 2],
    ['NOT_FOUND', 2],
    ['INVALID_STATE', 2],
    ['CONFIG_INVALID', 2],
    ['LOCKED', 2],
    ['TERRAFORM_FAILED', 1],
    ['PLUGIN_FAILED', 1],
    ['INTERNAL', 1],
  ] as const)('maps %s to exit %i', (code, exit) => {
    expect(exitCodeFor(new CloudEngineError(code, 'x'))).toBe(exit);
  });

  it('covers every error code the kernel defines', () => {
    for (const code of Object.values(ErrorCode)) expect([1, 2]).toContain(exitCodeFor(new CloudEngineError(code, 'x')));
  });

  it('treats anything that is not a CloudEngineError as a failure (1)', () => {
    expect(exitCodeFor(new TypeError('boom'))).toBe(ExitCode.FAILURE);
    expect(exitCodeFor('a string')).toBe(ExitCode.FAILURE);
    expect(exitCodeFor(undefined)).toBe(ExitCode.FAILURE);
  });

  it('treats a usage error as a user error (2), and help or the version as success (0)', () => {
    expect(exitCodeFor(new CommanderError(1, 'commander.missingArgument', "error: missing required argument 'spec'"))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
  });
});

describe('errorJson', () => {
  it('gives code, message and field of a user error, and the session when known', () => {
    const error = new CloudEngineError('INVALID_INPUT', 'Invalid resources.0.name: missing.', { field: 'resources.0.name' });
    expect(errorJson(error)).toEqual({ error: { code: 'INVALID_INPUT', message: 'Invalid resources.0.name: missing.', field: 'resources.0.name' } });
    expect(errorJson(error, 'abc123').error.sessionId).toBe('abc123');
  });

  it('calls an unexpected error INTERNAL and a usage error INVALID_INPUT', () => {
    expect(errorJson(new Error('socket hang up'))).toEqual({ error: { code: 'INTERNAL', message: 'socket hang up' } });
    expect(errorJson(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--jsn'")).error).toEqual({
      code: 'INVALID_INPUT',
      message: "unknown option '--jsn'",
    });
  });
});

describe('errorText', () => {
  it('is `code: message` for a user error, never a stack trace, even at debug level', () => {
    const error = new CloudEngineError('PERMISSION_DENIED', 'Starting a session needs deploy access to project sandbox.');
    expect(errorText(error)).toBe('PERMISSION_DENIED: Starting a session needs deploy access to project sandbox.');
    expect(errorText(error, { debug: true })).not.toContain('\n');
  });

  it('shows the stack of an unexpected error only at debug level', () => {
    const error = new Error('boom');
    expect(errorText(error)).toBe('INTERNAL: boom (set CLOUD_ENGINE_LOG_LEVEL=debug for the stack trace)');
    expect(errorText(error, { debug: true })).toContain('at ');
  });
});
