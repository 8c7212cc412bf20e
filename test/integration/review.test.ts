// Review (数据审核) through HTTP against PostgreSQL, on a hand-counted fixture: two batches of one
// unit, the first batch's decisions in the second batch's context, quotas, a cross-unit duplicate,
// two reviewers deciding one record at once, locks while under review, back to review on edit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let admin: ApiClient;
let unitA: ApiClient;
let unitB: ApiClient;
let r1: ApiClient;
let r2: ApiClient;

const PASSWORD = 'Passw0rd-123';
/** Person n: a valid ID number whose gender digit is even (female). */
const idOf = (n: number) =>
  residentId('110101', `1980${String(1 + (n % 12)).padStart(2, '0')}15`, String(100 + n * 2));
const records: Record<string, Body> = {};

async function declare(client: ApiClient, key: string, n: number, cardType: string): Promise<Body> {
  const res = await client.request('POST', '/api/events/EXPO2026/records', {
    kind: 'person',
    values: {
      name: `申报人${key}`,
      gender: 'F',
      idType: '1',
      idNumber: idOf(n),
      organization: '某单位',
      mobile: `139${String(10_000_000 + n).slice(-8)}`,
      cardType,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  records[key] = res.body.record;
  return res.body.record;
}

const screen = async (client: ApiClient, batchId: number) => {
  const res = await client.request('GET', `/api/review-batches/${batchId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const line = (summary: Body, code: string) => summary.cardTypes.find((t: Body) => t.code === code);
const versionIn = (view: Body, key: string) => {
  const r = view.records.find((x: Body) => x.id === records[key].id);
  return { id: r.id, version: r.version };
};

const query = async (sql: string, replacements: Record<string, unknown> = {}) =>
  (await running.engine.db.sequelize.query(sql, { replacements }))[0];

/** The review dashboard's counts — the reviewer's, and each unit user's own — against the tables. */
async function dashboardAsRecordsSay(): Promise<void> {
  for (const [client, unit] of [
    [r1, null],
    [unitA, 'UA'],
    [unitB, 'UB'],
  ] as const) {
    const [expected] = await query(
      `SELECT (SELECT count(*)::int FROM review_batches b JOIN units u ON u.id = b.unit_id
                WHERE b.status = 'open' AND (:unit::text IS NULL OR u.code = :unit)) AS "open",
              count(*)::int AS "pendingRecords",
              (count(*) FILTER (WHERE r.card_type = 'VIP'))::int AS "importantPending"
         FROM records r JOIN units u ON u.id = r.unit_id
        WHERE r.status = 'submitted' AND (:unit::text IS NULL OR u.code = :unit)`,
      { unit },
    );
    const listed = await client.request('GET', '/api/events/EXPO2026/review-batches');
    expect(listed.body.counts, unit ?? 'reviewer').toEqual(expected);
  }
}

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  const users = [
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
    { username: 'rev1', role: 'reviewer' },
    { username: 'rev2', role: 'reviewer' },
  ];
  for (const u of users) await admin.request('POST', '/api/users', { ...u, password: PASSWORD });
  const signIn = async (username: string) => {
    const c = new ApiClient(running.url);
    await c.login(username, PASSWORD);
    return c;
  };
  unitA = await signIn('unit-a');
  unitB = await signIn('unit-b');
  r1 = await signIn('rev1');
  r2 = await signIn('rev2');
});

afterAll(async () => {
  await running?.stop();
});

describe('review', () => {
  let batch1: number;
  let batch2: number;

  it('a unit submits its drafts as a batch; they are locked while under review', async () => {
    for (const [i, key] of ['v1', 'v2', 'v3', 'v4'].entries()) await declare(unitA, key, i + 1, 'VIP');
    await declare(unitA, 's1', 5, 'STAFF');
    await declare(unitA, 's2', 6, 'STAFF');
    const res = await unitA.request('POST', '/api/events/EXPO2026/review-batches', { note: '第一批' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    batch1 = res.body.batch.id;
    expect(res.body.batch).toMatchObject({
      unit: { code: 'UA' },
      status: 'open',
      recordCount: 6,
      hasImportant: true,
      topImportance: 1,
      counts: { pending: 6 },
    });
    const edit = await unitA.request('PUT', `/api/events/EXPO2026/records/${records.v1.id}`, {
      values: { ...records.v1.values, mobile: '13700000000' },
      version: records.v1.version + 1,
    });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('record_locked');
    expect((await unitA.request('POST', '/api/events/EXPO2026/review-batches', {})).status).toBe(422);
    // A unit cannot decide, nor see another unit's batch.
    expect(
      (
        await unitA.request('POST', `/api/review-batches/${batch1}/decisions`, {
          decision: 'approve',
          all: true,
        })
      ).status,
    ).toBe(403);
    expect((await unitB.request('GET', `/api/review-batches/${batch1}`)).status).toBe(404);
  });

  it('lists batches waiting, important first, with dashboard counts', async () => {
    const res = await r1.request('GET', '/api/events/EXPO2026/review-batches?status=open');
    expect(res.status).toBe(200);
    expect(res.body.batches.map((b: Body) => b.id)).toEqual([batch1]);
    expect(res.body.counts).toEqual({ open: 1, pendingRecords: 6, importantPending: 4 });
    // A unit user's dashboard counts its own unit only.
    const own = await unitA.request('GET', '/api/events/EXPO2026/review-batches');
    expect(own.body.counts).toEqual({ open: 1, pendingRecords: 6, importantPending: 4 });
    const other = await unitB.request('GET', '/api/events/EXPO2026/review-batches');
    expect(other.body.counts).toEqual({ open: 0, pendingRecords: 0, importantPending: 0 });
    const filtered = await r1.request('GET', '/api/events/EXPO2026/review-batches?cardType=PRESS');
    expect(filtered.body.batches).toEqual([]);
    const important = await r1.request('GET', '/api/events/EXPO2026/review-batches?important=1&unit=UA');
    expect(important.body.batches).toHaveLength(1);
  });

  it('decides the first batch: approve, reject with a reason, return for correction', async () => {
    const view = await screen(r1, batch1);
    expect(view.context.cardTypes[0]).toMatchObject({ code: 'VIP', important: true, pending: 4, quota: 5 });
    const approve = await r1.request('POST', `/api/review-batches/${batch1}/decisions`, {
      decision: 'approve',
      records: ['v1', 'v2', 'v3', 's1'].map((k) => versionIn(view, k)),
    });
    expect(approve.status, JSON.stringify(approve.body)).toBe(200);
    const noReason = await r1.request('POST', `/api/review-batches/${batch1}/decisions`, {
      decision: 'reject',
      records: [versionIn(view, 'v4')],
    });
    expect(noReason.status).toBe(422);
    expect(
      (
        await r1.request('POST', `/api/review-batches/${batch1}/decisions`, {
          decision: 'reject',
          records: [versionIn(view, 'v4')],
          reason: '不符合贵宾证申领范围',
        })
      ).status,
    ).toBe(200);
    const returned = await r1.request('POST', `/api/review-batches/${batch1}/decisions`, {
      decision: 'return',
      records: [versionIn(view, 's2')],
      reason: '职务填写不完整',
    });
    expect(returned.status).toBe(200);
    expect(returned.body.batch).toMatchObject({
      status: 'decided',
      counts: { pending: 0, approved: 4, rejected: 1, returned: 1 },
    });
    // The unit sees why.
    const why = await unitA.request('GET', `/api/events/EXPO2026/records/${records.s2.id}/decisions`);
    expect(why.body.decisions[0]).toMatchObject({
      decision: 'returned',
      reason: '职务填写不完整',
      decided_by: 'rev1',
    });
  });

  it('the summary API counts what was decided, important card types first', async () => {
    const res = await r2.request('GET', '/api/events/EXPO2026/units/UA/declaration-summary');
    expect(res.status).toBe(200);
    expect(res.body.cardTypes.map((t: Body) => t.code)).toEqual([
      'VIP',
      'PRESS',
      'STAFF',
      'VEHICLE',
      'SERVICE',
    ]);
    expect(line(res.body, 'VIP')).toMatchObject({
      important: true,
      applied: 4,
      approved: 3,
      rejected: 1,
      returned: 0,
      pending: 0,
      printed: 0,
      quota: 5,
      remaining: 2,
    });
    expect(line(res.body, 'STAFF')).toMatchObject({
      applied: 2,
      approved: 1,
      returned: 1,
      quota: 60,
      remaining: 59,
    });
    expect(line(res.body, 'SERVICE')).toMatchObject({ applied: 0, quota: null, remaining: null });
    expect((await unitA.request('GET', '/api/events/EXPO2026/units/UA/declaration-summary')).status).toBe(
      200,
    );
    expect((await unitB.request('GET', '/api/events/EXPO2026/units/UA/declaration-summary')).status).toBe(
      404,
    );
  });

  it('the second batch’s context shows the first batch’s decisions, the quota left and a cross-unit duplicate', async () => {
    // The returned record is corrected and goes in again with three more VIP.
    const fix = await unitA.request('PUT', `/api/events/EXPO2026/records/${records.s2.id}`, {
      values: {
        ...(await unitA.request('GET', `/api/events/EXPO2026/records/${records.s2.id}`)).body.record.values,
        position: '办公室主任',
      },
      version: (await unitA.request('GET', `/api/events/EXPO2026/records/${records.s2.id}`)).body.record
        .version,
    });
    expect(fix.status, JSON.stringify(fix.body)).toBe(200);
    for (const [i, key] of ['v5', 'v6', 'v7'].entries()) await declare(unitA, key, 7 + i, 'VIP');
    // Another unit declares v5's person too, and v4's (rejected in batch 1).
    await declare(unitB, 'b5', 7, 'STAFF');
    await declare(unitB, 'b4', 4, 'STAFF');
    const subB = await unitB.request('POST', '/api/events/EXPO2026/review-batches', {});
    expect(subB.status).toBe(201);
    // The dashboard counts from the kept totals once a report has folded the changes in, and from
    // the totals plus the deltas once more is submitted: either way as the records say.
    expect((await r1.request('GET', '/api/events/EXPO2026/reports/statistics')).status).toBe(200);
    expect(await query('SELECT 1 FROM report_record_deltas LIMIT 1')).toEqual([]);
    await dashboardAsRecordsSay();

    const sub = await unitA.request('POST', '/api/events/EXPO2026/review-batches', {});
    expect(sub.status).toBe(201);
    expect((await query('SELECT 1 FROM report_record_deltas LIMIT 1')).length).toBe(1);
    await dashboardAsRecordsSay();
    batch2 = sub.body.batch.id;
    expect(sub.body.batch.recordCount).toBe(4);

    const view = await screen(r2, batch2);
    const vip = line(view.context, 'VIP');
    expect(view.context.cardTypes[0].code).toBe('VIP');
    expect(vip).toMatchObject({
      approved: 3,
      rejected: 1,
      pending: 3,
      inBatch: 3,
      quota: 5,
      remaining: 2,
      remainingAfterBatch: -1,
    });
    expect(line(view.context, 'STAFF')).toMatchObject({ approved: 1, pending: 1, inBatch: 1, returned: 0 });
    const v5 = view.records.find((r: Body) => r.id === records.v5.id);
    expect(v5.duplicates).toEqual([
      expect.objectContaining({
        kind: 'other-unit',
        unit: { code: 'UB', name: '乙单位' },
        status: 'submitted',
      }),
    ]);
    expect(view.records.find((r: Body) => r.id === records.v6.id).duplicates).toEqual([]);
    // In the other unit's batch, v4's person shows as rejected before (with the reason).
    const viewB = await screen(r2, subB.body.batch.id);
    const b4 = viewB.records.find((r: Body) => r.id === records.b4.id);
    expect(b4.duplicates).toContainEqual(
      expect.objectContaining({
        kind: 'rejected-before',
        unit: { code: 'UA', name: '甲单位' },
        reason: '不符合贵宾证申领范围',
      }),
    );
    expect(view.records[0].values.idNumber).toMatch(/\*/);
  });

  it('blocks approvals past the quota unless overridden with a reason, which is recorded', async () => {
    const view = await screen(r1, batch2);
    const all = await r1.request('POST', `/api/review-batches/${batch2}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(all.status).toBe(409);
    expect(all.body.error.code).toBe('quota_exceeded');
    expect(all.body.error.message).toContain('贵宾证');
    expect(all.body.error.details.overQuota).toEqual([{ cardType: 'VIP', quota: 5, approved: 3, adding: 3 }]);
    const two = await r1.request('POST', `/api/review-batches/${batch2}/decisions`, {
      decision: 'approve',
      records: [versionIn(view, 'v5'), versionIn(view, 'v6')],
    });
    expect(two.status).toBe(200);
    const over = await r1.request('POST', `/api/review-batches/${batch2}/decisions`, {
      decision: 'approve',
      records: [versionIn(view, 'v7')],
      overrideQuota: true,
      reason: '组委会特批',
    });
    expect(over.status, JSON.stringify(over.body)).toBe(200);
    expect(over.body.quotaOverride).toEqual([{ cardType: 'VIP', quota: 5, approved: 5, adding: 1 }]);
    const why = await r1.request('GET', `/api/events/EXPO2026/records/${records.v7.id}/decisions`);
    expect(why.body.decisions[0]).toMatchObject({
      decision: 'approved',
      quota_override: true,
      reason: '组委会特批',
    });
    // The audit trail names the batch, the reason and the override, one entry per record decided.
    const [audit] = await running.engine.db.sequelize.query(
      `SELECT action, username, ip, event_id::int AS event_id, detail FROM audit_log
        WHERE target_type = 'record' AND target_id = :id AND action = 'review_approved'`,
      { replacements: { id: String(records.v7.id) } },
    );
    expect(audit).toEqual([
      {
        action: 'review_approved',
        username: 'rev1',
        ip: '127.0.0.1',
        event_id: expect.any(Number),
        detail: { batch: batch2, reason: '组委会特批', quotaOverride: true },
      },
    ]);
    const summary = (await r1.request('GET', '/api/events/EXPO2026/units/UA/declaration-summary')).body;
    expect(line(summary, 'VIP')).toMatchObject({
      applied: 7,
      approved: 6,
      rejected: 1,
      pending: 0,
      remaining: -1,
    });
  });

  it('two reviewers deciding one record at once: one wins, the other gets a conflict', async () => {
    const view = await screen(r1, batch2);
    const s2 = versionIn(view, 's2');
    const [a, b] = await Promise.all([
      r1.request('POST', `/api/review-batches/${batch2}/decisions`, { decision: 'approve', records: [s2] }),
      r2.request('POST', `/api/review-batches/${batch2}/decisions`, {
        decision: 'reject',
        records: [s2],
        reason: '重复申报',
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.error.code).toBe('decision_conflict');
    expect(loser.body.error.message).toContain('刷新');
    const decisions = await r1.request('GET', `/api/events/EXPO2026/records/${records.s2.id}/decisions`);
    // Two decisions on s2 in all: returned (batch 1) and the winner's — never both of today's.
    expect(decisions.body.decisions).toHaveLength(2);
  });

  it('an approved record that is edited goes back to review', async () => {
    const current = (await unitA.request('GET', `/api/events/EXPO2026/records/${records.v1.id}`)).body.record;
    expect(current.status).toBe('approved');
    const edit = await unitA.request('PUT', `/api/events/EXPO2026/records/${records.v1.id}`, {
      values: { ...current.values, mobile: '13700000000' },
      version: current.version,
    });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    expect(edit.body.record.status).toBe('submitted');
    const batch = (await r1.request('GET', `/api/review-batches/${batch1}`)).body.batch;
    expect(batch).toMatchObject({ status: 'open', counts: { pending: 1 } });
    const summary = (await r1.request('GET', '/api/events/EXPO2026/units/UA/declaration-summary')).body;
    expect(line(summary, 'VIP')).toMatchObject({ approved: 5, pending: 1 });
  });
});
