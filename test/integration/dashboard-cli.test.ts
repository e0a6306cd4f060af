import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { CLI_BIN, runCli } from '../support/cli-runner.js';
import { startTestKernel } from '../support/test-kernel.js';

const root = mkdtempSync(join(tmpdir(), 'cloud-engine-dashboard-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh working dir under the test's root (the bin runs in it, its data in dir/data). */
function workDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A port something else holds. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe.skipIf(!existsSync(CLI_BIN))('the dashboard from the command line (built bin)', () => {
  it('cloud-engine dashboard-link prints the link alone on its last line; the link signs CLOUD_ENGINE_USER in once', async () => {
    const dir = workDir('link');
    const t = await startTestKernel({ dataDir: join(dir, 'data') });
    const dashboard = (await startDashboard(t.kernel, { port: 0 }, {}))!;
    try {
      const run = runCli(dir, 'alice', ['dashboard-link'], { CLOUD_ENGINE_DASHBOARD_URL: dashboard.url });
      expect(run.status).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(new RegExp(`^${dashboard.url}/sign-in/[A-Za-z0-9_-]{43}$`));
      const first = await fetch(lines.at(-1)!, { redirect: 'manual' });
      expect(first.status).toBe(200);
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      const home = await fetch(`${dashboard.url}/`, { headers: { cookie } });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('<span class="who">alice</span>');
      expect((await fetch(lines.at(-1)!, { redirect: 'manual' })).status).toBe(400);

      const json = runCli(dir, 'alice', ['dashboard-link', '--json'], { CLOUD_ENGINE_DASHBOARD_URL: dashboard.url }).json();
      expect(json).toMatchObject({ userId: 'alice', url: expect.stringContaining(`${dashboard.url}/sign-in/`) });
    } finally {
      await dashboard.close();
      await t.dispose();
    }
  }, 60_000);

  it('dashboard-link without CLOUD_ENGINE_DASHBOARD_URL builds on the host and port settings; a bad port is named', () => {
    const dir = workDir('defaults');
    const run = runCli(dir, 'bob', ['dashboard-link'], { CLOUD_ENGINE_DASHBOARD_PORT: '9123' });
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^http:\/\/127\.0\.0\.1:9123\/sign-in\//);
    const bad = runCli(dir, 'bob', ['dashboard-link'], { CLOUD_ENGINE_DASHBOARD_PORT: 'eighty' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('CLOUD_ENGINE_DASHBOARD_PORT');
  });

  it('start serves the dashboard beside the console chat: /cloud-dashboard answers with a link on its port', async () => {
    const { port, server } = await takenPort();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = runCli(workDir('start'), 'newcomer', ['start'], { CLOUD_ENGINE_DASHBOARD_PORT: String(port), CLOUD_ENGINE_LOG_LEVEL: 'warn', DISCORD_TOKEN: '', CLOUD_ENGINE_CONSOLE: '' }, { stdin: '/cloud-dashboard\n' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/sign-in/[A-Za-z0-9_-]{43}`));
  });

  it('start with the port taken logs why and keeps the chat going; /cloud-dashboard then says the dashboard is not running', async () => {
    const { port, server } = await takenPort();
    try {
      const run = runCli(workDir('taken'), 'newcomer', ['start'], { CLOUD_ENGINE_DASHBOARD_PORT: String(port), CLOUD_ENGINE_LOG_LEVEL: 'warn', DISCORD_TOKEN: '', CLOUD_ENGINE_CONSOLE: '' }, { stdin: '/cloud-dashboard\n/cloud-projects\n' });
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`127.0.0.1:${port} is not available (EADDRINUSE)`);
      expect(run.stdout).toContain('The dashboard is not running in this process');
      expect(run.stdout).toContain('sandbox');
    } finally {
      server.close();
    }
  });

  it('start --no-dashboard serves nothing', () => {
    const run = runCli(workDir('off'), 'newcomer', ['start', '--no-dashboard'], { CLOUD_ENGINE_LOG_LEVEL: 'warn', DISCORD_TOKEN: '', CLOUD_ENGINE_CONSOLE: '' }, { stdin: '/cloud-dashboard\n' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('The dashboard is not running in this process');
  });
});
