import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import {
  BUSY_STATES,
  DONE_STATES,
  DeploymentState,
  WAITING_STATES,
  EDITABLE_STATES,
  FINAL_STATES,
  TRANSITIONS,
  assertTransition,
  canTransition,
  isDeploymentState,
  stateAfterCancel,
  stateAfterInterruption,
  stateWithoutTeardown,
  teardownStartedFrom,
} from '../../../../src/kernel/sessions/deployment-state.js';

const S = DeploymentState;
const ALL = Object.values(DeploymentState);

/** The lifecycle as documented, written out independently of the source table. */
const EXPECTED: Record<DeploymentState, DeploymentState[]> = {
  DRAFT: [S.VALIDATING, S.CANCELLED],
  VALIDATING: [S.DRAFT, S.PLANNING, S.PLAN_FAILED, S.CANCELLED],
  PLANNING: [S.PLAN_READY, S.PLAN_FAILED, S.CANCELLED],
  PLAN_READY: [S.DRAFT, S.VALIDATING, S.APPROVED, S.CANCELLED],
  PLAN_FAILED: [S.DRAFT, S.VALIDATING, S.CANCELLED],
  APPROVED: [S.APPLYING, S.FAILED],
  APPLYING: [S.APPLIED, S.FAILED],
  APPLIED: [S.DESTROY_PLANNING],
  FAILED: [S.DESTROY_PLANNING],
  CANCELLED: [],
  DESTROY_PLANNING: [S.DESTROY_READY, S.APPLIED, S.FAILED],
  DESTROY_READY: [S.DESTROYING, S.APPLIED, S.FAILED, S.DESTROY_PLANNING],
  DESTROYING: [S.DESTROYED, S.FAILED],
  DESTROYED: [],
};

function errorOf(fn: () => unknown): CloudEngineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    return error as CloudEngineError;
  }
  throw new Error('expected a CloudEngineError, but nothing was thrown');
}

describe('deployment state table', () => {
  it('has the ten states of the flow and four of teardown, each with a row', () => {
    expect(ALL).toHaveLength(14);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ALL].sort());
  });

  const pairs = ALL.flatMap((from) => ALL.map((to) => [from, to, EXPECTED[from].includes(to)] as const));

  it.each(pairs)('%s → %s is allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition('s-1', from, to)).not.toThrow();
    } else {
      expect(errorOf(() => assertTransition('s-1', from, to)).code).toBe('INVALID_STATE');
    }
  });

  it('never lists a state as a transition to itself', () => {
    for (const state of ALL) expect(TRANSITIONS[state]).not.toContain(state);
  });
});

describe('assertTransition', () => {
  it('rejects DRAFT → APPLYING with INVALID_STATE naming the session, both states and the allowed targets', () => {
    const error = errorOf(() => assertTransition('sess-42', S.DRAFT, S.APPLYING));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('sess-42');
    expect(error.message).toContain('DRAFT');
    expect(error.message).toContain('APPLYING');
    expect(error.message).toContain('VALIDATING, CANCELLED');
    expect(error.details).toEqual({ sessionId: 'sess-42', from: 'DRAFT', to: 'APPLYING' });
  });

  it.each(FINAL_STATES.map((state) => [state]))('rejects a transition from %s because it is final', (from) => {
    const error = errorOf(() => assertTransition('s-1', from, S.DRAFT));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain(`${from} is final`);
    expect(error.message).toContain('cannot become DRAFT');
  });
});

describe('state sets', () => {
  it('DONE_STATES are the final states plus deployments at rest', () => {
    expect([...DONE_STATES].sort()).toEqual([...FINAL_STATES, S.APPLIED, S.FAILED].sort());
  });

  it('FINAL_STATES are exactly the states with no exits', () => {
    expect([...FINAL_STATES].sort()).toEqual(ALL.filter((state) => TRANSITIONS[state].length === 0).sort());
  });

  it('every non-final state can still reach a final state in one step or through others', () => {
    const reachesFinal = (state: DeploymentState, seen = new Set<DeploymentState>()): boolean => {
      if (FINAL_STATES.includes(state)) return true;
      if (seen.has(state)) return false;
      seen.add(state);
      return TRANSITIONS[state].some((next) => reachesFinal(next, seen));
    };
    for (const state of ALL) expect(reachesFinal(state), state).toBe(true);
  });

  it('EDITABLE_STATES can all go back to DRAFT or are DRAFT, and are neither final nor busy', () => {
    for (const state of EDITABLE_STATES) {
      expect(state === S.DRAFT || canTransition(state, S.DRAFT), state).toBe(true);
      expect(FINAL_STATES).not.toContain(state);
      expect(BUSY_STATES).not.toContain(state);
    }
  });

  it('BUSY_STATES are neither final nor editable and all have exits', () => {
    for (const state of BUSY_STATES) {
      expect(FINAL_STATES).not.toContain(state);
      expect(EDITABLE_STATES).not.toContain(state);
      expect(TRANSITIONS[state].length, state).toBeGreaterThan(0);
    }
  });

  it('the sets together cover every state exactly once', () => {
    // APPLIED and FAILED are deployments at rest; DESTROY_READY waits for approval like PLAN_READY.
    const all = [...EDITABLE_STATES, ...FINAL_STATES, ...BUSY_STATES, ...WAITING_STATES, S.APPLIED, S.FAILED];
    expect(all.sort()).toEqual([...ALL].sort());
  });
});

