// Card production and management through HTTP against PostgreSQL and Chromium: numbers gap-free
// under two operators printing at once and never reused, the lock between them, a job's PDF
// (pages counted by pdfinfo) before its cards count as printed, the lifecycle with its refusals,
// reprints as versions of one number, QR tokens verified online and offline, roles, record edits
// after printing, and — on servers of their own — a failing job retried, a server stopped mid-job
// and another one resuming it, a crashed worker's job swept back, a cancelled job's cards reprinted.
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../core/engine.ts';
import { staleCardHeld } from '../support/card-held.ts';
import { verifyTokenOffline } from '../../core/cards/verify.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';

const run = promisify(execFile);
const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
const SINGLE = { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: true };

let running: RunningServer;
let admin: ApiClient;
let op1: ApiClient;
let op2: ApiClient;
let reviewer: ApiClient;
let unitA: ApiClient;
let clerk: ApiClient;
let designer: ApiClient;

async function signIn(server: RunningServer, username: string, password = PASSWORD): Promise<ApiClient> {
  const client = new ApiClient(server.url);
  const res = await client.login(username, password);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

const sql = async <T = Body>(engine: Engine, text: string, replacements: Record<string, unknown> = {}) =>
  (await engine.db.sequelize.query(text, { replacements }))[0] as T[];

/**
 * Approved STAFF records through the services (the review is not this file's subject): `count`
 * people per unit, all with one photo. Returns record ids per unit in creation order.
 */
async function approvedRecords(
  engine: Engine,
  perUnit: Record<string, number>,
  offset = 0,
): Promise<Record<string, number[]>> {
  const actor = { ...(await engine.accounts.commandLineActor()), ip: '127.0.0.1' };
  const photo = await engine.photos.upload(
    EVENT,
    actor,
    await pngPhoto(390, 520, { r: 120, g: 160, b: 200 }),
  );
  const out: Record<string, number[]> = {};
  let n = offset;
  for (const [unitCode, count] of Object.entries(perUnit)) {
    out[unitCode] = [];
    for (let i = 0; i < count; i++, n++) {
      const record = await engine.records.create(EVENT, actor, {
        kind: 'person',
        unitCode,
        values: {
          name: `制证${n}`,
          gender: 'M',
          idType: '1',
          idNumber: residentId(
            '110101',
            `1981${String(1 + (n % 12)).padStart(2, '0')}${String(1 + (n % 28)).padStart(2, '0')}`,
            String(101 + 2 * (n % 400)).padStart(3, '0'),
          ),
          organization: `${unitCode}办公室`,
          mobile: `139${String(30_000_000 + n).slice(-8)}`,
          cardType: 'STAFF',
          photo: photo.id,
        },
      });
      out[unitCode]!.push(record.id);
    }
    const batch = await engine.review.submit(EVENT, { unitCode, recordIds: out[unitCode] }, actor);
    await engine.review.decide(batch.id, { decision: 'approve', all: true }, actor);
  }
  return out;
}

async function setUpServer(server: RunningServer): Promise<void> {
  const engine = server.engine;
  await engine.units.add('UA', '甲单位');
  await engine.units.add('UB', '乙单位');
  for (const u of [
    { username: 'op1', role: 'operator' },
    { username: 'op2', role: 'operator' },
    { username: 'rev1', role: 'reviewer' },
    { username: 'clerk1', role: 'clerk' },
    { username: 'designer1', role: 'designer' },
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
  ] as const) {
    await engine.accounts.createUser({
      username: u.username,
      password: PASSWORD,
      role: u.role,
      displayName: u.username,
      ...('unitCode' in u ? { unitCode: u.unitCode } : {}),
    });
  }
}

/** Polls the job until it has finished (succeeded, failed or cancelled). */
async function waitJob(
  client: ApiClient,
  jobId: number,
  until = ['succeeded', 'failed', 'cancelled'],
): Promise<Body> {
  for (let i = 0; i < 1200; i++) {
    const res = await client.request('GET', `/api/events/${EVENT}/print-jobs/${jobId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (until.includes(res.body.job.status)) return res.body.job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`print job ${jobId} did not reach ${until.join('/')}`);
}

async function pdfPages(client: ApiClient, jobId: number): Promise<number> {
  const res = await client.download(`/api/events/${EVENT}/print-jobs/${jobId}/pdf`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/pdf');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cards-'));
  try {
    await writeFile(path.join(dir, 'job.pdf'), res.data);
    const { stdout } = await run('pdfinfo', [path.join(dir, 'job.pdf')]);
    return Number(/Pages:\s+(\d+)/.exec(stdout)?.[1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const print = (client: ApiClient, body: Record<string, unknown>) =>
  client.request('POST', `/api/events/${EVENT}/print-jobs`, { cardType: 'STAFF', options: SINGLE, ...body });

const cardsOf = async (client: ApiClient, query = '') =>
  (await client.request('GET', `/api/events/${EVENT}/cards?limit=500${query}`)).body;

const seqOf = (number: string) => Number(/(\d+)$/.exec(number)?.[1]);

let ids: Record<string, number[]>;

beforeAll(async () => {
  running = await startTestServer();
  await setUpServer(running);
  ids = await approvedRecords(running.engine, { UA: 6, UB: 4 });
  admin = await signIn(running, 'admin', ADMIN_PASSWORD);
  op1 = await signIn(running, 'op1');
  op2 = await signIn(running, 'op2');
  reviewer = await signIn(running, 'rev1');
  unitA = await signIn(running, 'unit-a');
  clerk = await signIn(running, 'clerk1');
  designer = await signIn(running, 'designer1');
}, 180_000);

afterAll(async () => {
  await running?.stop();
});

describe('print jobs', () => {
  it('reviewers and units cannot print or list printable records', async () => {
    expect((await print(reviewer, { recordIds: [ids.UA![0]] })).status).toBe(403);
    expect((await reviewer.request('GET', `/api/events/${EVENT}/printable`)).status).toBe(403);
    expect((await unitA.request('GET', `/api/events/${EVENT}/printable`)).status).toBe(403);
    expect((await print(unitA, { recordIds: [ids.UA![0]] })).status).toBe(403);
    const list = await op1.request('GET', `/api/events/${EVENT}/printable?cardType=STAFF`);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(10);
    expect(list.body.byCardType.find((t: Body) => t.code === 'STAFF').count).toBe(10);
    expect(list.body.records[0].idNumberMasked).toMatch(/^110101\*+\d{3}[\dX]$/);
  });

  it('pages the printable records unit by unit in id order, with the totals per card type', async () => {
    // What waits for a card, worked out from the cards themselves.
    const expected = await sql<{ id: number }>(
      running.engine,
      `SELECT r.id::int AS id FROM records r JOIN units u ON u.id = r.unit_id
        WHERE r.status = 'approved' AND r.card_type = 'STAFF'
          AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.record_id = r.id AND c.status IN ('queued', 'printed', 'issued')
                            AND NOT (c.status = 'queued' AND c.print_job_id IS NULL))
        ORDER BY u.code, r.id`,
    );
    expect(expected.length).toBe(10);
    const seen: number[] = [];
    for (let offset = 0; offset < 12; offset += 4) {
      const page = (
        await op1.request('GET', `/api/events/${EVENT}/printable?cardType=STAFF&offset=${offset}&limit=4`)
      ).body;
      expect(page.total).toBe(10);
      seen.push(...page.records.map((r: Body) => r.recordId));
    }
    expect(seen).toEqual(expected.map((r) => r.id));
    const ub = (await op1.request('GET', `/api/events/${EVENT}/printable?unit=UB`)).body;
    expect(ub.total).toBe(4);
    expect(ub.records.map((r: Body) => r.unit.code)).toEqual(['UB', 'UB', 'UB', 'UB']);
    expect(ub.byCardType.find((t: Body) => t.code === 'STAFF').count).toBe(4);
  });

  it('two operators choosing the same records at once: one job, the other gets 409 cards-busy', async () => {
    const chosen = ids.UA!.slice(0, 2);
    const [a, b] = await Promise.all([print(op1, { recordIds: chosen }), print(op2, { recordIds: chosen })]);
    const statuses = [a.status, b.status].sort();
    expect(statuses, JSON.stringify([a.body, b.body])).toEqual([202, 409]);
    const refused = a.status === 409 ? a : b;
    expect(refused.body.error.code).toBe('cards-busy');
    const won = a.status === 202 ? a : b;
    expect(won.body.job).toMatchObject({ cardCount: 2, cardType: { code: 'STAFF' }, options: SINGLE });
    await waitJob(op1, won.body.job.id);
    // Asking again for printed records names them.
    const again = await print(op1, { recordIds: chosen });
    expect(again.status).toBe(409);
    expect(again.body.error.details.recordIds.sort()).toEqual([...chosen].sort());
  });

  it('two operators printing two units at once: numbers unique and without gaps; PDF before "printed"', async () => {
    const [a, b] = await Promise.all([print(op1, { units: ['UA'] }), print(op2, { units: ['UB'] })]);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(b.status, JSON.stringify(b.body)).toBe(202);
    // UA's first two were printed above: the unit choice skips them.
    expect(a.body.job.cardCount).toBe(4);
    expect(b.body.job.cardCount).toBe(4);
    expect(a.body.job.taskId).toMatch(/^[0-9a-f-]{36}$/);
    const [ja, jb] = await Promise.all([waitJob(op1, a.body.job.id), waitJob(op2, b.body.job.id)]);
    for (const job of [ja, jb]) {
      expect(job).toMatchObject({ status: 'succeeded', done: 4, attempts: 1, error: null });
      expect(job.pdfBytes).toBeGreaterThan(1000);
      // Single cards with backs: a front page and a back page per card.
      expect(await pdfPages(op1, job.id)).toBe(8);
    }
    const cards = await cardsOf(op1, '&cardType=STAFF');
    expect(cards.total).toBe(10);
    expect(cards.byStatus).toEqual({ printed: 10 });
    const seqs = cards.cards.map((c: Body) => seqOf(c.cardNumber)).sort((x: number, y: number) => x - y);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(cards.cards[0].cardNumber).toMatch(/^EXPO2026-ST-\d{5}$/);
    // Printed only with the PDF: every printed card's job holds its PDF, stored before the cards changed.
    const rows = await sql(
      running.engine,
      `SELECT c.status, c.printed_at, j.pdf_blob, j.finished_at, r.printed_at AS record_printed
         FROM cards c JOIN print_jobs j ON j.id = c.print_job_id JOIN records r ON r.id = c.record_id`,
    );
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      expect(r.status).toBe('printed');
      expect(r.pdf_blob).toMatch(/^[0-9a-f]{64}$/);
      expect(r.record_printed).not.toBeNull();
    }
    const history = await sql(
      running.engine,
      `SELECT action, count(*)::int AS n FROM card_history GROUP BY action`,
    );
    expect(Object.fromEntries(history.map((h) => [h.action, h.n]))).toEqual({ queue: 10, print: 10 });
    // Nothing of STAFF left to print.
    expect((await print(op1, {})).status).toBe(422);
    expect((await print(op1, {})).body.error.code).toBe('nothing-to-print');
  });

  it('lists jobs with progress and refuses the PDF of an unknown job', async () => {
    const res = await op1.request('GET', `/api/events/${EVENT}/print-jobs`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(3);
    expect(res.body.jobs.every((j: Body) => j.status === 'succeeded' && j.done === j.cardCount)).toBe(true);
    expect((await op1.download(`/api/events/${EVENT}/print-jobs/999999/pdf`)).status).toBe(404);
    expect((await reviewer.request('GET', `/api/events/${EVENT}/print-jobs`)).status).toBe(403);
  });
});

describe('lifecycle', () => {
  let card: Body;

  it('issues, returns, reports lost; refuses what the state does not allow; keeps history and audit', async () => {
    card = (await cardsOf(op1, '&sort=number')).cards[0];
    const url = `/api/events/${EVENT}/cards/${card.id}`;
    expect((await op1.request('POST', `${url}/return`, {})).status).toBe(409);
    const noName = await op1.request('POST', `${url}/issue`, {});
    expect(noName.status).toBe(422);
    expect(noName.body.error.code).toBe('issued_to_required');
    expect((await reviewer.request('POST', `${url}/issue`, { issuedTo: 'x' })).status).toBe(403);
    expect((await unitA.request('POST', `${url}/issue`, { issuedTo: 'x' })).status).toBe(403);

    const issued = await op1.request('POST', `${url}/issue`, { issuedTo: '本人' });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body.card).toMatchObject({ status: 'issued', issuedTo: '本人' });
    expect(issued.body.card.issuedAt).not.toBeNull();
    expect((await op1.request('POST', `${url}/issue`, { issuedTo: '再发' })).status).toBe(409);
    expect((await op1.request('POST', `${url}/return`, { reason: '活动结束' })).body.card.status).toBe(
      'returned',
    );
    expect((await op1.request('POST', `${url}/issue`, { issuedTo: '本人' })).body.card.status).toBe('issued');
    const noReason = await op1.request('POST', `${url}/lost`, {});
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.code).toBe('reason_required');
    const lost = await op1.request('POST', `${url}/lost`, { reason: '持证人报告遗失' });
    expect(lost.body.card).toMatchObject({ status: 'lost', statusReason: '持证人报告遗失' });
    const refused = await op1.request('POST', `${url}/issue`, { issuedTo: '本人' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('已挂失');

    const history = lost.body.history.map((h: Body) => `${h.action}:${h.fromStatus ?? ''}>${h.toStatus}`);
    expect(history).toEqual([
      'lost:issued>lost',
      'issue:returned>issued',
      'return:issued>returned',
      'issue:printed>issued',
      'print:queued>printed',
      'queue:>queued',
    ]);
    expect(lost.body.history[0]).toMatchObject({ reason: '持证人报告遗失', actor: 'op1' });
    const audit = await sql(
      running.engine,
      `SELECT action FROM audit_log WHERE target_type = 'card' AND target_id = :id ORDER BY id`,
      { id: String(card.id) },
    );
    expect(audit.map((a) => a.action)).toEqual(['card_issue', 'card_return', 'card_issue', 'card_lost']);
  });

  let reprinted: Body;

  it('reprints a lost card as the next version of its number, straight into a print job', async () => {
    const url = `/api/events/${EVENT}/cards/${card.id}`;
    expect((await op1.request('POST', `${url}/reprint`, {})).status).toBe(422);
    const res = await op1.request('POST', `${url}/reprint`, { reason: '原证遗失，补制', print: SINGLE });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    reprinted = res.body.card;
    expect(reprinted).toMatchObject({ cardNumber: card.cardNumber, cardVersion: 2, status: 'queued' });
    expect(res.body.job.cardCount).toBe(1);
    const job = await waitJob(op1, res.body.job.id);
    expect(job.status).toBe('succeeded');
    expect(await pdfPages(op1, job.id)).toBe(2);
    const detail = (await op1.request('GET', `/api/events/${EVENT}/cards/${reprinted.id}`)).body;
    expect(detail.card).toMatchObject({ status: 'printed', cardVersion: 2 });
    expect(detail.versions.map((v: Body) => [v.cardVersion, v.status])).toEqual([
      [2, 'printed'],
      [1, 'lost'],
    ]);
    expect(detail.versions[1].replacedBy).toBe(reprinted.id);
    expect(detail.photoUrl).toMatch(/^\/api\/photos\//);
    // Only the newest version can be reprinted.
    expect((await op1.request('POST', `${url}/reprint`, { reason: '再补' })).status).toBe(409);
  });

  it('a reprint of a live card replaces it; a revoked card’s number is never given to anyone else', async () => {
    const cards = (await cardsOf(op1, '&sort=number&status=printed')).cards;
    const live = cards.find((c: Body) => c.cardVersion === 1)!;
    const res = await op1.request('POST', `/api/events/${EVENT}/cards/${live.id}/reprint`, {
      reason: '照片不清',
    });
    expect(res.status).toBe(200);
    expect(res.body.job).toBeNull();
    const old = (await op1.request('GET', `/api/events/${EVENT}/cards/${live.id}`)).body.card;
    expect(old).toMatchObject({ status: 'replaced', statusReason: '照片不清', replacedBy: res.body.card.id });
    // The queued reprint waits in the printable list; printing it keeps the number.
    const printable = (await op1.request('GET', `/api/events/${EVENT}/printable?cardType=STAFF`)).body;
    expect(printable.records.map((r: Body) => r.recordId)).toEqual([live.recordId]);
    expect(printable.records[0].previousCards).toBe(1);

    const other = cards.find((c: Body) => c.cardVersion === 1 && c.id !== live.id)!;
    const revoked = await op1.request('POST', `/api/events/${EVENT}/cards/${other.id}/revoke`, {
      reason: '人员取消参会',
    });
    expect(revoked.body.card.status).toBe('revoked');
    // Two new approved people: their numbers continue the sequence (11, 12), nobody gets a revoked one.
    const more = await approvedRecords(running.engine, { UB: 2 }, 500);
    const job = await print(op2, { units: ['UB', 'UA'] });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    // The replaced card's reprint, the revoked card's record (next version) and the two new ones.
    expect(job.body.job.cardCount).toBe(4);
    await waitJob(op2, job.body.job.id);
    const all = (await cardsOf(op1, '&sort=number')).cards as Body[];
    const byRecord = (id: number) =>
      all.filter((c) => c.recordId === id).map((c) => [c.cardNumber, c.cardVersion]);
    expect(seqOf(byRecord(more.UB![0]!)[0]![0] as string)).toBe(11);
    expect(seqOf(byRecord(more.UB![1]!)[0]![0] as string)).toBe(12);
    expect(byRecord(other.recordId).sort()).toEqual([
      [other.cardNumber, 1],
      [other.cardNumber, 2],
    ]);
    expect(byRecord(live.recordId)).toHaveLength(2);
    // One number per record, and every number of the sequence used.
    const numbers = new Map<string, Set<number>>();
    for (const c of all) numbers.set(c.cardNumber, (numbers.get(c.cardNumber) ?? new Set()).add(c.recordId));
    expect([...numbers.values()].every((records) => records.size === 1)).toBe(true);
    expect([...numbers.keys()].map(seqOf).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    const counter = await sql(
      running.engine,
      `SELECT last_seq FROM card_number_counters WHERE card_type = 'STAFF'`,
    );
    expect(counter[0].last_seq).toBe(12);
  });

  it('GET /records/:id/cards gives every version and the history; a unit sees only its own cards', async () => {
    const res = await op1.request('GET', `/api/events/${EVENT}/records/${card.recordId}/cards`);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c: Body) => c.cardVersion)).toEqual([2, 1]);
    expect(res.body.history.map((h: Body) => h.action)).toContain('reprint');
    const own = await cardsOf(unitA);
    expect(own.total).toBeGreaterThan(0);
    expect(own.cards.every((c: Body) => c.unit.code === 'UA')).toBe(true);
    // The tabs' counts — the whole event's (kept totals) and one unit's (kept counts) — are the cards'.
    const counted = async (unit: string | null) =>
      Object.fromEntries(
        (
          await sql<{ status: string; n: number }>(
            running.engine,
            `SELECT c.status, count(*)::int AS n FROM cards c JOIN units u ON u.id = c.unit_id
              WHERE (:unit::text IS NULL OR u.code = :unit) GROUP BY c.status`,
            { unit },
          )
        ).map((r) => [r.status, r.n]),
      );
    const checkCounts = async () => {
      expect((await cardsOf(op1)).byStatus).toEqual(await counted(null));
      expect((await cardsOf(unitA)).byStatus).toEqual(await counted('UA'));
      expect((await cardsOf(op1, '&unit=UB')).byStatus).toEqual(await counted('UB'));
    };
    // From the deltas alone (nothing folded yet), then from the totals alone (a report folds the
    // deltas in), then from both (a change after the fold).
    expect(await sql(running.engine, 'SELECT 1 FROM report_card_type_totals LIMIT 1')).toEqual([]);
    await checkCounts();
    expect((await op1.request('GET', `/api/events/${EVENT}/reports/statistics`)).status).toBe(200);
    expect(await sql(running.engine, 'SELECT 1 FROM report_card_deltas LIMIT 1')).toEqual([]);
    await checkCounts();
    const toIssue = (await cardsOf(op1, '&unit=UB&status=printed')).cards[0];
    const issued = await op1.request('POST', `/api/events/${EVENT}/cards/${toIssue.id}/issue`, {
      issuedTo: '本人',
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect((await sql(running.engine, 'SELECT 1 FROM report_card_deltas LIMIT 1')).length).toBe(1);
    await checkCounts();
    const ub = (await cardsOf(op1, '&unit=UB')).cards[0];
    expect((await unitA.request('GET', `/api/events/${EVENT}/cards/${ub.id}`)).status).toBe(404);
    expect((await reviewer.request('GET', `/api/events/${EVENT}/cards`)).status).toBe(403);
    // Searching by card number prefix and by ID number.
    const found = await cardsOf(op1, `&q=${encodeURIComponent(card.cardNumber)}`);
    expect(found.cards.map((c: Body) => c.cardVersion).sort()).toEqual([1, 2]);
  });
});

describe('verification', () => {
  it('says lost for the old QR, valid for the new one once issued, wrong event elsewhere, invalid when forged', async () => {
    const detail = (await op1.request('GET', `/api/events/${EVENT}/cards?q=EXPO2026-ST-00001`)).body;
    const v1 = detail.cards.find((c: Body) => c.cardVersion === 1);
    const v2 = detail.cards.find((c: Body) => c.cardVersion === 2);
    const oldToken = await running.engine.cards.verifyToken(v1.id);
    const newToken = await running.engine.cards.verifyToken(v2.id);
    expect(newToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(newToken.length).toBeLessThan(130);
    expect(newToken).not.toContain(v2.idNumberMasked.slice(0, 6));
    const check = (client: ApiClient, token: string, event = EVENT) =>
      client.request('GET', `/api/verify/${encodeURIComponent(token)}?event=${event}`);

    const old = await check(op1, oldToken);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({
      outcome: 'lost',
      ok: false,
      card: { cardVersion: 1, currentVersion: 2, name: v1.name },
    });
    const notYet = await check(reviewer, newToken);
    expect(notYet.body).toMatchObject({ outcome: 'not-issued', ok: false });
    await op1.request('POST', `/api/events/${EVENT}/cards/${v2.id}/issue`, { issuedTo: '本人' });
    const valid = await check(clerk, newToken);
    expect(valid.body).toMatchObject({
      outcome: 'valid',
      ok: true,
      card: { cardNumber: v2.cardNumber, status: 'issued' },
    });
    expect(valid.body.card.zones.length).toBeGreaterThan(0);
    expect(valid.body.photoUrl).toMatch(/^\/api\/photos\//);
    expect((await check(designer, newToken, 'BJMARATHON2026')).body).toMatchObject({
      outcome: 'wrong-event',
      ok: false,
    });

    // One character changed: the signature no longer holds.
    const forged = newToken.slice(0, 20) + (newToken[20] === 'A' ? 'B' : 'A') + newToken.slice(21);
    expect((await check(op1, forged)).body).toMatchObject({ outcome: 'invalid', ok: false });
    expect((await check(op1, 'not-a-token')).body.outcome).toBe('invalid');
    expect(((await check(op1, 'not-a-token')).body as Body).card).toBeUndefined();
    // Units do not scan.
    expect((await check(unitA, newToken)).status).toBe(403);
    const replaced = (await op1.request('GET', `/api/events/${EVENT}/cards?status=replaced`)).body.cards[0];
    expect((await check(op1, await running.engine.cards.verifyToken(replaced.id))).body.outcome).toBe(
      'replaced',
    );
  });

  it('checks a token offline with the public key alone', async () => {
    const key = await new ApiClient(running.url).request('GET', '/api/verify/key');
    expect(key.status).toBe(200);
    expect(key.body).toMatchObject({ algorithm: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519' } });
    expect(key.body.format).toContain('Ed25519');
    const some = (await cardsOf(op1)).cards[0];
    const token = await running.engine.cards.verifyToken(some.id);
    // By hand, as a gate app would: the last 64 bytes sign the rest.
    const bytes = Buffer.from(token, 'base64url');
    const payload = bytes.subarray(0, bytes.length - 64);
    const publicKey = createPublicKey({ key: key.body.jwk, format: 'jwk' });
    expect(verify(null, payload, publicKey, bytes.subarray(bytes.length - 64))).toBe(true);
    expect(payload.toString('latin1')).toContain(some.cardNumber);
    expect(payload.toString('latin1')).toContain(EVENT);
    const tampered = Buffer.from(payload);
    tampered[tampered.length - 1]! ^= 1;
    expect(verify(null, tampered, publicKey, bytes.subarray(bytes.length - 64))).toBe(false);
    // And with the module a gate app can embed.
    expect(verifyTokenOffline(token, key.body.jwk)).toEqual({
      eventCode: EVENT,
      cardId: some.id,
      cardVersion: some.cardVersion,
      cardNumber: some.cardNumber,
    });
  });
});

describe('record edits after printing', () => {
  it('refuses a unit’s edit; an admin’s edit goes back to review and the card asks for a reprint', async () => {
    const card = (await cardsOf(unitA, '&status=printed')).cards[0];
    const record = (await unitA.request('GET', `/api/events/${EVENT}/records/${card.recordId}`)).body.record;
    const edit = (client: ApiClient, version: number) =>
      client.request('PUT', `/api/events/${EVENT}/records/${record.id}`, {
        values: { ...record.values, mobile: '13911112222' },
        version,
      });
    const refused = await edit(unitA, record.version);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'record_printed',
      message: '已制证，修改须由制证员补制',
    });
    const ok = await edit(admin, record.version);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.record.status).toBe('submitted');
    const after = (await op1.request('GET', `/api/events/${EVENT}/cards/${card.id}`)).body.card;
    expect(after.recordChanged).toBe(true);
    const early = await op1.request('POST', `/api/events/${EVENT}/cards/${card.id}/reprint`, {
      reason: '信息变更',
    });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('record_not_approved');
    // Approved again: the reprint carries the new data.
    const actor = { ...(await running.engine.accounts.commandLineActor()), ip: '127.0.0.1' };
    const batch = await sql(running.engine, 'SELECT review_batch_id FROM records WHERE id = :id', {
      id: record.id,
    });
    await running.engine.review.decide(
      Number(batch[0].review_batch_id),
      { decision: 'approve', all: true },
      actor,
    );
    const re = await op1.request('POST', `/api/events/${EVENT}/cards/${card.id}/reprint`, {
      reason: '信息变更',
      print: SINGLE,
    });
    expect(re.status, JSON.stringify(re.body)).toBe(200);
    await waitJob(op1, re.body.job.id);
    const fresh = (await op1.request('GET', `/api/events/${EVENT}/cards/${re.body.card.id}`)).body.card;
    expect(fresh).toMatchObject({
      status: 'printed',
      recordChanged: false,
      cardVersion: card.cardVersion + 1,
    });
  });

  it('after every print, cancel, loss, reprint and edit above, each record’s card_held agrees with its cards', async () => {
    expect(await staleCardHeld(running.engine.db.sequelize)).toEqual([]);
    const held = await sql(running.engine, 'SELECT count(*)::int AS n FROM records WHERE card_held');
    expect(held[0].n).toBeGreaterThan(10);
  });
});

describe('failures and restarts (servers of their own)', () => {
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  const chrome = process.env.CHROME_PATH;

  afterAll(async () => {
    process.env.CHROME_PATH = chrome;
    await a?.stop().catch(() => undefined);
    await b?.stop().catch(() => undefined);
  });

  it('a job that cannot render fails with the reason; retried, it prints the same cards with the same numbers', async () => {
    a = await startTestServer();
    await setUpServer(a);
    const made = await approvedRecords(a.engine, { UA: 3 });
    const op = await signIn(a, 'op1');
    // Chromium missing (a broken install): the first launch of this server's browser fails.
    process.env.CHROME_PATH = '/bin/false';
    const res = await print(op, { recordIds: made.UA });
    expect(res.status).toBe(202);
    const failed = await waitJob(op, res.body.job.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/制作出错|Chromium|browser/i);
    const before = (await cardsOf(op)).cards.map((c: Body) => [c.id, c.cardNumber, c.status]);
    expect(before.every((c: Body[]) => c[2] === 'queued')).toBe(true);
    expect((await op.request('GET', `/api/events/${EVENT}/cards?q=x`)).status).toBe(200);
    const history = await sql(a.engine, `SELECT action FROM card_history WHERE action = 'print-failed'`);
    expect(history).toHaveLength(3);
    // The records stay locked to this job: another job cannot take them.
    expect((await print(op, { recordIds: made.UA })).status).toBe(409);

    process.env.CHROME_PATH = chrome;
    const retried = await op.request('POST', `/api/events/${EVENT}/print-jobs/${res.body.job.id}/retry`, {});
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    const done = await waitJob(op, res.body.job.id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    const after = (await cardsOf(op)).cards.map((c: Body) => [c.id, c.cardNumber, c.status]);
    expect(after.map((c: Body[]) => c.slice(0, 2)).sort()).toEqual(
      before.map((c: Body[]) => c.slice(0, 2)).sort(),
    );
    expect(after.every((c: Body[]) => c[2] === 'printed')).toBe(true);
    expect(
      (await op.request('POST', `/api/events/${EVENT}/print-jobs/${res.body.job.id}/retry`, {})).status,
    ).toBe(409);
  });

  it('a server stopped mid-job: the next server on the database finishes it', async () => {
    const config = a!.engine.config;
    await approvedRecords(a!.engine, { UB: 40 }, 100);
    const op = await signIn(a!, 'op1');
    const res = await print(op, { units: ['UB'] });
    expect(res.status).toBe(202);
    const jobId = res.body.job.id;
    await waitJob(op, jobId, ['running', 'succeeded']);
    await a!.stop();
    a = undefined;
    const [left] = await (async () => {
      b = await startServer({ ...config, cards: { ...config.cards, printWorker: false } }, () => undefined);
      return sql(b.engine, 'SELECT status, attempts FROM print_jobs WHERE id = :jobId', { jobId });
    })();
    // Put back on the queue by the stopping server: its PDF, if any, was not kept.
    expect(left).toMatchObject({ status: 'queued', attempts: 1 });
    await b!.stop();
    b = await startServer(config, () => undefined);
    const op2b = await signIn(b, 'op1');
    const done = await waitJob(op2b, jobId);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(await pdfPages(op2b, jobId)).toBe(80);
    expect((await cardsOf(op2b, '&unit=UB')).byStatus).toEqual({ printed: 40 });
  });

  it('a crashed worker’s job is swept back; after too many crashes the job fails saying so', async () => {
    const config = b!.engine.config;
    await b!.stop();
    // A server without a worker: the job waits, its cards queued — not printed without a PDF.
    b = await startServer({ ...config, cards: { ...config.cards, printWorker: false } }, () => undefined);
    const made = await approvedRecords(b.engine, { UA: 2 }, 300);
    const op = await signIn(b, 'op1');
    const res = await print(op, { recordIds: made.UA });
    const jobId = res.body.job.id;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await waitJob(op, jobId, ['queued'])).status).toBe('queued');
    expect((await cardsOf(op, '&status=queued')).total).toBe(2);
    // As a worker that took it and then lost power leaves it: running, nobody holding its lock.
    const [job] = await sql(
      b.engine,
      `UPDATE print_jobs SET status = 'running', worker = 'gone:1', attempts = 1 WHERE id = :jobId RETURNING queue_job_id`,
      { jobId },
    );
    await b.engine.cards.queue.cancel(job.queue_job_id);
    await b.stop();
    b = await startServer(config, () => undefined);
    const opb = await signIn(b, 'op1');
    const done = await waitJob(opb, jobId);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });

    // Three attempts cut off: the sweep stops trying and says why.
    const again = await approvedRecords(b.engine, { UA: 1 }, 400);
    await b.engine.cards.printJobs.stopWorker();
    const stuck = await print(opb, { recordIds: again.UA });
    await sql(
      b.engine,
      `UPDATE print_jobs SET status = 'running', worker = 'gone:2', attempts = 3 WHERE id = :id`,
      { id: stuck.body.job.id },
    );
    await new Promise((r) => setTimeout(r, 2100));
    await b.engine.cards.printJobs.sweep();
    const failed = (await opb.request('GET', `/api/events/${EVENT}/print-jobs/${stuck.body.job.id}`)).body
      .job;
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('已尝试 3 次');
  });

  it('a cancelled job lets go of its cards: they keep their numbers and print in the next job', async () => {
    const made = await approvedRecords(b!.engine, { UB: 2 }, 600);
    const op = await signIn(b!, 'op1');
    const res = await print(op, { recordIds: made.UB });
    const cancelled = await op.request(
      'POST',
      `/api/events/${EVENT}/print-jobs/${res.body.job.id}/cancel`,
      {},
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.job.status).toBe('cancelled');
    const waiting = (await cardsOf(op, '&status=queued')).cards.filter((c: Body) =>
      made.UB!.includes(c.recordId),
    );
    expect(waiting).toHaveLength(2);
    expect(waiting.every((c: Body) => c.printJobId === null)).toBe(true);
    const printable = (await op.request('GET', `/api/events/${EVENT}/printable?cardType=STAFF`)).body;
    expect(printable.records.map((r: Body) => r.recordId)).toEqual(expect.arrayContaining(made.UB!));
    expect(
      (await op.request('POST', `/api/events/${EVENT}/print-jobs/${res.body.job.id}/cancel`, {})).status,
    ).toBe(409);
    // The worker was stopped by the previous test: started again here.
    await b!.engine.cards.printJobs.startWorker();
    const next = await print(op, { recordIds: made.UB });
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    await waitJob(op, next.body.job.id);
    const printed = (await cardsOf(op)).cards.filter((c: Body) => made.UB!.includes(c.recordId));
    expect(printed.map((c: Body) => [c.id, c.cardNumber, c.cardVersion, c.status]).sort()).toEqual(
      waiting.map((c: Body) => [c.id, c.cardNumber, 1, 'printed']).sort(),
    );
    expect(await staleCardHeld(b!.engine.db.sequelize)).toEqual([]);
  });
});
