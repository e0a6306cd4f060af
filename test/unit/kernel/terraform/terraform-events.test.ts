import { describe, expect, it } from 'vitest';
import { LineBuffer, parseTerraformJsonLine } from '../../../../src/kernel/terraform/terraform-events.js';

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
