/** Writes text to a stream; the function `safeWriter` returns. */
export type SafeWrite = (text: string) => void;

/**
 * A writer for output a person or a pipe reads (stdout, stderr, the console)
 * that never throws and never ends the process: when the reader goes away
 * (`cloud-engine deploy --approve | head`, a closed terminal) the stream
 * fails with EPIPE, which without a listener is an uncaught 'error' that
 * would kill an apply half-way. The first failure marks the stream broken and
 * is passed to `onBroken` once; everything written after it is dropped.
 */
export function safeWriter(stream: NodeJS.WritableStream, onBroken?: (error: Error) => void): SafeWrite {
  let broken = false;
  const fail = (error: unknown) => {
    if (broken) return;
    broken = true;
    try {
      onBroken?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // Reporting a broken stream must not break anything else.
    }
  };
  stream.on('error', fail);
  return (text) => {
    if (broken) return;
    const writable = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
    if (writable.destroyed || writable.writableEnded) {
      fail(new Error('the stream is closed'));
      return;
    }
    try {
      stream.write(text, (error?: Error | null) => {
        if (error) fail(error);
      });
    } catch (error) {
      fail(error);
    }
  };
}
