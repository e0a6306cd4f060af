import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, capLine } from '../../../../src/kernel/terraform/terraform-events.js';

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
