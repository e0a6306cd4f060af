import { describe, expect, it } from 'vitest';
import { isLoopback, loadDashboardConfig } from '../../../src/dashboard/dashboard-config.js';
import { rejection } from '../../support/rejection.js';

describe('the dashboard settings', () => {
  it('default to 127.0.0.1:8080, loopback, links on http://127.0.0.1:8080', () => {
    expect(loadDashboardConfig({}, {})).toEqual({ port: 8080, host: '127.0.0.1', publicUrl: 'http://127.0.0.1:8080', metricsToken: undefined, loopback: true });
  });

  it('read CLOUD_ENGINE_DASHBOARD_PORT/_HOST/_URL and CLOUD_ENGINE_METRICS_TOKEN; options win over the environment', () => {
    const env = { CLOUD_ENGINE_DASHBOARD_PORT: '9090', CLOUD_ENGINE_DASHBOARD_HOST: '0.0.0.0', CLOUD_ENGINE_DASHBOARD_URL: 'https://ops.example.com/', CLOUD_ENGINE_METRICS_TOKEN: 'a-long-enough-token' };
    expect(loadDashboardConfig({}, env)).toEqual({ port: 9090, host: '0.0.0.0', publicUrl: 'https://ops.example.com', metricsToken: 'a-long-enough-token', loopback: false });
    expect(loadDashboardConfig({ port: 7000 }, env).port).toBe(7000);
  });

  it('builds the default link address on a wildcard or IPv6 host people can open', () => {
    expect(loadDashboardConfig({ host: '0.0.0.0', port: 81 }, {}).publicUrl).toBe('http://127.0.0.1:81');
    expect(loadDashboardConfig({ host: '::1', port: 81 }, {}).publicUrl).toBe('http://[::1]:81');
  });

  it.each([
    [{ CLOUD_ENGINE_DASHBOARD_PORT: 'lots' }, 'dashboard.port', 'CLOUD_ENGINE_DASHBOARD_PORT'],
    [{ CLOUD_ENGINE_DASHBOARD_PORT: '70000' }, 'dashboard.port', 'CLOUD_ENGINE_DASHBOARD_PORT'],
    [{ CLOUD_ENGINE_DASHBOARD_URL: 'javascript:alert(1)' }, 'dashboard.publicUrl', 'CLOUD_ENGINE_DASHBOARD_URL'],
    [{ CLOUD_ENGINE_METRICS_TOKEN: 'short' }, 'dashboard.metricsToken', 'CLOUD_ENGINE_METRICS_TOKEN'],
  ])('a bad value %j is CONFIG_INVALID naming the setting and its variable', async (env, field, variable) => {
    const error = await rejection(Promise.resolve().then(() => loadDashboardConfig({}, env)));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe(field);
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain('short"');
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopback)).toBe(false);
  });
});
