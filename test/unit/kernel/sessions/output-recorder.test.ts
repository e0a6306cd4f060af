import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../../src/kernel/persistence/database.js';
import { OutputRecorder, readOutput } from '../../../../src/kernel/sessions/output-recorder.js';
import { MAX_LINE_CHARS } from '../../../../src/kernel/terraform/terraform-events.js';

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloud-engine-recorder-'));
  db = await openDatabase(dir);
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OutputRecorder', () => {
  it('stores a huge line cut to MAX_LINE_CHARS, saying it was cut, and returns the line as stored', async () => {
    const errors: unknown[] = [];
    const recorder = await OutputRecorder.open(db, 's1', 'plan', (error) => errors.push(error));
    const stored = recorder.add('e'.repeat(5_242_880), 'error');
    recorder.add('short', 'info');
    await recorder.close();
    const lines = await readOutput(db, 's1');
    expect(errors).toEqual([]);
    expect(lines.map((line) => line.line.length <= MAX_LINE_CHARS)).toEqual([true, true]);
    expect(lines[0]!.line).toMatch(/… \(cut: 5,242,880 characters in all\)$/);
    expect(lines[0]!.line).toBe(stored);
    expect(lines[1]!.line).toBe('short');
  });
});