describe('isDeploymentState', () => {
  it('accepts every state name and rejects anything else, including Object.prototype keys', () => {
    for (const state of ALL) expect(isDeploymentState(state)).toBe(true);
    for (const value of ['draft', '', 'UNKNOWN', 'toString', 'constructor', '__proto__', 1, null, undefined, {}]) {
      expect(isDeploymentState(value), String(value)).toBe(false);
    }
  });
});

describe('which state next: one home for every rule', () => {
  const facts = (state: DeploymentState, teardownFrom: DeploymentState | null = null) => ({ state, teardownFrom });

  it('a teardown that does not happen returns to the state it started from: FAILED stays FAILED', () => {
    expect(stateWithoutTeardown(facts(S.DESTROY_PLANNING, S.FAILED))).toBe(S.FAILED);
    expect(stateWithoutTeardown(facts(S.DESTROY_READY, S.APPLIED))).toBe(S.APPLIED);
    // Recorded before teardowns remembered where they started: APPLIED, as before.
    expect(stateWithoutTeardown(facts(S.DESTROY_READY, null))).toBe(S.APPLIED);
  });

  it('a teardown re-planned from DESTROY_READY keeps its starting point', () => {
    expect(teardownStartedFrom(facts(S.APPLIED))).toBe(S.APPLIED);
    expect(teardownStartedFrom(facts(S.FAILED))).toBe(S.FAILED);
    expect(teardownStartedFrom(facts(S.DESTROY_READY, S.FAILED))).toBe(S.FAILED);
  });

  it('cancel: plans end CANCELLED, applies FAILED, teardowns return to their deployment', () => {
    for (const state of [S.DRAFT, S.VALIDATING, S.PLANNING, S.PLAN_READY, S.PLAN_FAILED]) expect(stateAfterCancel(facts(state)), state).toBe(S.CANCELLED);
    for (const state of [S.APPROVED, S.APPLYING, S.DESTROYING]) expect(stateAfterCancel(facts(state, S.FAILED)), state).toBe(S.FAILED);
    expect(stateAfterCancel(facts(S.DESTROY_READY, S.FAILED))).toBe(S.FAILED);
    expect(stateAfterCancel(facts(S.DESTROY_PLANNING, S.FAILED))).toBe(S.FAILED);
    expect(stateAfterCancel(facts(S.DESTROY_PLANNING, S.APPLIED))).toBe(S.APPLIED);
  });

  it('interruption: applies FAILED, plans PLAN_FAILED, a teardown being planned back to its deployment', () => {
    for (const state of [S.APPROVED, S.APPLYING, S.DESTROYING]) expect(stateAfterInterruption(facts(state)), state).toBe(S.FAILED);
    for (const state of [S.VALIDATING, S.PLANNING]) expect(stateAfterInterruption(facts(state)), state).toBe(S.PLAN_FAILED);
    expect(stateAfterInterruption(facts(S.DESTROY_PLANNING, S.FAILED))).toBe(S.FAILED);
    expect(stateAfterInterruption(facts(S.DESTROY_PLANNING, S.APPLIED))).toBe(S.APPLIED);
  });

  it('every state a rule returns is a legal move from the state it is asked about', () => {
    for (const state of ALL) {
      for (const teardownFrom of [null, S.APPLIED, S.FAILED] as const) {
        if (BUSY_STATES.includes(state) || EDITABLE_STATES.includes(state) || state === S.DESTROY_READY) {
          const next = stateAfterCancel(facts(state, teardownFrom));
          expect(canTransition(state, next), `${state} -> ${next}`).toBe(true);
        }
        if (BUSY_STATES.includes(state)) expect(canTransition(state, stateAfterInterruption(facts(state, teardownFrom))), state).toBe(true);
      }
    }
  });
});
