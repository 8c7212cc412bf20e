// Search (综合查询) and statistics (统计报表) through HTTP against PostgreSQL, on a hand-made
// event: two units, six people and a vehicle declared through the records API, decided through
// the review API, cards written as the card service writes them (a replaced first version and a
// live reprint, a lost card, printed and issued ones). Each query kind finds exactly the right
// records, never shows a full ID number, and a unit sees only its own; the report's numbers are
// the ones counted by hand here, stay right as records change (the counts kept by triggers), and
// the .xlsx says the same cell by cell.
import ExcelJS from 'exceljs';
import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
let running: RunningServer;
let admin: ApiClient;
let operator: ApiClient;
let unitB: ApiClient;
let clerk: ApiClient;

/** Person n: a valid ID number (even sequence: female). */
const idOf = (n: number) =>
  residentId('110101', `1982${String(1 + n).padStart(2, '0')}21`, String(300 + n * 2));
const ids: Record<string, number> = {};
const people: Record<string, { unit: string; name: string; cardType: string; n: number; zones?: string[] }> =
  {
    a1: { unit: 'UA', name: '张三丰', cardType: 'VIP', n: 1 },
    a2: { unit: 'UA', name: '张伟', cardType: 'STAFF', n: 2, zones: ['A'] },
    a3: { unit: 'UA', name: '欧阳娜娜', cardType: 'PRESS', n: 3 },
    b1: { unit: 'UB', name: '张伟华', cardType: 'STAFF', n: 4 },
    b2: { unit: 'UB', name: '王芳', cardType: 'SERVICE', n: 5 },
  };

const sql = <T extends object>(query: string, replacements: Record<string, unknown> = {}) =>
  running.engine.db.sequelize.query<T>(query, { type: QueryTypes.SELECT, replacements });

