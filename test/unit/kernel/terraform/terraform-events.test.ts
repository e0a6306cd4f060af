import { describe, expect, it } from 'vitest';
import { capLine, LineBuffer, MAX_LINE_CHARS, parseTerraformJsonLine } from '../../../../src/kernel/terraform/terraform-events.js';

describe('parseTerraformJsonLine', () => {
  it('turns a -json message into an event carrying its type, level and @message', () => {
    const line =
      '{"@level":"info","@message":"terraform_data.echo: (local-exec): line-1","type":"provision_progress","hook":{"output":"line-1"}}';
    const event = parseTerraformJsonLine(line, 'apply');
    expect(event).toMatchObject({ type: 'provision_progress', level: 'info', message: 'terraform_data.echo: (local-exec): line-1', command: 'apply' });
    expect(event.raw?.hook).toEqual({ output: 'line-1' });
  });

  it('puts a diagnostic summary, detail and address into the message', () => {
    const line = JSON.stringify({
      '@level': 'error',
      '@message': 'Error: Reference to undeclared resource',
      type: 'diagnostic',
      diagnostic: {
        severity: 'error',
        summary: 'Reference to undeclared resource',
        detail: 'A managed resource "terraform_data" "nope" has not been declared in the root module.',
        snippet: { context: 'resource.terraform_data.x' },
      },
    });
    const event = parseTerraformJsonLine(line, 'plan');
    expect(event.level).toBe('error');
    expect(event.message).toBe(
      'Error: Reference to undeclared resource: A managed resource "terraform_data" "nope" has not been declared in the root module. [at resource.terraform_data.x]',
    );
  });

  it('maps a warn level through and defaults a missing type to log', () => {
    expect(parseTerraformJsonLine('{"@level":"warn","@message":"careful"}', 'plan')).toMatchObject({ type: 'log', level: 'warn', message: 'careful' });
  });

  it('turns non-JSON, broken JSON and non-object JSON into stdout events without throwing', () => {
    for (const line of ['Initializing the backend...', '{"@message": "half', '[1,2]', '42', '']) {
      expect(parseTerraformJsonLine(line, 'init')).toEqual({ type: 'stdout', level: 'info', message: line, command: 'init' });
    }
  });
});

describe('LineBuffer', () => {
  it('joins a line split across chunks and keeps a final line that has no newline', () => {
    const buffer = new LineBuffer();
    expect(buffer.push(Buffer.from('{"a":'))).toEqual([]);
    expect(buffer.push(Buffer.from('1}\r\n{"b":2}\nlast'))).toEqual(['{"a":1}', '{"b":2}']);
    expect(buffer.end()).toEqual(['last']);
    expect(buffer.end()).toEqual([]);
  });

  it('keeps a multi-byte character intact when a chunk boundary cuts it', () => {
    const bytes = Buffer.from('créé ✓\n');
    const buffer = new LineBuffer();
    const lines = [...bytes].flatMap((byte) => buffer.push(Buffer.from([byte])));
    expect(lines).toEqual(['créé ✓']);
  });
});

describe('capLine', () => {
  it('leaves a line of up to MAX_LINE_CHARS characters as it is', () => {
    const line = 'x'.repeat(MAX_LINE_CHARS);
    expect(capLine(line)).toBe(line);
    expect(capLine('Error: boom')).toBe('Error: boom');
  });

  it('cuts a 5 MB line to MAX_LINE_CHARS characters and says how long it was', () => {
    const line = `Error: ${'y'.repeat(5 * 1024 * 1024 - 7)}`;
    const capped = capLine(line);
    expect(capped.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(capped.startsWith('Error: yyy')).toBe(true);
    expect(capped.endsWith('… (cut: 5,242,880 characters in all)')).toBe(true);
  });

  it('gives the same line when applied twice, so every consumer sees one text', () => {
    const capped = capLine('z'.repeat(MAX_LINE_CHARS + 1));
    expect(capLine(capped)).toBe(capped);
  });

  it('never cuts a character in half (a surrogate pair at the cut)', () => {
    // Either parity: one of them puts the cut between a high and a low surrogate.
    for (const pad of [40, 41]) {
      const capped = capLine(`${'a'.repeat(MAX_LINE_CHARS - pad)}${'😀'.repeat(100)}`);
      expect(capped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      expect(capped.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    }
  });
});
