import { describe, expect, it } from 'vitest';
import { expiryText, formatRemaining } from '../../../src/chat/expiry.js';
import { STATE_LABELS, renderLobbyText, type LobbyModel } from '../../../src/chat/lobby.js';

describe('formatRemaining', () => {
  it('reads hours and minutes, days and hours, minutes, seconds', () => {
    expect(formatRemaining((3 * 60 + 20) * 60_000)).toBe('3 h 20 min');
    expect(formatRemaining(2 * 3_600_000)).toBe('2 h');
    expect(formatRemaining((2 * 24 + 4) * 3_600_000 + 59_000)).toBe('2 d 4 h');
    expect(formatRemaining(10 * 60_000)).toBe('10 min');
    expect(formatRemaining(45_000)).toBe('45 s');
  });
});

describe('expiryText', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  it('says when a deployment expires, counted from the given now', () => {
    expect(expiryText(new Date('2026-12-06T15:20:00Z'), now)).toBe('expires in 3 h 20 min');
  });
  it('is null for a deployment that never expires, and says a past expiry is due', () => {
    expect(expiryText(null, now)).toBeNull();
    expect(expiryText(new Date('2026-12-06T11:00:00Z'), now)).toBe('expiry due now (being torn down)');
  });
  it('is a TTL line of the text lobby', () => {
    const lobby = { sessionId: 's1', deploymentName: 'shop', projectId: 'web', provider: 'sandbox', owner: 'alice', stateLabel: STATE_LABELS.APPLIED, resources: [], quotas: [], problems: [], plan: null, cost: null, outputs: null, expiry: 'expires in 2 h' } as unknown as LobbyModel;
    expect(renderLobbyText(lobby)).toContain('TTL: expires in 2 h');
  });
});
