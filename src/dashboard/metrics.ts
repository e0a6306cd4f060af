import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kernel } from '../kernel/kernel.js';
import { AuditTally } from './audit-tally.js';

type Timed = { operation: 'plan' | 'apply' | 'destroy'; started: number };

/** Where each timed terraform operation starts, and how it ends. */
const STARTS: Readonly<Record<string, Timed['operation']>> = { PLANNING: 'plan', DESTROY_PLANNING: 'plan', APPLYING: 'apply', DESTROYING: 'destroy' };
const ENDS: Readonly<Record<string, string>> = { PLAN_READY: 'success', DESTROY_READY: 'success', APPLIED: 'success', DESTROYED: 'success', PLAN_FAILED: 'failure', FAILED: 'failure', CANCELLED: 'cancelled' };

/**
 * The operators' metrics (`/metrics`, Prometheus text): counted from the
 * kernel's events as this process sees them, plus gauges read from the
 * kernel at scrape time (sessions by state, terraform work, provider pool).
 */
export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly running = new Map<string, Timed>();
  /** Sessions whose terraform waits for a slot, since when (ms). */
  private readonly waiting = new Map<string, number>();

  constructor(kernel: Kernel) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'cloud_engine_process_' });
    const plans = new Counter({ name: 'cloud_engine_plans_total', help: 'Plans finished, by outcome (success, failure, cancelled).', labelNames: ['outcome'], registers });
    const applies = new Counter({ name: 'cloud_engine_applies_total', help: 'Applies and teardowns finished, by outcome (the session state they ended in).', labelNames: ['outcome'], registers });
    const approvals = new Counter({ name: 'cloud_engine_approvals_total', help: 'Plans approved (sessions entering APPROVED or DESTROYING by approval).', registers });
    const transitions = new Counter({ name: 'cloud_engine_session_transitions_total', help: 'Session state changes, by the state entered.', labelNames: ['to'], registers });
    const duration = new Histogram({
      name: 'cloud_engine_terraform_duration_seconds',
      help: 'How long terraform plans, applies and teardowns took, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    const ttl = new Counter({ name: 'cloud_engine_ttl_actions_total', help: 'Lifecycle actions: expiry reminders, expiries and failed teardowns.', labelNames: ['action'], registers });
    const votes = new Counter({ name: 'cloud_engine_session_approvals_total', help: 'Approvals of plans recorded (approved) and withdrawn before the apply (revoked).', labelNames: ['event'], registers });
    const drifted = new Counter({ name: 'cloud_engine_drift_detected_total', help: 'Drifts announced: a check found a drift not announced or dismissed before (deployment.drifted).', registers });
    const driftChecks = new AuditTally(kernel.audit, 'deployment.driftChecked');
    new Counter({
      name: 'cloud_engine_drift_checks_total',
      help: "Drift checks ended since this process started, by status (NONE, DRIFTED, FAILED), from the audit trail (every process sharing the database).",
      labelNames: ['status'],
      registers,
      async collect() {
        for (const event of await driftChecks.fresh()) this.inc({ status: String(event.details.status ?? 'UNKNOWN') });
      },
    });
    const queueWait = new Histogram({
      name: 'cloud_engine_terraform_queue_wait_seconds',
      help: "How long a session's terraform command waited for a free slot (maxTerraform) before it ran; only commands that had to wait.",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    const acknowledged = new Histogram({
      name: 'cloud_engine_chat_ack_seconds',
      help: "How long after a user's click or command this process's chat adapter answered it first (Discord allows 3 s).",
      labelNames: ['adapter'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    const orchestrator = kernel.orchestrator;
    new Gauge({
      name: 'cloud_engine_sessions',
      help: 'Sessions by state (every project).',
      labelNames: ['state'],
      registers,
      async collect() {
        const stats = await orchestrator.stats();
        this.reset();
        for (const [state, count] of Object.entries(stats.byState)) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'cloud_engine_terraform_processes',
      help: "This process's terraform commands, running and queued for a slot.",
      labelNames: ['status'],
      registers,
      async collect() {
        const { terraform } = await orchestrator.stats();
        this.set({ status: 'running' }, terraform.running);
        this.set({ status: 'queued' }, terraform.queued);
      },
    });
    new Gauge({
      name: 'cloud_engine_job_queue',
      help: 'The PostgreSQL job queue (every process): terraform jobs waiting for a worker and running on one; absent when terraform runs in-process.',
      labelNames: ['status'],
      registers,
      async collect() {
        const { jobs } = await orchestrator.stats();
        this.reset();
        if (!jobs) return;
        this.set({ status: 'waiting' }, jobs.waiting);
        this.set({ status: 'running' }, jobs.running);
      },
    });
    new Gauge({
      name: 'cloud_engine_provider_pool',
      help: 'The warm provider pool: leases served by a pooled process (hits) or not (misses), starts, fallbacks, crashes, and processes alive.',
      labelNames: ['measure'],
      registers,
      async collect() {
        const { pool } = (await orchestrator.stats()).terraform;
        this.reset();
        if (!pool) return;
        for (const measure of ['hits', 'misses', 'starts', 'recycles', 'fallbacks', 'crashes', 'prewarms', 'processes', 'idle'] as const) this.set({ measure }, pool[measure]);
      },
    });

    const events = kernel.events;
    this.unsubscribe.push(
      events.on('chat.acknowledged', ({ adapter, ms }) => acknowledged.observe({ adapter }, ms / 1000)),
      events.on('session.stateChanged', ({ sessionId, from, to }) => {
        transitions.inc({ to });
        if (to === 'APPROVED' || (to === 'DESTROYING' && from === 'DESTROY_READY')) approvals.inc();
        const timed = this.running.get(sessionId);
        const outcome = ENDS[to];
        // A command cancelled while it waited for a slot never ran.
        if (outcome) this.waiting.delete(sessionId);
        if (timed && outcome) {
          this.running.delete(sessionId);
          duration.observe({ operation: timed.operation, outcome }, (Date.now() - timed.started) / 1000);
          if (timed.operation === 'plan') plans.inc({ outcome });
        }
        const operation = STARTS[to];
        if (operation) this.running.set(sessionId, { operation, started: Date.now() });
      }),
      events.on('apply.finished', ({ state }) => applies.inc({ outcome: state })),
      events.on('deployment.expiring', () => ttl.inc({ action: 'reminder' })),
      events.on('deployment.expired', () => ttl.inc({ action: 'expired' })),
      events.on('deployment.expiryFailed', () => ttl.inc({ action: 'teardown_failed' })),
      events.on('session.approved', () => votes.inc({ event: 'approved' })),
      events.on('session.approvalRevoked', () => votes.inc({ event: 'revoked' })),
      events.on('deployment.drifted', () => drifted.inc()),
      events.on('terraform.queued', ({ sessionId, position }) => {
        if (position > 0) {
          if (!this.waiting.has(sessionId)) this.waiting.set(sessionId, Date.now());
          return;
        }
        const since = this.waiting.get(sessionId);
        if (since === undefined) return;
        this.waiting.delete(sessionId);
        queueWait.observe((Date.now() - since) / 1000);
      }),
    );
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.registry.clear();
  }
}
