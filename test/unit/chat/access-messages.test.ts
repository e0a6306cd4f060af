import { describe, expect, it } from 'vitest';
import type { AccessRequestView } from '../../../src/kernel/access/access-requests.js';
import { accessOverview, decisionLine, extensionButton, extensionDuration, requestCard } from '../../../src/chat/access-messages.js';

const AT = new Date('2026-12-07T10:00:00.000Z');
const request: AccessRequestView = {
  id: '0123456789abcdef',
  state: 'PENDING',
  projectId: 'web',
  userId: 'nina',
  level: 'deploy',
  duration: '8h',
  durationMs: 8 * 3_600_000,
  grantDuration: '2h',
  cappedTo: '2h',
  reason: 'release day',
  createdAt: AT,
  expiresAt: new Date(AT.getTime() + 86_400_000),
  decidedBy: null,
  decidedAt: null,
  grantExpiresAt: null,
};
const mention = (userId: string) => `<@${userId}>`;

describe('access request wording', () => {
  it('a card says who asks for what, the cap, when it lapses, and carries Approve and Deny on the request id', () => {
    const card = requestCard(request, mention);
    expect(card.lines).toEqual(["<@nina> asks for deploy on web for 8h (an approval grants 2h, the project's maximum).", 'Unanswered, it lapses at 2026-12-08 10:00 UTC.']);
    expect(card.fields).toEqual([{ name: 'Reason', value: 'release day' }]);
    expect(card.buttons).toEqual([
      { action: 'access-approve', target: request.id, label: 'Approve', style: 'primary' },
      { action: 'access-deny', target: request.id, label: 'Deny', style: 'danger' },
    ]);
  });

  it('each outcome has its line: approved with the cap, denied, withdrawn, lapsed', () => {
    const decidedAt = new Date(AT.getTime() + 60_000);
    expect(decisionLine({ ...request, state: 'APPROVED', decidedBy: 'carol', decidedAt, grantExpiresAt: new Date(decidedAt.getTime() + 7_200_000) }, mention)).toBe(
      "✅ Approved by <@carol>: <@nina> has deploy on web for 2h, until 2026-12-07 12:01 UTC (capped at the project's maximum; 8h was asked).",
    );
    expect(decisionLine({ ...request, state: 'DENIED', decidedBy: 'carol' })).toBe("❌ Denied by carol: nina's request for deploy on web.");
    expect(decisionLine({ ...request, state: 'DENIED', decidedBy: 'nina' })).toBe('↩️ Withdrawn by nina: deploy on web.');
    expect(decisionLine({ ...request, state: 'EXPIRED' })).toMatch(/^⌛ Lapsed unanswered: nina's request for deploy on web/);
  });

  it('Request extension asks for as long as the grant ran, as one word the console keeps whole', () => {
    expect(extensionDuration(3_600_000)).toBe('1h');
    expect(extensionDuration(2 * 86_400_000)).toBe('2d');
    expect(extensionDuration(90 * 60_000)).toBe('90m');
    expect(extensionDuration(10_000)).toBe('1m');
    expect(extensionButton({ projectId: 'web', userId: 'nina', level: 'read', expiresAt: AT, remaining: 60_000, durationMs: 7_200_000 }).target).toBe('web/read/2h');
  });

  it('the overview gives admins the buttons of the two newest pending requests only, and others none', () => {
    const pending = ['a', 'b', 'c'].map((user, index) => ({ ...request, id: `000000000000000${index}`, userId: user }));
    const admin = accessOverview({ projectId: 'web', grants: [], requests: pending, admin: true, now: AT });
    expect(admin.buttons?.map((button) => button.label)).toEqual(['Approve a', 'Deny a', 'Approve b', 'Deny b']);
    expect(admin.lines.at(-1)).toContain('The buttons decide the two newest');
    expect(accessOverview({ projectId: 'web', grants: [], requests: pending, admin: false, now: AT }).buttons).toBeUndefined();
  });
});
