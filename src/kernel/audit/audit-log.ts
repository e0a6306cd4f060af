import { inject, injectable } from 'inversify';
import { MoreThanOrEqual, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { AuditEventEntity } from '../persistence/entities/audit-event.entity.js';
import type { JsonObject } from '../persistence/columns.js';
import { token } from '../plugin/token.js';

export interface AuditRecord {
  readonly actor: string;
  readonly action: string;
  readonly projectId?: string | null;
  readonly sessionId?: string | null;
  readonly details?: Record<string, unknown>;
}

/** One audit event as read back. */
export interface AuditEvent {
  readonly id: number;
  readonly actor: string;
  readonly action: string;
  readonly projectId: string | null;
  readonly sessionId: string | null;
  readonly details: Record<string, unknown>;
  readonly at: Date;
}

export interface AuditFilter {
  projectId?: string;
  sessionId?: string;
  actor?: string;
  action?: string;
  since?: Date;
  limit?: number;
}

/** The append-only audit trail of every state change and admin action. */
@injectable()
export class AuditLog {
  constructor(@inject(DatabaseToken) private readonly db: Database) {}

  /** Records an event, inside the caller's transaction when one is given. */
  async record(event: AuditRecord, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.insert(AuditEventEntity, {
      actor: event.actor,
      action: event.action,
      projectId: event.projectId ?? null,
      sessionId: event.sessionId ?? null,
      details: (event.details ?? {}) as JsonObject,
      at: new Date(),
    });
  }

  /**
   * Records a refused action (`action.refused`) with who asked, what, and
   * the reason given to them; never fails the refusal itself.
   */
  async refused(refusal: { actor: string; action: string; projectId?: string | null; sessionId?: string | null; error: { code: string; message: string } }): Promise<void> {
    await this.record({
      actor: refusal.actor,
      action: 'action.refused',
      projectId: refusal.projectId,
      sessionId: refusal.sessionId,
      details: { action: refusal.action, code: refusal.error.code, reason: refusal.error.message },
    }).catch(() => undefined);
  }

  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const where: FindOptionsWhere<AuditEventEntity> = {};
    if (filter.projectId) where.projectId = filter.projectId;
    if (filter.sessionId) where.sessionId = filter.sessionId;
    if (filter.actor) where.actor = filter.actor;
    if (filter.action) where.action = filter.action;
    // ISO strings sort like the instants they denote.
    if (filter.since) where.at = MoreThanOrEqual(filter.since.toISOString()) as never;
    const rows = await this.db.manager.find(AuditEventEntity, { where, order: { id: 'ASC' }, take: filter.limit });
    return rows.map((row) => ({ ...row }));
  }
}
export const AuditLogToken = token<AuditLog>('kernel.audit');
