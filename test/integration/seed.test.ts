// `tessera seed` on a small count, run as a user runs it (a child process on a fresh database):
// every ID number decrypts to a valid one whose keyed hash and mask are what the records service
// stores, plates are valid, statuses and card states are spread, each approved record has at most
// one live card, card numbers follow the card type's numbering and the counters continue after
// them, the report counts agree with the tables — and a second run adds to the first.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { maskIdNumber } from '../../core/crypto/sensitive.ts';
import { createEngine, type Engine } from '../../core/engine.ts';
import { checkIdNumber, checkPlate } from '../../core/validation/index.ts';
import { staleCardHeld } from '../support/card-held.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase } from '../support/harness.ts';

let env: Record<string, string>;
let engine: Engine;

const sql = <T extends object>(query: string, replacements: Record<string, unknown> = {}) =>
  engine.db.sequelize.query<T>(query, { type: QueryTypes.SELECT, replacements });

beforeAll(async () => {
  env = {
    DATABASE_URL: await createTestDatabase(),
    TESSERA_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'tessera-seed-')),
    TESSERA_BACKUP_SCHEDULE: 'off',
  };
});

afterAll(async () => {
  await engine?.close();
});

describe('tessera seed', () => {
  it('fills an event with units, people, vehicles and cards, showing progress', async () => {
    const result = await runCli(
      ['seed', '--persons', '600', '--vehicles', '40', '--event', 'demo-expo', '--seed', '7', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ event: 'EXPO2026', persons: 600, vehicles: 40, units: 20 });
    expect(summary.cards).toBeGreaterThan(300);
    expect(result.stderr).toContain('记录 640/640 (100%)');
    expect(result.stderr).toContain('证件流转记录');

    engine = await createEngine(loadConfig(env), { role: 'test' });
    const [counts] = await sql<{ persons: number; vehicles: number; units: number }>(
      `SELECT count(*) FILTER (WHERE kind = 'person')::int AS persons,
              count(*) FILTER (WHERE kind = 'vehicle')::int AS vehicles,
              count(DISTINCT unit_id)::int AS units FROM records`,
    );
    expect(counts).toEqual({ persons: 600, vehicles: 40, units: 20 });
  });

  it('stores ID numbers exactly like real records: valid, sealed, keyed hash, masked', async () => {
    const rows = await sql<{
      kind: string;
      id_number_enc: Buffer;
      id_number_hash: Buffer;
      id_number_masked: string;
      birth_date: string | null;
      gender: string | null;
      plate_number: string | null;
      name: string;
    }>(
      'SELECT kind, id_number_enc, id_number_hash, id_number_masked, birth_date::text AS birth_date, gender, plate_number, name FROM records',
    );
    const seen = new Set<string>();
    for (const r of rows) {
      const id = engine.sensitive.decrypt(r.id_number_enc);
      const check = checkIdNumber(id);
      expect(check.valid, id).toBe(true);
      expect(r.id_number_hash.equals(engine.sensitive.lookupHash(id))).toBe(true);
      expect(r.id_number_masked).toBe(maskIdNumber(id));
      if (r.kind === 'person') {
        expect(check.birthDate).toBe(r.birth_date);
        expect(check.gender).toBe(r.gender);
        expect(r.name).toMatch(/^[\u4e00-\u9fa5]{2,4}$/);
        seen.add(id);
      } else {
        expect(checkPlate(r.plate_number).valid, r.plate_number ?? '').toBe(true);
      }
    }
    expect(seen.size).toBe(600);
  });

  it('spreads statuses and card states; one live card per record; numbering and counters hold', async () => {
    const statuses = await sql<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM records GROUP BY 1',
    );
    const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s.n]));
    for (const s of ['draft', 'submitted', 'approved', 'rejected']) expect(byStatus[s]).toBeGreaterThan(0);
    expect(byStatus.approved).toBeGreaterThan(640 * 0.6);

    const cardStates = await sql<{ status: string }>('SELECT DISTINCT status FROM cards');
    expect(cardStates.map((c) => c.status).sort()).toEqual(
      expect.arrayContaining(['issued', 'lost', 'printed', 'replaced', 'revoked']),
    );
    const [wrong] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM cards c JOIN records r ON r.id = c.record_id
        WHERE r.status <> 'approved' OR r.unit_id <> c.unit_id OR r.card_type <> c.card_type`,
    );
    expect(wrong!.n).toBe(0);
    const [live] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT record_id FROM cards WHERE status IN ('queued','printed','issued')
        GROUP BY record_id HAVING count(*) > 1) x`,
    );
    expect(live!.n).toBe(0);
    const vip = await sql<{ card_number: string; seq: number }>(
      `SELECT DISTINCT card_number, seq FROM cards WHERE card_type = 'VIP' ORDER BY seq`,
    );
    vip.forEach((c, i) =>
      expect(c).toEqual({ card_number: `VIP-${String(i + 1).padStart(5, '0')}`, seq: i + 1 }),
    );
    const counters = await sql<{ card_type: string; last_seq: number; max: number }>(
      `SELECT n.card_type, n.last_seq, (SELECT max(seq) FROM cards c WHERE c.card_type = n.card_type) AS max
         FROM card_number_counters n`,
    );
    expect(counters.length).toBeGreaterThan(3);
    for (const c of counters) expect(c.last_seq).toBe(c.max);
    // Issued cards carry dates within the three weeks before the event and its days.
    const [range] = await sql<{ first: string; last: string }>(
      `SELECT min(issued_at AT TIME ZONE 'Asia/Shanghai')::date::text AS first,
              max(issued_at AT TIME ZONE 'Asia/Shanghai')::date::text AS last FROM cards`,
    );
    expect(range!.first >= '2026-09-24').toBe(true);
    expect(range!.last <= '2026-10-19').toBe(true);
  });

  it('the report counts agree with the tables; a second run adds to the first', async () => {
    const actor = { role: 'admin' as const };
    const report = await engine.reports.statistics('EXPO2026', actor);
    expect(report.totals.records.total).toBe(640);
    const [cards] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM cards');
    expect(report.totals.cards.total).toBe(cards!.n);

    const again = await runCli(['seed', '--persons', '50', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const [total] = await sql<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id_number_hash)::int AS ids FROM records WHERE kind = 'person'`,
    );
    expect(total).toEqual({ n: 650, ids: 650 });
    expect((await engine.reports.statistics('EXPO2026', actor)).totals.records.total).toBe(690);

    // The report just folded: every total kept above the counts (migration 0015) is what the records
    // and cards themselves add up to.
    const same = async (kept: string, actual: string) => {
      const rows = (q: string) =>
        sql<{ k: string; n: number }>(`SELECT k, n::int AS n FROM (${q}) t ORDER BY k`);
      const [a, b] = await Promise.all([rows(kept), rows(actual)]);
      expect(a.length, kept).toBeGreaterThan(0);
      expect(a, kept).toEqual(b);
    };
    await same(
      `SELECT concat_ws('/', event_id, card_type, status, zones) AS k, amount AS n FROM report_record_zone_totals`,
      `SELECT concat_ws('/', event_id, coalesce(card_type, ''), status, zones) AS k, count(*) AS n FROM records GROUP BY 1`,
    );
    await same(
      `SELECT concat_ws('/', event_id, unit_id, card_type) AS k, amount AS n FROM report_record_unit_totals`,
      `SELECT concat_ws('/', event_id, unit_id, coalesce(card_type, '')) AS k, count(*) AS n FROM records
        WHERE status <> 'deleted' GROUP BY 1`,
    );
    await same(
      `SELECT concat_ws('/', event_id, card_type, status) AS k, amount AS n FROM report_card_type_totals`,
      `SELECT concat_ws('/', event_id, card_type, status) AS k, count(*) AS n FROM cards GROUP BY 1`,
    );
    await same(
      `SELECT concat_ws('/', event_id, unit_id, card_type) AS k, amount AS n FROM report_card_unit_totals`,
      `SELECT concat_ws('/', event_id, unit_id, card_type) AS k, count(*) AS n FROM cards GROUP BY 1`,
    );
    // Seeded cards are copied in bulk: the trigger marks their records held all the same (0016).
    expect(await staleCardHeld(engine.db.sequelize)).toEqual([]);
    const [held] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM records WHERE card_held');
    expect(held!.n).toBeGreaterThan(100);
    // It copies them with the trigger off, and leaves it on for everyone after.
    const triggers = await sql<{ tgname: string; tgenabled: string }>(
      `SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'records_card_held_%' ORDER BY tgname`,
    );
    expect(triggers).toEqual(
      ['d', 'i', 'u'].map((op) => ({ tgname: `records_card_held_${op}`, tgenabled: 'O' })),
    );
  });

  it('has records and cards vacuumed after 2 % of their rows change, keeping index-only scans off the table (0017)', async () => {
    const options = await sql<{ relname: string; reloptions: string[] }>(
      `SELECT relname, reloptions FROM pg_class WHERE relname IN ('records', 'cards') ORDER BY relname`,
    );
    const wanted = [
      'autovacuum_vacuum_scale_factor=0.02',
      'autovacuum_vacuum_insert_scale_factor=0.02',
      'autovacuum_analyze_scale_factor=0.05',
    ];
    expect(options).toEqual([
      { relname: 'cards', reloptions: wanted },
      { relname: 'records', reloptions: wanted },
    ]);
  });

  it('refuses an unknown event and a bad count with a clear message', async () => {
    const unknown = await runCli(['seed', '--persons', '5', '--event', 'NOPE'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('活动 "NOPE" 不存在');
    const bad = await runCli(['seed', '--persons', 'many'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--persons 应为非负整数');
  });
});
