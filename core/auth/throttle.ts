import { QueryTypes } from 'sequelize';
import type { AuthConfig } from '../config.ts';
import type { Database } from '../db/connection.ts';

/** Failed-login rows older than this are pruned (and no window looks further back). */
const HORIZON_MS = 86_400_000;

/** A refusal that ends at `until`; the message says in how many minutes. */
export interface Block {
  until: Date;
}

export const minutesUntil = (until: Date, now = new Date()): number =>
  Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));

/**
 * Failed sign-ins kept in PostgreSQL (table login_failures), so every server process on the database
 * counts the same failures. One row per failure: the address it came from and the name typed.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly config: AuthConfig,
  ) {}

  private get horizonMs(): number {
    return Math.max(HORIZON_MS, this.config.addressWindowMinutes * 60_000);
  }

  /**
   * The address is refused while it has `addressMaxFailures` failures within the window (sliding):
   * the block ends when the oldest of the newest `addressMaxFailures` failures leaves the window.
   */
  async addressBlock(ip: string, now = new Date()): Promise<Block | null> {
    const windowMs = this.config.addressWindowMinutes * 60_000;
    const [row] = await this.db.sequelize.query<{ at: Date }>(
      `SELECT at FROM login_failures WHERE ip = :ip AND at > :since
        ORDER BY at DESC OFFSET :skip LIMIT 1`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          ip,
          since: new Date(now.getTime() - windowMs),
          skip: this.config.addressMaxFailures - 1,
        },
      },
    );
    return row ? { until: new Date(new Date(row.at).getTime() + windowMs) } : null;
  }

  /**
   * The lock a name that belongs to no account would be under, had it one: the account rule
   * (`lockoutFailures` wrong passwords in a row lock for `lockoutMinutes`; tries while locked do not
   * count; the count starts again when a lock ends) replayed over the name's failures, so a lock
   * answer never tells an unknown name from a real one.
   */
  async unknownNameBlock(username: string, now = new Date()): Promise<Block | null> {
    const rows = await this.db.sequelize.query<{ at: Date }>(
      `SELECT at FROM login_failures WHERE username = :name AND at > :since ORDER BY at LIMIT 1000`,
      {
        type: QueryTypes.SELECT,
        replacements: { name: nameKey(username), since: new Date(now.getTime() - this.horizonMs) },
      },
    );
    let count = 0;
    let lockedUntil: number | null = null;
    for (const { at } of rows) {
      const t = new Date(at).getTime();
      if (lockedUntil !== null && t < lockedUntil) continue;
      if (lockedUntil !== null) {
        lockedUntil = null;
        count = 0;
      }
      count += 1;
      if (count >= this.config.lockoutFailures) lockedUntil = t + this.config.lockoutMinutes * 60_000;
    }
    return lockedUntil !== null && lockedUntil > now.getTime() ? { until: new Date(lockedUntil) } : null;
  }

  /** Times are this process's clock, like the windows that read them. */
  async recordFailure(ip: string, username: string, now = new Date()): Promise<void> {
    await this.db.sequelize.query('INSERT INTO login_failures (at, ip, username) VALUES (:now, :ip, :name)', {
      replacements: { now, ip, name: nameKey(username) },
    });
  }

  /** Drops rows no window reaches any more (run now and then, e.g. on a successful sign-in). */
  async prune(now = new Date()): Promise<void> {
    await this.db.sequelize.query('DELETE FROM login_failures WHERE at < :before', {
      replacements: { before: new Date(now.getTime() - this.horizonMs) },
    });
  }
}

const nameKey = (username: string) => username.trim().toLowerCase().slice(0, 200);
