import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownerGone, parseOwner, processAlive } from '../../../../src/kernel/sessions/process-owner.js';

describe('the process recorded on a busy session', () => {
  it('reads host:pid:boot, also when the host name has colons', () => {
    expect(parseOwner('web-1:4242:0a1b2c3d')).toEqual({ host: 'web-1', pid: 4242, id: 'web-1:4242:0a1b2c3d' });
    expect(parseOwner('fe80::1:77:ff')).toEqual({ host: 'fe80::1', pid: 77, id: 'fe80::1:77:ff' });
    expect(parseOwner(null)).toBeUndefined();
    expect(parseOwner('garbage')).toBeUndefined();
  });

  it('is gone only when it is a process of this host that no longer exists', () => {
    // A process that has exited: its pid is free (reuse within the test is vanishingly unlikely).
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(exited.stdout);
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(deadPid)).toBe(false);
    expect(ownerGone(parseOwner(`${hostname()}:${deadPid}:ab`))).toBe(true);
    expect(ownerGone(parseOwner(`${hostname()}:${process.pid}:ab`))).toBe(false);
    // Another host's process cannot be seen from here: never taken for gone.
    expect(ownerGone(parseOwner(`elsewhere.example:${deadPid}:ab`))).toBe(false);
    expect(ownerGone(undefined)).toBe(false);
  });
});
