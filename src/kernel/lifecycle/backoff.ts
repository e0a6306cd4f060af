/** First retry of a failed teardown after a minute, doubling, at most an hour apart: never given up. */
export function retryDelay(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}