async function declare(key: string, p: (typeof people)[string]): Promise<void> {
  const res = await admin.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    unitCode: p.unit,
    values: {
      name: p.name,
      gender: 'F',
      idType: '1',
      idNumber: idOf(p.n),
      organization: p.unit === 'UA' ? '甲单位办公室' : '乙单位综合处',
      mobile: `139${String(20_000_000 + p.n).slice(-8)}`,
      cardType: p.cardType,
      ...(p.zones ? { zones: p.zones } : {}),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[key] = res.body.record.id;
}

async function decide(batch: number, decision: string, keys: string[], reason?: string): Promise<void> {
  const view = await admin.request('GET', `/api/review-batches/${batch}`);
  const records = keys.map((k) => {
    const r = view.body.records.find((x: Body) => x.id === ids[k]);
    return { id: r.id, version: r.version };
  });
  const res = await admin.request('POST', `/api/review-batches/${batch}/decisions`, {
    decision,
    records,
    ...(reason ? { reason } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** A card as the card service writes it. */
async function card(
  key: string,
  type: string,
  number: string,
  seq: number,
  version: number,
  status: string,
  issuedAt: string | null,
): Promise<number> {
  const [row] = await sql<{ id: string }>(
    `INSERT INTO cards (event_id, record_id, unit_id, card_type, card_number, seq, card_version, status,
                        record_version, printed_at, issued_at)
     SELECT r.event_id, r.id, r.unit_id, :type, :number, :seq, :version, :status, r.version,
            '2026-10-13T10:00:00+08:00', :issuedAt::timestamptz
       FROM records r WHERE r.id = :id RETURNING id`,
    { id: ids[key], type, number, seq, version, status, issuedAt },
  );
  return Number(row!.id);
}

const search = async (client: ApiClient, q: string) => {
  const res = await client.request('GET', `/api/events/${EVENT}/search?q=${encodeURIComponent(q)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const hitIds = (body: Body) => body.hits.map((h: Body) => h.recordId);

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  for (const u of [
    { username: 'op', role: 'operator' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
    { username: 'clerk1', role: 'clerk' },
  ])
    expect((await admin.request('POST', '/api/users', { ...u, password: PASSWORD })).status).toBe(201);
  const signIn = async (username: string) => {
    const c = new ApiClient(running.url);
    expect((await c.login(username, PASSWORD)).status).toBe(200);
    return c;
  };
  operator = await signIn('op');
  unitB = await signIn('unit-b');
  clerk = await signIn('clerk1');

  for (const [key, p] of Object.entries(people)) await declare(key, p);
  const vehicle = await admin.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'vehicle',
    unitCode: 'UA',
    values: {
      plateNumber: '京A12345',
      vehicleType: 'SMALL',
      organization: '甲单位办公室',
      driverName: '赵强',
      driverIdNumber: residentId('110101', '19800101', '011'),
      mobile: '13900000077',
      cardType: 'VEHICLE',
    },
  });
  expect(vehicle.status, JSON.stringify(vehicle.body)).toBe(201);
  ids.v1 = vehicle.body.record.id;

  const submit = async (unitCode: string) => {
    const res = await admin.request('POST', `/api/events/${EVENT}/review-batches`, { unitCode });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.batch.id as number;
  };
  const batchA = await submit('UA');
  await decide(batchA, 'approve', ['a1', 'a2', 'v1']);
  await decide(batchA, 'reject', ['a3'], '不符合记者证申领范围');
  const batchB = await submit('UB');
  await decide(batchB, 'approve', ['b1']);
  // Declared after the submission: stays a draft.
  await declare('b3', { unit: 'UB', name: '张伟', cardType: 'STAFF', n: 6 });

  const v2 = await card('a1', 'VIP', 'VIP-00001', 1, 2, 'issued', '2026-10-15T00:30:00+08:00');
  const v1 = await card('a1', 'VIP', 'VIP-00001', 1, 1, 'replaced', '2026-10-14T09:00:00+08:00');
  await sql('UPDATE cards SET replaced_by = :v2 WHERE id = :v1', { v1, v2 });
  await card('a2', 'STAFF', 'EXPO2026-ST-00001', 1, 1, 'issued', '2026-10-15T16:00:00+08:00');
  await card('b1', 'STAFF', 'EXPO2026-ST-00002', 2, 1, 'printed', null);
  await card('v1', 'VEHICLE', 'CL-0001', 1, 1, 'lost', '2026-10-14T18:00:00+08:00');
});

afterAll(async () => {
  await running?.stop();
});

describe('search', () => {
  it('finds a person by ID number (any spelling) and never shows the full number', async () => {
    const full = idOf(1);
    const body = await search(operator, ` ${full.slice(0, 6)} ${full.slice(6, 14)} ${full.slice(14)} `);
    expect(body.kinds).toEqual(['idNumber']);
    expect(hitIds(body)).toEqual([ids.a1]);
    const hit = body.hits[0];
    expect(hit).toMatchObject({
      name: '张三丰',
      matchedBy: 'idNumber',
      unit: { code: 'UA', name: '甲单位' },
      cardType: { code: 'VIP', name: '贵宾证', important: true },
      card: { number: 'VIP-00001', version: 2, status: 'issued' },
      idNumberMasked: `${full.slice(0, 6)}********${full.slice(-4)}`,
    });
    expect(JSON.stringify(body)).not.toContain(full);
    // A valid number nobody has: nothing, and not mistaken for anything else.
    const none = await search(operator, idOf(40));
    expect(none.hits).toEqual([]);
  });

  it('finds cards by number, exact or by its start, with the live version', async () => {
    const exact = await search(operator, 'vip-00001');
    expect(exact.kinds).toEqual(['cardNumber']);
    expect(hitIds(exact)).toEqual([ids.a1]);
    expect(exact.hits[0].card).toMatchObject({ number: 'VIP-00001', version: 2, status: 'issued' });
    const prefix = await search(operator, 'EXPO2026-ST-0000');
    expect(hitIds(prefix)).toEqual([ids.a2, ids.b1]);
    expect(prefix.hits.map((h: Body) => h.card.status)).toEqual(['issued', 'printed']);
    const lost = await search(operator, 'CL-0001');
    expect(lost.hits[0]).toMatchObject({ recordId: ids.v1, kind: 'vehicle', card: { status: 'lost' } });
  });

  it('finds a vehicle by plate, normalised, exact or by its start', async () => {
    const body = await search(operator, '京a·12345');
    expect(body.kinds).toEqual(['plate']);
    expect(body.hits).toHaveLength(1);
    expect(body.hits[0]).toMatchObject({ recordId: ids.v1, plateNumber: '京A12345', name: '赵强' });
    expect(hitIds(await search(operator, '京A123'))).toEqual([ids.v1]);
  });

  it('finds names by their start (exact ones first) and names that look alike', async () => {
    const body = await search(operator, '张伟');
    expect(body.kinds[0]).toBe('name');
    const names = body.hits.filter((h: Body) => h.matchedBy === 'name');
    expect(
      names
        .map((h: Body) => h.recordId)
        .slice(0, 2)
        .sort(),
    ).toEqual([ids.a2, ids.b3].sort());
    expect(names.map((h: Body) => h.name)).toEqual(['张伟', '张伟', '张伟华']);
    const fuzzy = await search(operator, '张三峰');
    expect(fuzzy.kinds).toEqual(['nameFuzzy']);
    expect(fuzzy.hits[0]).toMatchObject({ recordId: ids.a1, matchedBy: 'nameFuzzy', similarity: 0.33 });
    // A compound surname, and a name nobody has.
    expect(hitIds(await search(operator, '欧阳'))).toEqual([ids.a3]);
    expect((await search(operator, '司马光')).hits).toEqual([]);
  });

  it('finds a unit by name or code, and its records', async () => {
    const byName = await search(operator, '甲单位');
    expect(byName.units).toEqual([{ code: 'UA', name: '甲单位' }]);
    expect([...hitIds(byName)].sort()).toEqual([ids.a1, ids.a2, ids.a3, ids.v1].sort());
    expect(byName.hits.every((h: Body) => h.matchedBy === 'unit')).toBe(true);
    const byCode = await search(operator, 'ub');
    expect([...hitIds(byCode)].sort()).toEqual([ids.b1, ids.b2, ids.b3].sort());
  });

  it('confines a unit user to its own unit’s records; clerks search everything', async () => {
    expect((await search(unitB, idOf(1))).hits).toEqual([]);
    expect((await search(unitB, 'VIP-00001')).hits).toEqual([]);
    const own = await search(unitB, '张伟');
    expect([...hitIds(own)].sort()).toEqual([ids.b1, ids.b3].sort());
    const units = await search(unitB, '单位');
    expect(units.units).toEqual([{ code: 'UB', name: '乙单位' }]);
    expect(hitIds(await search(clerk, idOf(1)))).toEqual([ids.a1]);
    expect((await admin.request('GET', `/api/events/${EVENT}/search?q=`)).body.hits).toEqual([]);
  });
});

describe('statistics', () => {
  const report = async (client: ApiClient, query = '') => {
    const res = await client.request('GET', `/api/events/${EVENT}/reports/statistics${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const line = (body: Body, code: string) => body.byCardType.find((l: Body) => l.cardType === code);

  it('counts records and cards per card type, important first, as counted by hand', async () => {
    const body = await report(operator);
    expect(body.cardTypes.map((t: Body) => t.code)).toEqual(['VIP', 'PRESS', 'STAFF', 'VEHICLE', 'SERVICE']);
    expect(body.totals.records).toEqual({
      draft: 1,
      submitted: 1,
      approved: 4,
      rejected: 1,
      returned: 0,
      total: 7,
    });
    expect(body.totals.cards).toMatchObject({ issued: 2, printed: 1, replaced: 1, lost: 1, total: 5 });
    expect(line(body, 'VIP').records).toMatchObject({ approved: 1, total: 1 });
    expect(line(body, 'VIP').cards).toMatchObject({ issued: 1, replaced: 1, total: 2 });
    expect(line(body, 'STAFF').records).toMatchObject({ approved: 2, draft: 1, total: 3 });
    expect(line(body, 'PRESS').records).toMatchObject({ rejected: 1, total: 1 });
    expect(line(body, 'SERVICE').records).toMatchObject({ submitted: 1, total: 1 });
    expect(body.important.records).toMatchObject({ approved: 1, total: 1 });
    expect(body.important.cards).toMatchObject({ issued: 1, replaced: 1, total: 2 });
  });

  it('per unit, per zone (declared or the card type’s) and per day in the event’s time zone', async () => {
    const body = await report(operator);
    const unitLine = (unit: string, type: string) =>
      body.byUnit.find((l: Body) => l.unit.code === unit && l.cardType === type);
    expect(unitLine('UB', 'STAFF').records).toMatchObject({ approved: 1, draft: 1, total: 2 });
    expect(unitLine('UB', 'STAFF').cards).toMatchObject({ printed: 1, total: 1 });
    expect(unitLine('UA', 'VEHICLE').cards).toMatchObject({ lost: 1, total: 1 });
    const zone = (code: string) => body.byZone.find((z: Body) => z.zone.code === code);
    expect(zone('A').records).toEqual({
      draft: 1,
      submitted: 1,
      approved: 3,
      rejected: 1,
      returned: 0,
      total: 6,
    });
    expect(zone('A').approvedByCardType).toMatchObject({ VIP: 1, STAFF: 2, VEHICLE: 0 });
    expect(zone('E').records).toMatchObject({ approved: 1, submitted: 1, draft: 1, total: 3 });
    expect(zone('P').approvedByCardType).toMatchObject({ VIP: 1, VEHICLE: 1 });
    expect(zone('D').records.total).toBe(1);
    expect(body.daily).toEqual([
      { day: '2026-10-14', total: 2, byCardType: { VIP: 1, PRESS: 0, STAFF: 0, VEHICLE: 1, SERVICE: 0 } },
      { day: '2026-10-15', total: 2, byCardType: { VIP: 1, PRESS: 0, STAFF: 1, VEHICLE: 0, SERVICE: 0 } },
    ]);
  });

  it('sends the lines of the units with the most records only when asked (topUnits), the totals unchanged', async () => {
    const full = await report(operator);
    const units = [...new Set(full.byUnit.map((l: Body) => l.unit.code as string))] as string[];
    expect(full.unitCount).toBe(units.length);
    expect(units.length).toBeGreaterThanOrEqual(2);
    const records = (code: string) =>
      full.byUnit
        .filter((l: Body) => l.unit.code === code)
        .reduce((n: number, l: Body) => n + l.records.total, 0);
    const ranked = [...units].sort((a, b) => records(b) - records(a) || (a < b ? -1 : 1));

    const top = await report(operator, '?topUnits=1');
    expect(top.unitCount).toBe(units.length);
    expect([...new Set(top.byUnit.map((l: Body) => l.unit.code))]).toEqual([ranked[0]]);
    expect(top.byUnit).toEqual(full.byUnit.filter((l: Body) => l.unit.code === ranked[0]));
    for (const key of ['totals', 'important', 'byCardType', 'byZone', 'daily', 'filter'])
      expect(top[key], key).toEqual(full[key]);

    // As many as there are, or more: everything.
    expect((await report(operator, `?topUnits=${units.length}`)).byUnit).toEqual(full.byUnit);
    const bad = await operator.request('GET', `/api/events/${EVENT}/reports/statistics?topUnits=-1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('topUnits');
  });

  it('filters by unit, card type and importance; refuses units and unknown filters', async () => {
    const ub = await report(operator, '?unit=UB');
    expect(ub.totals.records.total).toBe(3);
    expect(ub.totals.cards.total).toBe(1);
    expect(ub.daily).toEqual([]);
    const staff = await report(operator, '?cardType=STAFF');
    expect(staff.cardTypes.map((t: Body) => t.code)).toEqual(['STAFF']);
    expect(staff.totals.records.total).toBe(3);
    const important = await report(operator, '?important=1');
    expect(important.totals.records.total).toBe(1);
    expect((await unitB.request('GET', `/api/events/${EVENT}/reports/statistics`)).status).toBe(403);
    expect((await clerk.request('GET', `/api/events/${EVENT}/reports/statistics`)).status).toBe(403);
    const bad = await operator.request('GET', `/api/events/${EVENT}/reports/statistics?cardType=NOPE`);
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toContain('NOPE');
  });

  it('keeps up with changes: a decision and a card change count, an edit of a name does not', async () => {
    const before = await report(operator);
    const [batch] = await sql<{ id: string }>('SELECT review_batch_id AS id FROM records WHERE id = :id', {
      id: ids.b2,
    });
    await decide(Number(batch!.id), 'approve', ['b2']);
    await sql(
      `UPDATE cards SET status = 'issued', issued_at = '2026-10-16T09:00:00+08:00' WHERE card_number = 'EXPO2026-ST-00002'`,
    );
    const draft = await admin.request('GET', `/api/events/${EVENT}/records/${ids.b3}`);
    const renamed = await admin.request('PUT', `/api/events/${EVENT}/records/${ids.b3}`, {
      values: { ...draft.body.record.values, name: '张伟明' },
      version: draft.body.record.version,
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const after = await report(operator);
    expect(after.totals.records).toMatchObject({ submitted: 0, approved: 5, draft: 1, total: 7 });
    expect(line(after, 'SERVICE').records).toMatchObject({ approved: 1, submitted: 0 });
    expect(after.totals.cards).toMatchObject({ issued: 3, printed: 0, total: 5 });
    expect(after.daily.at(-1)).toMatchObject({ day: '2026-10-16', total: 1 });
    expect((await report(operator, '?unit=UB')).daily).toEqual([
      { day: '2026-10-16', total: 1, byCardType: { VIP: 0, PRESS: 0, STAFF: 1, VEHICLE: 0, SERVICE: 0 } },
    ]);
    expect(before.totals.records.total).toBe(after.totals.records.total);
    // The kept counts equal a fresh count of the tables.
    const fresh = await sql<{ card_type: string; status: string; n: number }>(
      `SELECT card_type, status, count(*)::int AS n FROM records WHERE event_id = (SELECT id FROM events WHERE code = :e)
        GROUP BY 1, 2`,
      { e: EVENT },
    );
    for (const f of fresh) expect(line(after, f.card_type).records[f.status]).toBe(f.n);
  });

  it('exports the same numbers as a formatted workbook, one sheet per report', async () => {
    const body = await report(operator);
    const file = await operator.download(`/api/events/${EVENT}/reports/statistics.xlsx`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('spreadsheetml');
    expect(decodeURIComponent(file.headers.get('content-disposition') ?? '')).toContain(`统计报表-${EVENT}-`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(file.data as unknown as ArrayBuffer);
    expect(book.worksheets.map((w) => w.name)).toEqual(['证件类型汇总', '单位明细', '通行区域', '每日发证']);

    const types = book.getWorksheet('证件类型汇总')!;
    expect(String(types.getCell('A1').value)).toContain('证件类型汇总');
    expect(types.views[0]).toMatchObject({ state: 'frozen', xSplit: 2, ySplit: 2 });
    const header = types.getRow(2).values as unknown[];
    expect(header.slice(1, 9)).toEqual([
      '证件类型',
      '重要证件',
      '记录·草稿',
      '记录·审核中',
      '记录·已通过',
      '记录·未通过',
      '记录·退回修改',
      '记录合计',
    ]);
    expect(types.getCell('A2').font?.bold).toBe(true);
    // Row 3: the important card type first, highlighted; every figure as the API says.
    expect(types.getRow(3).values).toEqual([
      undefined,
      '贵宾证',
      '是',
      0,
      0,
      1,
      0,
      0,
      1,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      1,
      2,
    ]);
    expect((types.getCell('A3').fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFDECEA');
    expect(types.getCell('A4').value).toBe('记者证');
    expect(types.getCell('C3').numFmt).toBe('#,##0');
    const total = types.getRow(8);
    expect(total.getCell(1).value).toBe('合计');
    expect(total.getCell(5).value).toMatchObject({
      formula: 'SUM(E3:E7)',
      result: body.totals.records.approved,
    });
    expect(total.getCell(8).value).toMatchObject({ result: body.totals.records.total });
    expect(types.getRow(9).getCell(1).value).toBe('其中：重要证件');

    const units = book.getWorksheet('单位明细')!;
    const ubStaff = units
      .getSheetValues()
      .find((r) => Array.isArray(r) && r[1] === 'UB' && r[3] === '工作证') as unknown[];
    expect(ubStaff.slice(1, 9)).toEqual(['UB', '乙单位', '工作证', 1, 0, 1, 0, 0]);

    const zones = book.getWorksheet('通行区域')!;
    expect(zones.getRow(3).values).toEqual([undefined, 'A', '展馆区', 1, 0, 4, 1, 0, 6, 1, 0, 2, 0, 1]);

    const daily = book.getWorksheet('每日发证')!;
    expect(daily.getRow(3).getCell(1).value).toBe('2026-10-14');
    expect(daily.getRow(3).getCell(7).value).toBe(2);
    const dailyTotal = daily.getRow(daily.rowCount);
    expect(dailyTotal.getCell(1).value).toBe('合计');
    expect(dailyTotal.getCell(7).value).toMatchObject({ result: 5 });
  });
});
