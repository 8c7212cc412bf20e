import { QueryTypes } from 'sequelize';
import { AUDIT_GROUPS, type AuditEntryView, type AuditFilter, type AuditPage } from './audit-view.ts';
import type { Database } from './db/connection.ts';
import { TesseraError } from './errors.ts';

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

  /** Entries newest first, filtered (admin screen 审计日志); the total counts every match. */
  async query(filter: AuditFilter, page: { offset: number; limit: number }): Promise<AuditPage> {
    const where: string[] = [];
    const replacements: Record<string, unknown> = { offset: page.offset, limit: page.limit };
    const time = (value: string | undefined, name: 'from' | 'to') => {
      if (!value) return;
      const at = new Date(value);
      if (Number.isNaN(at.getTime()))
        throw new TesseraError('invalid_request', `时间 ${name}="${value}" 无法识别，应为 ISO 时间`);
      replacements[name] = at;
      where.push(name === 'from' ? 'a.at >= :from' : 'a.at < :to');
    };
    time(filter.from, 'from');
    time(filter.to, 'to');
    if (filter.action) {
      const group = AUDIT_GROUPS.find((g) => g.id === filter.action);
      replacements.actions = group ? [...group.actions] : [filter.action];
      where.push('a.action IN (:actions)');
    }
    if (filter.user) {
      replacements.user = filter.user;
      where.push('a.username = :user');
    }
    if (filter.ip) {
      replacements.ip = filter.ip;
      where.push('a.ip = :ip');
    }
    if (filter.target) {
      const [type, id] = filter.target.includes(':') ? filter.target.split(':', 2) : [null, filter.target];
      replacements.targetId = id;
      where.push('a.target_id = :targetId');
      if (type) {
        replacements.targetType = type;
        where.push('a.target_type = :targetType');
      }
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.db.sequelize.query<{
      id: string;
      at: Date;
      action: string;
      user_id: string | null;
      username: string | null;
      ip: string | null;
      target_type: string | null;
      target_id: string | null;
      event_id: string | null;
      event_code: string | null;
      detail: Record<string, unknown>;
      total: string;
    }>(
      `SELECT a.*, e.code AS event_code, count(*) OVER () AS total
         FROM audit_log a LEFT JOIN events e ON e.id = a.event_id
         ${clause} ORDER BY a.at DESC, a.id DESC OFFSET :offset LIMIT :limit`,
      { type: QueryTypes.SELECT, replacements },
    );
    let total = Number(rows[0]?.total ?? 0);
    if (rows.length === 0 && page.offset > 0) {
      const [counted] = await this.db.sequelize.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_log a ${clause}`,
        { type: QueryTypes.SELECT, replacements },
      );
      total = Number(counted?.n ?? 0);
    }
    const entries: AuditEntryView[] = rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      action: r.action,
      userId: r.user_id === null ? null : Number(r.user_id),
      username: r.username,
      ip: r.ip,
      targetType: r.target_type,
      targetId: r.target_id,
      eventId: r.event_id === null ? null : Number(r.event_id),
      eventCode: r.event_code,
      detail: r.detail ?? {},
    }));
    return { entries, total, offset: page.offset, limit: page.limit };
  }
}
