import type { Database } from '../persistence/database.js';
import { OutputLineEntity } from '../persistence/entities/output-line.entity.js';
import { capLine } from '../terraform/terraform-events.js';

/** One persisted line of a session's terraform output. */
export interface OutputLine {
  readonly seq: number;
  readonly operation: 'plan' | 'apply';
  readonly level: 'info' | 'warn' | 'error';
  readonly line: string;
  readonly at: Date;
}

/** How long lines wait before they are written: output is persisted as it streams, in small batches. */
const FLUSH_AFTER_MS = 200;
const FLUSH_AT_LINES = 100;

/**
 * Persists an operation's (already redacted) output as it streams, so that
 * after a crash the session still shows everything that happened.
 */
export class OutputRecorder {
  private buffer: Omit<OutputLineEntity, 'id'>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Database,
    private readonly sessionId: string,
    private readonly operation: 'plan' | 'apply',
    private seq: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async open(db: Database, sessionId: string, operation: 'plan' | 'apply', onError: (error: unknown) => void): Promise<OutputRecorder> {
    const last = await db.manager.findOne(OutputLineEntity, { where: { sessionId }, order: { seq: 'DESC' }, select: { seq: true } });
    return new OutputRecorder(db, sessionId, operation, last?.seq ?? 0, onError);
  }

  /** Buffers a line, cut to `MAX_LINE_CHARS`; returns it as stored, for whoever else shows it. */
  add(line: string, level: 'info' | 'warn' | 'error'): string {
    const stored = capLine(line);
    this.buffer.push({ sessionId: this.sessionId, seq: ++this.seq, operation: this.operation, level, line: stored, at: new Date() });
    if (this.buffer.length >= FLUSH_AT_LINES) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
    return stored;
  }

  /** Writes what is buffered; writes happen one after another, in order. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return this.writing;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => this.db.manager.insert(OutputLineEntity, batch).then(() => undefined, this.onError));
    return this.writing;
  }

  /** Flushes the rest; call when the operation ends, before its final state is written. */
  close(): Promise<void> {
    return this.flush();
  }
}

export async function readOutput(db: Database, sessionId: string, afterSeq = 0): Promise<OutputLine[]> {
  const rows = await db.manager.createQueryBuilder(OutputLineEntity, 'line').where('line.session_id = :sessionId AND line.seq > :afterSeq', { sessionId, afterSeq }).orderBy('line.seq', 'ASC').getMany();
  return rows.map((row) => ({ seq: row.seq, operation: row.operation, level: row.level, line: row.line, at: row.at }));
}
