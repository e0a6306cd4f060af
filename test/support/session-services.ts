import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessService } from '../../src/kernel/access/access-service.js';
import { GrantAuthorizer } from '../../src/kernel/access/grant-authorizer.js';
import { AuditLog } from '../../src/kernel/audit/audit-log.js';
import { loadConfig } from '../../src/kernel/config/engine-config.js';
import { KernelEvents } from '../../src/kernel/events/kernel-events.js';
import { createLogger } from '../../src/kernel/logger.js';
import { openDatabase } from '../../src/kernel/persistence/database.js';
import type { CloudProvider } from '../../src/kernel/plugin/cloud-provider.js';
import type { CostEstimator } from '../../src/kernel/plugin/cost-estimator.js';
import type { PolicyValidator } from '../../src/kernel/plugin/policy-validator.js';
import { Registry } from '../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../src/kernel/plugin/resource-type.js';
import { ProjectService } from '../../src/kernel/projects/project-service.js';
import { QuotaService } from '../../src/kernel/quotas/quota-service.js';
import { Redactor } from '../../src/kernel/secrets/redactor.js';
import { SealedBox } from '../../src/kernel/secrets/sealed-box.js';
import { DeploymentStore } from '../../src/kernel/deployments/deployment-store.js';
import { Operations } from '../../src/kernel/sessions/operations.js';
import { SessionLocks } from '../../src/kernel/sessions/session-lock.js';
import type { SessionServices } from '../../src/kernel/sessions/session-services.js';
import { SessionStore } from '../../src/kernel/sessions/session-store.js';
import { StackSynthesizer } from '../../src/kernel/synth/stack-synthesizer.js';
import { TerraformRunner } from '../../src/kernel/terraform/terraform-runner.js';
import { sandboxBucketResource } from '../../src/resources/sandbox/bucket.resource.js';
import { sandboxVmResource } from '../../src/resources/sandbox/vm.resource.js';
import { sandboxProvider } from '../../src/providers/sandbox.provider.js';
import { ADMIN } from './test-kernel.js';

/**
 * The services the session flows work with, built from the real parts on a
 * fresh data dir — no container, no kernel — so one flow can be tested alone
 * (the way Theia's tests build a class directly). The sandbox provider and
 * its types are registered; `admin` is a global admin.
 */
export async function startSessionServices(options: { policies?: PolicyValidator[] } = {}): Promise<SessionServices & { dispose(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-flows-'));
  const config = loadConfig({ dataDir, admins: [ADMIN], logLevel: 'silent', env: {} });
  const logger = createLogger('silent');
  const db = await openDatabase(dataDir);
  const providers = new Registry<CloudProvider>('provider', (provider) => provider.id, [{ pluginId: 'sandbox', item: sandboxProvider }]);
  const resourceTypes = new Registry<ResourceType>('resource type', (type) => type.type, [
    { pluginId: 'sandbox', item: sandboxVmResource },
    { pluginId: 'sandbox', item: sandboxBucketResource },
  ]);
  const policies = new Registry<PolicyValidator>('policy validator', (validator) => validator.id, (options.policies ?? []).map((item) => ({ pluginId: 'test', item })));
  const estimators = new Registry<CostEstimator>('cost estimator', (estimator) => estimator.id);
  const audit = new AuditLog(db);
  const events = new KernelEvents();
  const access = new AccessService(db, config, audit);
  const authorizer = new GrantAuthorizer(access, audit);
  const operations = new Operations(db, events, logger);
  const deployments = new DeploymentStore(db);
  const runner = new TerraformRunner({ binary: config.terraformBin, maxConcurrent: 2, timeouts: { init: 60_000, plan: 60_000, apply: 60_000, show: 60_000, output: 60_000 } });
  return {
    db,
    config,
    logger,
    projects: new ProjectService(db, providers, policies, authorizer, audit),
    authorizer,
    audit,
    events,
    resourceTypes,
    policies,
    estimators,
    runner,
    synthesizer: new StackSynthesizer(providers, resourceTypes),
    locks: new SessionLocks(),
    quotas: new QuotaService(db, access, audit, resourceTypes),
    access,
    redactor: new Redactor(),
    box: await SealedBox.open(dataDir),
    store: new SessionStore(db, audit, events, resourceTypes, dataDir, operations.ownerId, (sessionId) => operations.queuePosition(sessionId), (manager, before, after) =>
      deployments.follow(manager, before, after),
    ),
    deployments,
    operations,
    async dispose() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
