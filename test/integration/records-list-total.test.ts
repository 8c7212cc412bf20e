// The records list's total on a big event: exact up to the cap (LIST_COUNT_CAP), a floor past it
// (`totalExact: false`, which the list shows as "10,000+"), and always the same filter as the page.
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_COUNT_CAP } from '../../core/records/records.ts';
import { seed } from '../../core/seed/seed.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';

let running: RunningServer;
let admin: ApiClient;
const E = '/api/events/EXPO2026';

const count = async (where: string, replacements: Record<string, unknown> = {}) =>
  Number(
    (
      await running.engine.db.sequelize.query<{ n: string }>(
        `SELECT count(*) AS n FROM records WHERE ${where}`,
        {
          type: QueryTypes.SELECT,
          replacements,
        },
      )
    )[0]!.n,
  );

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await seed(running.engine, {
    event: 'EXPO2026',
    persons: LIST_COUNT_CAP + 400,
    vehicles: 30,
    units: 20,
    seed: 3,
  });
}, 120_000);

afterAll(async () => {
  await running?.stop();
});

describe('records list total', () => {
  it('stops counting at the cap and says the total is a floor', async () => {
    expect(await count(`kind = 'person'`)).toBe(LIST_COUNT_CAP + 400);
    const res = await admin.request('GET', `${E}/records?kind=person&pageSize=50`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: LIST_COUNT_CAP, totalExact: false, page: 1, pageSize: 50 });
    expect(res.body.records).toHaveLength(50);
    // A page past the cap still answers (the cap is on the count, not on paging).
    const deep = await admin.request(
      'GET',
      `${E}/records?kind=person&pageSize=100&page=${LIST_COUNT_CAP / 100 + 2}`,
    );
    expect(deep.status).toBe(200);
    expect(deep.body.records).toHaveLength(100);
  });

  it('counts exactly below the cap, with every filter the page has', async () => {
    const vehicles = await admin.request('GET', `${E}/records?kind=vehicle`);
    expect(vehicles.body).toMatchObject({ total: 30, totalExact: true });

    const [unit] = await running.engine.db.sequelize.query<{ id: string; code: string }>(
      `SELECT u.id, u.code FROM units u JOIN records r ON r.unit_id = u.id GROUP BY u.id ORDER BY count(*) LIMIT 1`,
      { type: QueryTypes.SELECT },
    );
    const inUnit = await admin.request('GET', `${E}/records?kind=person&unit=${unit!.code}&status=approved`);
    const expected = await count(`kind = 'person' AND unit_id = :u AND status = 'approved'`, { u: unit!.id });
    expect(expected).toBeGreaterThan(0);
    expect(inUnit.body).toMatchObject({ total: expected, totalExact: true });
    expect(
      inUnit.body.records.every((r: Body) => r.status === 'approved' && r.unit.code === unit!.code),
    ).toBe(true);

    // The one search box: a name prefix.
    const [{ prefix }] = (await running.engine.db.sequelize.query<{ prefix: string }>(
      `SELECT left(name, 1) AS prefix FROM records WHERE kind = 'person' GROUP BY 1 ORDER BY count(*) LIMIT 1`,
      { type: QueryTypes.SELECT },
    )) as [{ prefix: string }];
    const byName = await admin.request('GET', `${E}/records?q=${encodeURIComponent(prefix)}&pageSize=500`);
    const named = await count(`name LIKE :p`, { p: `${prefix}%` });
    expect(byName.body).toMatchObject({
      total: Math.min(named, LIST_COUNT_CAP),
      totalExact: named <= LIST_COUNT_CAP,
    });
  });

  it('pages a search newest first, whether few records match (planned by name) or many (by date)', async () => {
    const newest = async (prefix: string, limit: number, offset: number) =>
      (
        await running.engine.db.sequelize.query<{ id: string }>(
          `SELECT id FROM records WHERE kind = 'person' AND name LIKE :p
            ORDER BY updated_at DESC, id DESC LIMIT :limit OFFSET :offset`,
          { type: QueryTypes.SELECT, replacements: { p: `${prefix}%`, limit, offset } },
        )
      ).map((r) => Number(r.id));
    // Every person's name made to start with 测: "测" then matches more than the cap (many), 测 and
    // a second character a few hundred (few).
    await running.engine.db.sequelize.query(`UPDATE records SET name = '测' || name WHERE kind = 'person'`);
    const [few] = await running.engine.db.sequelize.query<{ prefix: string; n: string }>(
      `SELECT left(name, 2) AS prefix, count(*) AS n FROM records WHERE kind = 'person'
        GROUP BY 1 HAVING count(*) > 60 ORDER BY count(*) LIMIT 1`,
      { type: QueryTypes.SELECT },
    );
    expect(Number(few!.n)).toBeLessThan(LIST_COUNT_CAP);
    expect(await count(`kind = 'person' AND name LIKE '测%'`)).toBeGreaterThan(LIST_COUNT_CAP);
    for (const prefix of [few!.prefix, '测']) {
      for (const page of [1, 2]) {
        const res = await admin.request(
          'GET',
          `${E}/records?kind=person&q=${encodeURIComponent(prefix)}&pageSize=30&page=${page}`,
        );
        expect(res.status).toBe(200);
        expect(
          res.body.records.map((r: Body) => r.id),
          `${prefix} page ${page}`,
        ).toEqual(await newest(prefix, 30, (page - 1) * 30));
      }
    }
  });
});
