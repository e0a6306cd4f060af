import { describe, expect, it } from 'vitest';
import { CloudEngineError, ErrorCode } from '../../../src/kernel/errors.js';
import { errorReply, message, type ChatMessage, type ChatReply } from '../../../src/chat/chat-message.js';

function messageOf(reply: ChatReply): ChatMessage {
  if (reply.kind !== 'message') throw new Error(`expected a message, got a ${reply.kind}`);
  return reply.message;
}

describe('message', () => {
  it('defaults to an ephemeral info message and wraps one line in a list', () => {
    expect(message('hello')).toEqual({ kind: 'message', message: { lines: ['hello'], tone: 'info', ephemeral: true } });
  });

  it('lets options override tone, visibility, title and page', () => {
    expect(messageOf(message(['a', 'b'], { title: 'T', tone: 'success', ephemeral: false, page: { index: 2, count: 3 } }))).toEqual({
      lines: ['a', 'b'],
      title: 'T',
      tone: 'success',
      ephemeral: false,
      page: { index: 2, count: 3 },
    });
  });
});

describe('errorReply', () => {
  it.each([
    ['NOT_FOUND', 'Not found'],
    ['INVALID_INPUT', 'Invalid input'],
    ['INVALID_STATE', 'Not possible right now'],
    ['PERMISSION_DENIED', 'Permission denied'],
    ['QUOTA_EXCEEDED', 'Quota exceeded'],
    ['POLICY_VIOLATION', 'Policy violation'],
    ['PLAN_STALE', 'Plan is stale'],
    ['LOCKED', 'Busy'],
    ['TERRAFORM_FAILED', 'Terraform failed'],
    ['PLUGIN_FAILED', 'Plugin failed'],
    ['CONFIG_INVALID', 'Configuration problem'],
  ] as const)('titles a %s error %j, as an ephemeral error', (code, title) => {
    const reply = messageOf(errorReply(new CloudEngineError(code, 'What went wrong.')));
    expect(reply).toEqual({ lines: ['What went wrong.'], title, tone: 'error', ephemeral: true, fields: undefined });
  });

  it('has a title for every error code but INTERNAL', () => {
    for (const code of Object.values(ErrorCode).filter((code) => code !== 'INTERNAL')) {
      expect(messageOf(errorReply(new CloudEngineError(code, 'x'))).title).not.toBe(code);
    }
  });

  it('shows the offending field and splits a multi-line message into lines', () => {
    const reply = messageOf(errorReply(new CloudEngineError('INVALID_INPUT', 'Invalid config.size: expected small.\nTry again.', { field: 'config.size', value: 'huge' })));
    expect(reply.lines).toEqual(['Invalid config.size: expected small.', 'Try again.']);
    expect(reply.fields).toEqual([{ name: 'Field', value: 'config.size' }]);
  });

  it.each([
    ['a plain Error', new Error('SQLITE_BUSY: database is locked at /srv/secret/path.db')],
    ['an INTERNAL CloudEngineError', new CloudEngineError('INTERNAL', 'The database refused a write (SQLITE_BUSY: database is locked at /srv/secret/path.db); nothing was changed.', { field: 'x' })],
  ])('answers %s with "Internal error (ref …)", never its message, field or stack', (_what, error) => {
    const reply = messageOf(errorReply(error, 'ref-42'));
    expect(reply.title).toBe('Internal error');
    expect(reply.tone).toBe('error');
    expect(reply.ephemeral).toBe(true);
    expect(reply.lines).toEqual(['Internal error (ref ref-42). It has been logged; try again, and give an admin this reference if it keeps happening.']);
    const shown = JSON.stringify(reply);
    expect(shown).not.toContain('SQLITE');
    expect(shown).not.toContain('/srv/secret');
    expect(reply.fields).toBeUndefined();
  });

  it('answers a thrown non-Error without a reference with the generic text only', () => {
    expect(messageOf(errorReply('boom')).lines).toEqual(['Internal error. Try again, and tell an admin if it keeps happening.']);
  });
});
