import type { PolicyViolation } from '../../src/kernel/plugin/policy-validator.js';

/** What a refused call rejected with, typed the way tests read it. */
export interface Rejection {
  code: string;
  field?: string;
  message: string;
  details?: { violations?: PolicyViolation[] } & Record<string, unknown>;
}

/** Resolves to the error a call rejected with; fails the test if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Rejection) => error,
  );
}
