import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadDashboardConfig, type DashboardOptions } from '../../../src/dashboard/dashboard-config.js';
import { buildDashboard } from '../../../src/dashboard/server.js';
import type { Kernel } from '../../../src/kernel/kernel.js';

/** The dashboard app over a real kernel, not listening: driven with `inject`. */
export async function dashboardApp(kernel: Kernel, options: DashboardOptions = {}, env: NodeJS.ProcessEnv = {}): Promise<FastifyInstance> {
  const { app } = await buildDashboard(kernel, loadDashboardConfig({ port: 0, ...options }, env));
  await app.ready();
  return app;
}

/** A browser signed in as `userId` through a link from the kernel: its cookie header and its form token. */
export async function signIn(app: FastifyInstance, kernel: Kernel, userId: string): Promise<{ cookie: string; csrf: string }> {
  const link = await kernel.signIns.issueLink(userId, 'http://127.0.0.1:8080');
  const opened = await app.inject({ method: 'GET', url: `/sign-in/${link.token}` });
  if (opened.statusCode !== 200) throw new Error(`sign-in failed: ${opened.statusCode} ${opened.body}`);
  const cookie = cookieOf(opened);
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1];
  if (!csrf) throw new Error('no CSRF token on the home page');
  return { cookie, csrf };
}

/** The `name=value` of the session cookie a response set. */
export function cookieOf(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const first = (Array.isArray(header) ? header[0] : header) ?? '';
  return first.split(';')[0]!;
}

/** A form body as a browser sends it. */
export function form(fields: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return { payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
