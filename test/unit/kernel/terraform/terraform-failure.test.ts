import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_STAMP_FILE } from '../../../../src/kernel/terraform/init-cache.js';
import type { TerraformEvent } from '../../../../src/kernel/terraform/terraform-events.js';
import { failure, localExec, removeWorkdirs, runner, workdir } from './terraform-runner.fixture.js';

afterAll(removeWorkdirs);

describe('TerraformRunner failures (real terraform)', () => {
  it('rejects a plan of a config with an undeclared reference with the diagnostic text', async () => {
    const cwd = await workdir({ resource: { terraform_data: { x: { input: '${terraform_data.nope.id}' } } } });
    const events: TerraformEvent[] = [];
    const error = await failure(runner().plan({ cwd, planFile: 'p.tfplan', onEvent: (e) => events.push(e) }));

    expect(error.command).toBe('plan');
    expect(error.exitCode).toBe(1);
    expect(error.timedOut).toBe(false);
    expect(error.cancelled).toBe(false);
    expect(error.diagnostics).toHaveLength(1);
    expect(error.diagnostics[0]).toContain('Error: Reference to undeclared resource: A managed resource "terraform_data" "nope"');
    expect(error.message).toMatch(/^terraform plan failed \(exit 1\): Error: Reference to undeclared resource: /);
    expect(events.some((e) => e.type === 'diagnostic' && e.level === 'error')).toBe(true);
  });

  it('rejects an init that cannot find a provider with the error text from stderr', async () => {
    const cwd = await workdir({ terraform: { required_providers: { nothere: { source: 'example/nothere' } } } });
    const error = await failure(runner({ pluginDir: await workdir() }).init({ cwd }));

    expect(error.command).toBe('init');
    expect(error.exitCode).toBe(1);
    expect(error.diagnostics[0]).toMatch(/^Error: Failed to query available provider packages: .*example\/nothere/);
    expect(error.message).toMatch(/^terraform init failed \(exit 1\): Error: Failed to query available provider packages/);
    expect(existsSync(path.join(cwd, '.terraform', INIT_STAMP_FILE))).toBe(false);
  });

  it('reports a missing binary as not found and names CLOUD_ENGINE_TERRAFORM_BIN', async () => {
    const cwd = await workdir(localExec('x', 'true'));
    const tf = runner({ binary: '/nonexistent/bin/terraform' });
    const error = await failure(tf.plan({ cwd, planFile: 'p.tfplan' }));

    expect(error.message).toContain('"/nonexistent/bin/terraform" was not found');
    expect(error.message).toContain('CLOUD_ENGINE_TERRAFORM_BIN');
    expect(error.exitCode).toBeNull();
    expect(tf.running).toBe(0);
  });
});
