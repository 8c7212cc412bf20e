import type { Database } from './db/connection.ts';

export interface AuditActor {
  userId?: number | null;
  username?: string | null;
  ip?: string | null;
}

/** Append-only trail of who did what: logins, decisions, prints, exports, full-ID reads. */
export class AuditLog {
  constructor(private readonly db: Database) {}

  async record(
    action: string,
    actor: AuditActor,
    target: { type?: string; id?: string | number; eventId?: number } = {},
    detail: object = {},
  ): Promise<void> {
    await this.db.models.AuditEntry.create({
      action,
      userId: actor.userId ?? null,
      username: actor.username ?? null,
      ip: actor.ip ?? null,
      targetType: target.type ?? null,
      targetId: target.id === undefined ? null : String(target.id),
      eventId: target.eventId ?? null,
      detail,
    });
  }
}
