import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../src/kernel/errors.js';
import type { Logger } from '../../../src/kernel/logger.js';
import { failureReply, newReference } from '../../../src/chat/chat-errors.js';

/** A logger that keeps what `error` was given. */
function recordingLogger(): { logger: Logger; errors: { fields: Record<string, unknown>; message: string }[] } {
  const errors: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = { error: (fields: Record<string, unknown>, message: string) => errors.push({ fields, message }) } as unknown as Logger;
  return { logger, errors };
}

describe('failureReply', () => {
  it('shows a refusal as the kernel worded it and logs nothing', () => {
    const { logger, errors } = recordingLogger();
    const reply = failureReply(new CloudEngineError('PERMISSION_DENIED', 'Viewing this project needs read access.'), logger, 'chat failed');
    expect(reply).toMatchObject({ kind: 'message', message: { title: 'Permission denied', lines: ['Viewing this project needs read access.'] } });
    expect(errors).toEqual([]);
  });

  it.each([
    ['an INTERNAL error', new CloudEngineError('INTERNAL', 'The database refused a write (SQLITE_READONLY at /srv/db).')],
    ['a plain Error', new Error('SQLITE_READONLY at /srv/db')],
    ['a thrown string', 'SQLITE_READONLY at /srv/db'],
  ])('logs %s under a new reference with the context, and shows only "Internal error (ref X)"', (_what, thrown) => {
    const { logger, errors } = recordingLogger();
    const reply = failureReply(thrown, logger, 'console command failed', { userId: 'alice', line: '/cloud-list' });
    expect(errors).toHaveLength(1);
    const { fields, message } = errors[0]!;
    expect(message).toBe('console command failed');
    expect(fields).toMatchObject({ userId: 'alice', line: '/cloud-list', err: thrown, reference: expect.stringMatching(/^[0-9a-f]{8}$/) });
    const shown = JSON.stringify(reply);
    expect(shown).toContain(`Internal error (ref ${String(fields.reference)})`);
    expect(shown).not.toContain('SQLITE');
  });

  it('gives every failure its own reference', () => {
    expect(new Set(Array.from({ length: 50 }, () => newReference())).size).toBe(50);
  });
});
