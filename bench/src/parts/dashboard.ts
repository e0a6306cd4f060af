// Dashboard part (§10, issue 20): page and live-log latency while N applies stream.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDashboard } from '../../../src/dashboard/server.js';
import { createKernel } from '../../../src/index.js';
import { CONFIG, load, round, sleep } from '../lib/config.js';
import { quantile } from '../lib/stats.js';

/** Latency percentiles of a sample, ms. */
function percentiles(values: readonly number[]) {
  return { n: values.length, p50: round(quantile(values, 0.5), 1), p90: round(quantile(values, 0.9), 1), p99: round(quantile(values, 0.99), 1), max: round(values.length ? Math.max(...values) : Number.NaN, 1) };
}

/** Reads a server-sent event stream until `end`, calling `onLine` for each `line` event as it arrives. */
async function follow(url: string, cookie: string, onLine: (data: { seq: number; line: string }) => void): Promise<void> {
  const response = await fetch(url, { headers: { cookie, accept: 'text/event-stream' } });
  if (!response.ok || !response.body) throw new Error(`stream ${url}: ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event === 'line' && data) onLine(JSON.parse(data) as { seq: number; line: string });
      if (event === 'end') return;
    }
  }
}

/** Times GETs of the dashboard's pages in a loop until `until()` says stop; ms per request by page. */
async function pageLoop(base: string, cookie: string, paths: Record<string, string>, until: () => boolean, pauseMs: number): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
  while (!until()) {
    for (const [name, path] of Object.entries(paths)) {
      const started = performance.now();
      const response = await fetch(`${base}${path}`, { headers: { cookie } });
      await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      times[name]!.push(performance.now() - started);
    }
    await sleep(pauseMs);
  }
  return times;
}

export async function dashboardPart() {
  const applies = CONFIG.dashboardApplies;
  const bootSeconds = CONFIG.dashboardBootSeconds;
  const root = mkdtempSync(join(CONFIG.workDir, 'dashboard-'));
  // Every apply streams at once: a terraform slot each (sandbox applies are shell loops, not providers).
  const kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], maxTerraform: applies, env: {} });
  const dashboard = (await startDashboard(kernel, { port: 0, host: '127.0.0.1' }, {}))!;
  try {
    await kernel.projects.create({ id: 'bench', provider: 'sandbox', createdBy: 'admin' });
    const link = await kernel.signIns.issueLink('admin');
    const signIn = await fetch(link.url, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;

    const sessions: { id: string; planId: string; deploymentId: string }[] = [];
    for (let i = 0; i < applies; i += 1) {
      const session = await kernel.orchestrator.startSession('admin', 'bench', 'sandbox', { deployment: `app-${i}` });
      await kernel.orchestrator.addResource(session.id, 'admin', { type: 'sandbox.vm', name: `vm${i}`, config: { bootSeconds } });
      const plan = await kernel.orchestrator.runPlan(session.id, 'admin');
      sessions.push({ id: session.id, planId: plan.id, deploymentId: session.deploymentId });
    }
    const paths = { deployments: '/', deployment: `/deployments/${sessions[0]!.deploymentId}`, session: `/sessions/${sessions[0]!.id}` };

    // Idle: the pages with nothing running.
    const idleUntil = Date.now() + CONFIG.dashboardIdleMs;
    const idle = await pageLoop(dashboard.url, cookie, paths, () => Date.now() > idleUntil, 50);

    // Streaming: every apply at once, each followed by its own SSE stream; pages timed meanwhile.
    const printedAt = new Map<string, number>();
    const off = kernel.events.on('output.line', ({ sessionId, line }) => {
      const key = `${sessionId}\n${line}`;
      if (!printedAt.has(key)) printedAt.set(key, performance.now());
    });
    const delivery: number[] = [];
    let delivered = 0;
    const loadStart = load();
    const started = performance.now();
    const runs = sessions.map((session) => kernel.orchestrator.approveAndApply(session.id, 'admin', { planId: session.planId }));
    const streams = sessions.map((session) =>
      follow(`${dashboard.url}/sessions/${session.id}/output`, cookie, ({ line }) => {
        delivered += 1;
        const at = printedAt.get(`${session.id}\n${line}`);
        // Lines printed before the stream opened (its first read) are history, not live delivery.
        if (at !== undefined && /booting /.test(line)) delivery.push(performance.now() - at);
      }),
    );
    let done = false;
    const pagesWhileStreaming = pageLoop(dashboard.url, cookie, paths, () => done, 50);
    const states = await Promise.all(runs.map((run) => run.then((view) => view.state)));
    await Promise.all(streams);
    const streamingMs = performance.now() - started;
    done = true;
    const busy = await pagesWhileStreaming;
    off();
    const loadEnd = load();
    const persisted = (await Promise.all(sessions.map((session) => kernel.orchestrator.getOutput(session.id)))).reduce((sum, lines) => sum + lines.length, 0);

    return {
      measuredAt: new Date().toISOString(),
      applies,
      bootSeconds,
      pollMs: 250,
      wakeAfterLineMs: 220,
      states: summarizeStates(states),
      streamingMs: round(streamingMs),
      load: { start: loadStart, end: loadEnd },
      lines: { persisted, delivered, timedBootLines: delivery.length },
      liveLog: percentiles(delivery),
      pages: Object.fromEntries(
        Object.keys(paths).map((name) => [name, { idle: percentiles(idle[name]!), streaming: percentiles(busy[name]!) }]),
      ),
    };
  } finally {
    await dashboard.close();
    await kernel.close();
    rmSync(root, { recursive: true, force: true });
  }
}

function summarizeStates(states: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of states) counts[state] = (counts[state] ?? 0) + 1;
  return counts;
}
