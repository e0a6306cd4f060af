import { describe, expect, it } from 'vitest';
import { approvalLines, lobbyApprovals } from '../../../src/chat/lobby.js';
import type { ApprovalsView, SessionView } from '../../../src/kernel/sessions/session-view.js';

const AT = new Date('2026-12-06T10:00:00Z');

function session(state: SessionView['state'], approvals: Partial<ApprovalsView>): SessionView {
  return { state, approvals: { required: 1, given: [], approvers: 'deploy', cleared: 0, expired: 0, ...approvals } } as SessionView;
}

describe('the lobby’s approvals', () => {
  it('shows nothing when one approval is all it takes and none was given (the lobby as before)', () => {
    expect(lobbyApprovals(session('PLAN_READY', {}))).toBeNull();
    expect(approvalLines(null)).toEqual([]);
  });

  it('says "Approvals 1/2: alice" and that one more is needed from deploy-level members', () => {
    const approvals = lobbyApprovals(session('PLAN_READY', { required: 2, given: [{ userId: 'alice', at: AT }] }));
    expect(approvalLines(approvals)).toEqual(['Approvals 1/2: alice', 'needs 1 more from deploy-level members']);
    // A chat names people its own way.
    expect(approvalLines(approvals, (id) => `<@${id}>`)[0]).toBe('Approvals 1/2: <@alice>');
  });

  it('names the listed approvers not yet in, and admins when only admins may approve', () => {
    const listed = lobbyApprovals(session('PLAN_READY', { required: 2, approvers: ['carol', 'dave', 'erin'], given: [{ userId: 'carol', at: AT }] }));
    expect(approvalLines(listed)).toEqual(['Approvals 1/2: carol', 'needs 1 more from any of dave, erin']);
    const all = lobbyApprovals(session('DESTROY_READY', { required: 2, approvers: ['dave', 'erin'] }));
    expect(approvalLines(all)).toEqual(['Approvals 0/2', 'needs 2 more from dave, erin']);
    expect(approvalLines(lobbyApprovals(session('PLAN_READY', { required: 3, approvers: 'admin' })))).toEqual(['Approvals 0/3', 'needs 3 more from project admins']);
  });

  it('says a change cleared the approvals, and how many are too old to count', () => {
    expect(approvalLines(lobbyApprovals(session('DRAFT', { required: 2, cleared: 1 })))).toEqual(['Approvals 0/2', 'plan changed: approvals cleared']);
    expect(approvalLines(lobbyApprovals(session('PLAN_READY', { required: 1, cleared: 2 })))).toEqual(['Approvals 0/1', 'needs 1 more from deploy-level members', 'plan changed: approvals cleared']);
    expect(approvalLines(lobbyApprovals(session('PLAN_READY', { required: 2, expired: 1 })))).toEqual([
      'Approvals 0/2',
      'needs 2 more from deploy-level members',
      '1 approval expired (older than the project\'s expiresAfter)',
    ]);
  });

  it('after the apply shows who approved, and nothing more to wait for', () => {
    const approvals = lobbyApprovals(session('APPLIED', { required: 2, given: [{ userId: 'bob', at: AT }, { userId: 'carol', at: AT }] }));
    expect(approvalLines(approvals)).toEqual(['Approvals 2/2: bob, carol']);
    expect(lobbyApprovals(session('APPLIED', { required: 2 }))).toBeNull();
    // Where one approval is all it takes, an applied lobby stays as it was.
    expect(lobbyApprovals(session('APPLIED', { required: 1, given: [{ userId: 'bob', at: AT }] }))).toBeNull();
    // …but one recorded without applying (approve) is shown while the plan waits.
    expect(approvalLines(lobbyApprovals(session('PLAN_READY', { required: 1, given: [{ userId: 'bob', at: AT }] })))).toEqual(['Approvals 1/1: bob']);
  });
});
