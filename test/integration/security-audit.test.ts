// The audit log is complete: every action it must hold — sign-ins (ok and failed), locks and unlocks,
// password changes and resets, full ID-number reads, review decisions, print jobs, and every download
// of data (problem rows, statistics workbook, plugin bundle, card PDF, layout proof) — is done here
// through the HTTP API by a user at an address of their own, then found through GET /api/admin/audit
// (the admin's 审计日志) with its user, address and target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
const IP = { admin: '10.20.0.1', clerk: '10.20.0.2', reviewer: '10.20.0.3', operator: '10.20.0.4' };

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;
let reviewer: ApiClient;
let operator: ApiClient;
const userIds: Record<string, number> = {};
const trustProxyBefore = process.env.TESSERA_TRUST_PROXY;

const at = (ip: string) => new ApiClient(running.url, { 'x-forwarded-for': ip });

/** The newest audit entries of `action`, read the way the admin's screen reads them. */
async function audit(action: string, query = ''): Promise<Body[]> {
  const res = await admin.request('GET', `/api/admin/audit?action=${encodeURIComponent(action)}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.entries;
}

async function expectEntry(
  action: string,
  who: { username: string | null; ip: string | null },
  target: { targetType?: string; targetId?: string },
  query = '',
): Promise<Body> {
  const entries = await audit(action, query);
  const found = entries.find(
    (e) =>
      e.username === who.username &&
      e.ip === who.ip &&
      (target.targetType === undefined || e.targetType === target.targetType) &&
      (target.targetId === undefined || e.targetId === target.targetId),
  );
  expect(
    found,
    `${action} by ${who.username}@${who.ip} on ${JSON.stringify(target)}: ${JSON.stringify(entries)}`,
  ).toBeDefined();
  return found;
}

beforeAll(async () => {
  process.env.TESSERA_TRUST_PROXY = '1';
  running = await startTestServer();
  admin = at(IP.admin);
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
  for (const [username, role] of [
    ['clerk1', 'clerk'],
    ['rev1', 'reviewer'],
    ['op1', 'operator'],
  ] as const) {
    const res = await admin.request('POST', '/api/users', { username, password: PASSWORD, role });
    expect(res.status).toBe(201);
    userIds[username] = res.body.user.id;
  }
  clerk = at(IP.clerk);
  reviewer = at(IP.reviewer);
  operator = at(IP.operator);
  expect((await clerk.login('clerk1', PASSWORD)).status).toBe(200);
  expect((await reviewer.login('rev1', PASSWORD)).status).toBe(200);
  expect((await operator.login('op1', PASSWORD)).status).toBe(200);
});

afterAll(async () => {
  await running?.stop();
  if (trustProxyBefore === undefined) delete process.env.TESSERA_TRUST_PROXY;
  else process.env.TESSERA_TRUST_PROXY = trustProxyBefore;
});

describe('audit log', () => {
  const recordIds: number[] = [];

  it('holds sign-ins, failed ones with the name typed, locks, unlocks and sign-outs', async () => {
    await expectEntry(
      'login',
      { username: 'clerk1', ip: IP.clerk },
      { targetType: 'user', targetId: String(userIds.clerk1) },
    );
    const stranger = at('10.20.9.9');
    expect((await stranger.login('nobody-here', 'guess')).status).toBe(401);
    const failed = await expectEntry('login_failed', { username: 'nobody-here', ip: '10.20.9.9' }, {});
    expect(failed.detail.reason).toBe('invalid_credentials');

    for (let i = 0; i < 5; i++) await stranger.login('op1', 'guess-again');
    await expectEntry(
      'account_lock',
      { username: 'op1', ip: '10.20.9.9' },
      { targetId: String(userIds.op1) },
    );
    expect((await admin.request('POST', `/api/users/${userIds.op1}/unlock`)).status).toBe(200);
    await expectEntry(
      'account_unlock',
      { username: 'admin', ip: IP.admin },
      { targetId: String(userIds.op1) },
    );

    const once = at('10.20.0.7');
    await once.login('rev1', PASSWORD);
    expect((await once.request('POST', '/api/auth/logout')).status).toBe(204);
    await expectEntry('logout', { username: 'rev1', ip: '10.20.0.7' }, { targetId: String(userIds.rev1) });
  });

  it('holds password changes and resets', async () => {
    const res = await clerk.request('POST', '/api/auth/password', {
      oldPassword: PASSWORD,
      newPassword: 'Clerk-New-Pass-1',
    });
    expect(res.status).toBe(200);
    clerk.csrfToken = res.body.csrfToken;
    await expectEntry(
      'password_change',
      { username: 'clerk1', ip: IP.clerk },
      { targetId: String(userIds.clerk1) },
    );
    const reset = await admin.request('POST', `/api/users/${userIds.clerk1}/password`, {
      newPassword: PASSWORD,
    });
    expect(reset.status).toBe(200);
    await expectEntry(
      'password_reset',
      { username: 'admin', ip: IP.admin },
      { targetId: String(userIds.clerk1) },
    );
    expect((await clerk.login('clerk1', PASSWORD)).status).toBe(200);
  });

  it('holds full ID-number reads and review decisions', async () => {
    for (const [i, name] of ['审计甲', '审计乙'].entries()) {
      const created = await clerk.request('POST', `/api/events/${EVENT}/records`, {
        kind: 'person',
        unitCode: 'UA',
        values: {
          name,
          gender: 'M',
          idType: '1',
          idNumber: residentId('110101', '19800101', String(111 + 2 * i)),
          organization: '甲单位',
          mobile: `1390000000${i}`,
          cardType: 'STAFF',
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      recordIds.push(created.body.record.id);
    }
    const full = await clerk.request('GET', `/api/events/${EVENT}/records/${recordIds[0]}/id-number`);
    expect(full.status).toBe(200);
    await expectEntry(
      'id_number_read',
      { username: 'clerk1', ip: IP.clerk },
      { targetType: 'record', targetId: String(recordIds[0]) },
    );

    const batch = await clerk.request('POST', `/api/events/${EVENT}/review-batches`, { unitCode: 'UA' });
    expect(batch.status, JSON.stringify(batch.body)).toBe(201);
    const decided = await reviewer.request('POST', `/api/review-batches/${batch.body.batch.id}/decisions`, {
      decision: 'approve',
      all: true,
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    for (const id of recordIds) {
      await expectEntry(
        'review_approved',
        { username: 'rev1', ip: IP.reviewer },
        { targetType: 'record', targetId: String(id) },
      );
    }
    // The group filter of the screen finds them too.
    expect((await audit('group:review')).length).toBe(2);
  });

  it('holds print jobs and the download of their PDF', async () => {
    const created = await operator.request('POST', `/api/events/${EVENT}/print-jobs`, {
      cardType: 'STAFF',
      recordIds,
      options: { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: false },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const jobId = created.body.job.id as number;
    await expectEntry(
      'print_job_create',
      { username: 'op1', ip: IP.operator },
      { targetType: 'print_job', targetId: String(jobId) },
    );
    let status = 'queued';
    for (let i = 0; i < 1200 && ['queued', 'running'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await operator.request('GET', `/api/events/${EVENT}/print-jobs/${jobId}`)).body.job.status;
    }
    expect(status).toBe('succeeded');
    // The worker's part is in the log too, without a user.
    await expectEntry('print_job_succeeded', { username: null, ip: null }, { targetId: String(jobId) });
    const pdf = await operator.download(`/api/events/${EVENT}/print-jobs/${jobId}/pdf`);
    expect(pdf.status).toBe(200);
    await expectEntry(
      'print_job_download',
      { username: 'op1', ip: IP.operator },
      { targetType: 'print_job', targetId: String(jobId) },
    );

    const cards = await operator.request('GET', `/api/events/${EVENT}/cards?limit=10`);
    const card = cards.body.cards[0];
    const issued = await operator.request('POST', `/api/events/${EVENT}/cards/${card.id}/issue`, {
      issuedTo: '本人',
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    await expectEntry(
      'card_issue',
      { username: 'op1', ip: IP.operator },
      { targetType: 'card', targetId: String(card.id) },
    );
  });

  it('holds every download of data: problem rows, statistics, plugin bundle, layout proof', async () => {
    const sheet = `姓名,性别,身份证号码,单位,手机,申请证件类型\n坏行,男,12345,甲单位,13700137001,工作证\n`;
    const staged = await clerk.upload(`/api/events/${EVENT}/imports`, {
      kind: 'person',
      unitCode: 'UA',
      file: { fileName: '问题.csv', data: Buffer.from(`\uFEFF${sheet}`), type: 'text/csv' },
    });
    expect(staged.status, JSON.stringify(staged.body)).toBe(202);
    await followTask(clerk, staged.body.task.id, 600);
    const batchId = staged.body.batch.id as number;
    for (const format of ['xlsx', 'csv']) {
      const rows = await clerk.download(`/api/imports/${batchId}/rows/export?format=${format}`);
      expect(rows.status).toBe(200);
    }
    const exported = await audit('import_export_rows');
    expect(
      exported.filter((e) => e.username === 'clerk1' && e.ip === IP.clerk && e.targetId === String(batchId)),
    ).toHaveLength(2);

    const xlsx = await admin.download(`/api/events/${EVENT}/reports/statistics.xlsx?unit=UA`);
    expect(xlsx.status).toBe(200);
    const report = await expectEntry(
      'report_export',
      { username: 'admin', ip: IP.admin },
      { targetType: 'report' },
    );
    expect(report.eventCode).toBe(EVENT);
    expect(report.detail.filter).toMatchObject({ unit: 'UA' });

    const bundle = await admin.download(`/api/events/${EVENT}/bundle`);
    expect(bundle.status).toBe(200);
    await expectEntry('event_export', { username: 'admin', ip: IP.admin }, { targetId: EVENT });

    const layout = (await admin.request('GET', `/api/events/${EVENT}/layouts/staff`)).body.layout;
    const proof = await admin.requestBytes('POST', `/api/events/${EVENT}/layouts/proof`, {
      layout,
      cardType: 'STAFF',
      recordIds: [recordIds[1]],
    });
    expect(proof.status, proof.data.toString().slice(0, 300)).toBe(200);
    const proofEntry = await expectEntry(
      'layout_proof',
      { username: 'admin', ip: IP.admin },
      { targetId: 'staff' },
    );
    expect(proofEntry.detail.records).toEqual([recordIds[1]]);

    // All of them under the screen's 导出与下载 group.
    const group = await audit('group:export');
    expect(new Set(group.map((e) => e.action))).toEqual(
      new Set(['import_export_rows', 'report_export', 'event_export', 'layout_proof', 'print_job_download']),
    );
  });

  it('is readable by admins only, filtered by user, address, target and time, and paged', async () => {
    expect((await operator.request('GET', '/api/admin/audit')).status).toBe(403);
    expect((await at('10.20.9.8').request('GET', '/api/admin/audit')).status).toBe(401);

    const byUser = await admin.request('GET', '/api/admin/audit?user=rev1');
    expect(byUser.body.entries.length).toBeGreaterThan(0);
    expect(byUser.body.entries.every((e: Body) => e.username === 'rev1')).toBe(true);
    const byIp = await admin.request('GET', `/api/admin/audit?ip=${IP.operator}`);
    expect(byIp.body.entries.every((e: Body) => e.ip === IP.operator)).toBe(true);
    const byTarget = await admin.request('GET', `/api/admin/audit?target=record:${recordIds[0]}`);
    expect(new Set(byTarget.body.entries.map((e: Body) => e.action))).toEqual(
      new Set(['record_create', 'id_number_read', 'review_approved']),
    );
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await admin.request('GET', `/api/admin/audit?from=${future}`)).body.total).toBe(0);

    const first = await admin.request('GET', '/api/admin/audit?limit=5');
    const second = await admin.request('GET', '/api/admin/audit?limit=5&offset=5');
    expect(first.body.entries).toHaveLength(5);
    expect(first.body.total).toBeGreaterThan(10);
    expect(second.body.total).toBe(first.body.total);
    expect(second.body.entries[0].id).toBeLessThan(first.body.entries[4].id);
    expect((await admin.request('GET', '/api/admin/audit?from=yesterday')).status).toBe(400);
    expect((await admin.request('GET', '/api/admin/audit?limit=5000')).status).toBe(400);
  });
});
