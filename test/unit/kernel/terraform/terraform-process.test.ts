import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TerraformEvent } from '../../../../src/kernel/terraform/terraform-events.js';
import { failure, fakeTerraform, localExec, processRunning, removeWorkdirs, runner, TIMEOUTS, workdir } from './terraform-runner.fixture.js';

afterAll(removeWorkdirs);

describe('TerraformRunner stopping terraform (real terraform)', () => {
  it('cancels a slow apply on abort: SIGINT stops terraform, no local-exec process is left, and the error says cancelled', async () => {
    const marker = `sleep 29.${process.pid % 1000}`;
    const cwd = await workdir(localExec('slow', `echo started; ${marker}; echo finished`));
    const tf = runner();
    await tf.plan({ cwd, planFile: 'p.tfplan' });

    const controller = new AbortController();
    const events: TerraformEvent[] = [];
    const startedAt = Date.now();
    const error = await failure(
      tf.apply({
        cwd,
        planFile: 'p.tfplan',
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if ((e.raw?.hook as { output?: string } | undefined)?.output === 'started') controller.abort();
        },
      }),
    );

    expect(error.cancelled).toBe(true);
    expect(error.timedOut).toBe(false);
    expect(error.message).toBe('terraform apply was cancelled and stopped');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(events.some((e) => e.message.includes('Interrupt received'))).toBe(true);
    expect(processRunning(marker)).toBe(false);
    // Stopped cleanly, terraform recorded the half-made resource in state instead of losing it.
    expect(existsSync(path.join(cwd, 'terraform.tfstate'))).toBe(true);
  });
});

// The scripts get a full second before the interrupt so that even a loaded machine has run their `trap` line.
describe('TerraformRunner timeouts (fake terraform scripts)', () => {
  it('kills a command that ignores SIGINT with SIGKILL after the grace period and says it timed out', async () => {
    const dir = await workdir();
    const marker = `sleep 31.${process.pid % 1000}`;
    const binary = await fakeTerraform(
      dir,
      `trap '' INT\necho '{"@level":"info","@message":"fake terraform is stuck","type":"log"}'\n${marker}`,
    );
    const tf = runner({ binary, timeouts: { ...TIMEOUTS, plan: 1000 }, killGraceMs: 300 });
    const events: TerraformEvent[] = [];
    const startedAt = Date.now();
    const error = await failure(tf.plan({ cwd: dir, planFile: 'p.tfplan', onEvent: (e) => events.push(e) }));

    expect(error.timedOut).toBe(true);
    expect(error.signal).toBe('SIGKILL');
    expect(error.exitCode).toBeNull();
    expect(error.message).toBe('terraform plan timed out after 1s and was stopped (killed after ignoring an interrupt for 0.3s)');
    expect(events.map((e) => e.message)).toEqual(['fake terraform is stuck']);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(processRunning(marker)).toBe(false);
    expect(tf.running).toBe(0);
  });

  it('stops a command that exits on SIGINT without waiting for the kill grace period', async () => {
    const dir = await workdir();
    const binary = await fakeTerraform(dir, `trap 'echo "stopped on interrupt" >&2; exit 130' INT\nwhile :; do sleep 0.1; done`);
    const tf = runner({ binary, timeouts: { ...TIMEOUTS, apply: 1000 }, killGraceMs: 20_000 });
    const startedAt = Date.now();
    const error = await failure(tf.apply({ cwd: dir, planFile: 'p.tfplan' }));

    expect(error.timedOut).toBe(true);
    expect(error.exitCode).toBe(130);
    expect(error.signal).toBeNull();
    expect(error.message).toBe('terraform apply timed out after 1s and was stopped');
    expect(error.stderrTail).toContain('stopped on interrupt');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
