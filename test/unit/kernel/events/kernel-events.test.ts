import { describe, expect, it } from 'vitest';
import { KernelEvents } from '../../../../src/kernel/events/kernel-events.js';

describe('KernelEvents', () => {
  it('taps what this process emits, not what it passes on from elsewhere; listeners hear both', () => {
    const events = new KernelEvents();
    const heard: string[] = [];
    const tapped: string[] = [];
    events.on('session.resourcesChanged', (event) => heard.push(event.sessionId));
    const untap = events.tap((event, payload) => tapped.push(`${event}:${(payload as { sessionId: string }).sessionId}`));
    events.emit('session.resourcesChanged', { sessionId: 'here', actor: 'alice' });
    events.emitFromElsewhere('session.resourcesChanged', { sessionId: 'there', actor: 'bob' });
    expect(heard).toEqual(['here', 'there']);
    expect(tapped).toEqual(['session.resourcesChanged:here']);
    untap();
    events.emit('session.resourcesChanged', { sessionId: 'later', actor: 'alice' });
    expect(tapped).toEqual(['session.resourcesChanged:here']);
  });

  it('keeps a throwing listener from breaking the emit, and reports it', () => {
    const failures: string[] = [];
    const events = new KernelEvents((event) => failures.push(event));
    const heard: string[] = [];
    events.on('session.resourcesChanged', () => {
      throw new Error('boom');
    });
    events.on('session.resourcesChanged', (event) => heard.push(event.sessionId));
    events.emit('session.resourcesChanged', { sessionId: 's1', actor: 'alice' });
    expect(heard).toEqual(['s1']);
    expect(failures).toEqual(['session.resourcesChanged']);
  });
});
