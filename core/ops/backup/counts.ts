import type pg from 'pg';
import type { DomainCounts } from './types.ts';

/**
 * What an office counts after a redeployment — events, units, users, photos, records by kind and
 * review status, cards by status — read in the backup's own snapshot transaction and kept in the
 * manifest, so a redeployment drill can compare the restored system with the backup in the
 * domain's words (the per-table row counts and checksums prove the rows; these say what they mean).
 */
export async function domainCounts(client: pg.ClientBase): Promise<DomainCounts> {
  const count = async (table: string) =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  const grouped = async (sql: string) => {
    const out: Record<string, number> = {};
    for (const row of (await client.query<{ k: string; n: string }>(sql)).rows) out[row.k] = Number(row.n);
    return out;
  };
  return {
    events: await count('events'),
    units: await count('units'),
    users: await count('users'),
    photos: await count('photos'),
    records: await grouped(
      `SELECT kind || '/' || status AS k, count(*) AS n FROM records GROUP BY 1 ORDER BY 1`,
    ),
    cards: await grouped(`SELECT status AS k, count(*) AS n FROM cards GROUP BY 1 ORDER BY 1`),
  };
}
