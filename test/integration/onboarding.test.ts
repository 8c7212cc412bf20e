import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

// 开通向导: a new event made from blank through the setup API, walked from nothing done to every
// required step done, the checklist read after each step.

const EVENT = 'SUMMIT2028';
const URL_ = `/api/events/${EVENT}/onboarding`;
const PASSWORD = 'Passw0rd-123';

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;

async function signedIn(username: string, role: string, unitCode?: string): Promise<ApiClient> {
  const created = await admin.request('POST', '/api/users', { username, role, password: PASSWORD, unitCode });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const client = new ApiClient(running.url);
  expect((await client.login(username, PASSWORD)).status).toBe(200);
  return client;
}

async function checklist(client: ApiClient = admin): Promise<Body> {
  const res = await client.request('GET', URL_);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const stepOf = (view: Body, id: string) => view.steps.find((s: Body) => s.id === id);
const statuses = (view: Body) => Object.fromEntries(view.steps.map((s: Body) => [s.id, s.status]));

/** Saves changed files into the draft and publishes it, as 活动设置 does. */
async function saveAndPublish(change: (files: Body) => Record<string, unknown>): Promise<void> {
  const draft = (await admin.request('GET', `/api/events/${EVENT}/draft`)).body.draft;
  const saved = await admin.request('PUT', `/api/events/${EVENT}/draft`, {
    revision: draft.revision,
    files: change(structuredClone(draft.files)),
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  expect(saved.body.draft.issues.errors).toEqual([]);
  const published = await admin.request('POST', `/api/events/${EVENT}/publish`, {
    revision: saved.body.draft.revision,
  });
  expect(published.status, JSON.stringify(published.body)).toBe(200);
}

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  clerk = await signedIn('clerk1', 'clerk');
  const created = await admin.request('POST', '/api/events', {
    template: 'blank',
    code: EVENT,
    name: '2028滨江峰会',
    kind: 'conference',
    organizer: '滨江市人民政府',
    startDate: '2028-04-10',
    endDate: '2028-04-12',
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await running?.stop();
});

describe('the checklist of a new event', () => {
  it('starts with no required step done: template parts to adapt, no units, nothing sent', async () => {
    const view = await checklist();
    expect(view.event).toEqual({ code: EVENT, name: '2028滨江峰会' });
    expect(view.steps.map((s: Body) => [s.id, s.optional])).toEqual([
      ['forms', false],
      ['cardTypes', false],
      ['units', false],
      ['layouts', false],
      ['templates', false],
      ['firstImport', true],
      ['firstReview', true],
      ['firstPrint', true],
    ]);
    expect(statuses(view)).toEqual({
      forms: 'partial',
      cardTypes: 'partial',
      units: 'missing',
      layouts: 'partial',
      templates: 'missing',
      firstImport: 'missing',
      firstReview: 'missing',
      firstPrint: 'missing',
    });
    expect(view.required).toEqual({ done: 0, total: 5 });
    expect(view.allDone).toBe(false);
    expect(stepOf(view, 'forms').missing).toContain('表单沿用新建活动时的模板，尚未按本活动调整并发布');
    expect(stepOf(view, 'forms').summary).toMatch(/^人员表单 \d+ 个字段、车辆表单 \d+ 个字段$/);
    expect(stepOf(view, 'forms').progress).toBeNull();
    expect(stepOf(view, 'cardTypes').summary).toBe('2 种（人员 1、车辆 1），都不限配额');
    expect(stepOf(view, 'layouts').summary).toBe('2 种证件中 2 种有版式');
    expect(stepOf(view, 'units').summary).toBe('还没有申报单位');
    expect(stepOf(view, 'layouts').missing).toContain('版式沿用新建活动时的模板，尚未设计');
    expect(stepOf(view, 'templates').summary).toBe('还没有申报单位，无从下发');
    expect(view.units).toEqual([]);
    expect(view.draftPending).toBe(false);
  });

  it('shows a form edit as unpublished until it is published, then the forms as done', async () => {
    const draft = (await admin.request('GET', `/api/events/${EVENT}/draft`)).body.draft;
    const form = structuredClone(draft.files['forms/person.json']);
    form.properties.delegation = { type: 'string', 'x-label': '代表团', 'x-widget': 'text' };
    const saved = await admin.request('PUT', `/api/events/${EVENT}/draft`, {
      revision: draft.revision,
      files: { 'forms/person.json': form },
    });
    expect(saved.status).toBe(200);
    let view = await checklist();
    expect(view.draftPending).toBe(true);
    expect(stepOf(view, 'forms').status).toBe('partial');
    expect(stepOf(view, 'forms').missing).toEqual([
      '表单沿用新建活动时的模板，尚未按本活动调整并发布',
      '表单有未发布的修改（到“发布与版本”发布）',
    ]);
    const published = await admin.request('POST', `/api/events/${EVENT}/publish`, {
      revision: saved.body.draft.revision,
    });
    expect(published.status).toBe(200);
    view = await checklist();
    expect(view.draftPending).toBe(false);
    expect(stepOf(view, 'forms')).toMatchObject({ status: 'done', missing: [], progress: null });
    expect(stepOf(view, 'forms').summary).toMatch(/，已发布$/);
    expect(view.required.done).toBe(1);
  });

  it('counts card types with quotas, and names a new card type that still lacks a layout', async () => {
    const draft = (await admin.request('GET', `/api/events/${EVENT}/draft`)).body.draft;
    const cardTypes = structuredClone(draft.files['card-types.json']);
    cardTypes.cardTypes.unshift({
      ...cardTypes.cardTypes[0],
      code: 'VIP',
      name: '贵宾证',
      important: true,
      importanceLevel: 1,
      numbering: { pattern: 'VIP-{seq:4}' },
      quota: { perUnit: 5, total: 100, byUnit: {} },
      layout: 'vip',
    });
    const saved = await admin.request('PUT', `/api/events/${EVENT}/draft`, {
      revision: draft.revision,
      files: { 'card-types.json': cardTypes },
    });
    expect(saved.status).toBe(200);
    let view = await checklist();
    expect(stepOf(view, 'layouts').missing).toContain('贵宾证（草稿中新增）没有版式');
    expect(stepOf(view, 'layouts').missing.some((m: string) => /^版式草稿有 \d+ 处错误/.test(m))).toBe(false);
    expect(stepOf(view, 'cardTypes').missing).toContain('证件类型有未发布的修改（到“发布与版本”发布）');

    // Printing it with the badge layout makes the draft publishable.
    cardTypes.cardTypes[0].layout = 'badge';
    const fixed = await admin.request('PUT', `/api/events/${EVENT}/draft`, {
      revision: saved.body.draft.revision,
      files: { 'card-types.json': cardTypes },
    });
    expect(fixed.body.draft.issues.errors).toEqual([]);
    expect(
      (await admin.request('POST', `/api/events/${EVENT}/publish`, { revision: fixed.body.draft.revision }))
        .status,
    ).toBe(200);
    view = await checklist();
    expect(stepOf(view, 'cardTypes')).toMatchObject({
      status: 'done',
      summary: '3 种（人员 2、车辆 1），1 种设了配额，重要证件 1 种',
    });
    expect(stepOf(view, 'layouts').missing).not.toContain('贵宾证（草稿中新增）没有版式');
  });

  it('shows layouts as done once they are designed and published', async () => {
    await saveAndPublish((files) => {
      const badge = files['layouts/badge.json'];
      badge.front.elements.find((e: Body) => e.id === 'name').style.fontSizePt = 14;
      const vehicle = files['layouts/vehicle.json'];
      vehicle.front.background = { color: '#fdfefe' };
      return { 'layouts/badge.json': badge, 'layouts/vehicle.json': vehicle };
    });
    const view = await checklist();
    expect(stepOf(view, 'layouts')).toMatchObject({
      status: 'done',
      summary: '3 种证件都有版式，已发布',
    });
    expect(view.required.done).toBe(3);
  });

  it('counts units and the ones still without an account', async () => {
    for (const [code, name] of [
      ['SU1', '滨江市外事办'],
      ['SU2', '滨江日报社'],
      ['SU3', '滨江会展中心'],
    ]) {
      expect((await admin.request('POST', '/api/units', { code, name })).status).toBe(201);
    }
    let view = await checklist();
    expect(stepOf(view, 'units')).toMatchObject({
      status: 'partial',
      summary: '3 个单位，其中 3 个还没有账号',
      progress: { done: 0, total: 3 },
    });
    await signedIn('su1', 'unit', 'SU1');
    await signedIn('su2', 'unit', 'SU2');
    view = await checklist();
    expect(stepOf(view, 'units')).toMatchObject({
      status: 'partial',
      summary: '3 个单位，其中 1 个还没有账号',
      missing: ['滨江会展中心（SU3）没有申报账号'],
      progress: { done: 2, total: 3 },
    });
    expect(view.units.map((u: Body) => [u.code, u.accounts, u.template])).toEqual([
      ['SU1', 1, null],
      ['SU2', 1, null],
      ['SU3', 0, null],
    ]);
    await signedIn('su3', 'unit', 'SU3');
    view = await checklist();
    expect(stepOf(view, 'units')).toMatchObject({ status: 'done', summary: '3 个单位，都有申报账号' });
    expect(stepOf(view, 'templates')).toMatchObject({
      status: 'missing',
      summary: '3 个单位中 0 个已收到采集模板',
    });
  });

  it('records a unit account downloading the template; staff downloads do not count', async () => {
    expect((await admin.download(`/api/events/${EVENT}/templates/person`)).status).toBe(200);
    expect(stepOf(await checklist(), 'templates').progress).toEqual({ done: 0, total: 3 });

    const su1 = new ApiClient(running.url);
    await su1.login('su1', PASSWORD);
    expect((await su1.download(`/api/events/${EVENT}/templates/person`)).status).toBe(200);
    expect((await su1.download(`/api/events/${EVENT}/templates/vehicle`)).status).toBe(200);
    const view = await checklist();
    expect(stepOf(view, 'templates')).toMatchObject({
      status: 'partial',
      summary: '3 个单位中 1 个已收到采集模板（自行下载 1，标记已发送 0）',
      missing: ['滨江日报社（SU2）未收到', '滨江会展中心（SU3）未收到'],
    });
    const su1Row = view.units.find((u: Body) => u.code === 'SU1');
    expect(su1Row.template).toMatchObject({ via: 'download', downloads: 2, markedBy: null });
  });

  it('lets a clerk mark the template sent in bulk and take a mark back, never a download', async () => {
    const marked = await clerk.request('POST', `${URL_}/template-sends`, {
      units: ['SU1', 'SU2', 'SU3'],
      sent: true,
    });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body.changed).toBe(2); // SU1 had it already
    expect(stepOf(marked.body, 'templates')).toMatchObject({
      status: 'done',
      summary: '3 个单位中 3 个已收到采集模板（自行下载 1，标记已发送 2）',
    });
    expect(marked.body.units.find((u: Body) => u.code === 'SU2').template).toMatchObject({
      via: 'marked',
      markedBy: 'clerk1',
    });
    expect(marked.body.required).toEqual({ done: 5, total: 5 });
    expect(marked.body.allDone).toBe(true);

    const undone = await clerk.request('POST', `${URL_}/template-sends`, {
      units: ['SU1', 'SU3'],
      sent: false,
    });
    expect(undone.status).toBe(200);
    expect(undone.body.changed).toBe(1);
    expect(undone.body.units.map((u: Body) => [u.code, u.template?.via ?? null])).toEqual([
      ['SU1', 'download'],
      ['SU2', 'marked'],
      ['SU3', null],
    ]);
    expect(undone.body.allDone).toBe(false);

    const audit = await running.engine.db.models.AuditEntry.findAll({
      where: { action: ['template_mark_sent', 'template_unmark_sent'] },
      order: [['id', 'ASC']],
    });
    expect(audit.map((a) => [a.action, a.username, (a.detail as Body).changed])).toEqual([
      ['template_mark_sent', 'clerk1', 2],
      ['template_unmark_sent', 'clerk1', 1],
    ]);
    await clerk.request('POST', `${URL_}/template-sends`, { units: ['SU3'], sent: true });
    expect((await checklist()).allDone).toBe(true);
  });

  it('refuses bad marks with a Chinese message naming the problem, changing nothing', async () => {
    const unknown = await clerk.request('POST', `${URL_}/template-sends`, {
      units: ['SU1', 'NOPE', 'GONE'],
      sent: false,
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.message).toBe('单位 NOPE、GONE 不存在，请刷新单位列表后再选');
    expect(unknown.body.error.details.units).toEqual(['NOPE', 'GONE']);
    expect((await checklist()).allDone).toBe(true);
    const empty = await clerk.request('POST', `${URL_}/template-sends`, { units: [], sent: true });
    expect(empty.status).toBe(422);
    expect(empty.body.error.message).toMatch(/请选择要标记的申报单位/);
    const noFlag = await clerk.request('POST', `${URL_}/template-sends`, { units: ['SU1'] });
    expect(noFlag.status).toBe(422);
    expect(noFlag.body.error.message).toMatch(/sent/);
    const noEvent = await clerk.request('GET', '/api/events/NOSUCH/onboarding');
    expect(noEvent.status).toBe(404);
  });

  it('shows the later steps as progress without holding the checklist open', async () => {
    const created = await clerk.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      unitCode: 'SU1',
      values: {
        name: '王芳',
        gender: 'F',
        idType: '1',
        idNumber: residentId('440305', '19920115', '128'),
        organization: '滨江市外事办',
        mobile: '13900139000',
        cardType: 'VIP',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const view = await checklist();
    expect(stepOf(view, 'firstImport')).toMatchObject({
      status: 'done',
      optional: true,
      summary: '已有 1 条记录（1 个单位），导入 0 批',
    });
    expect(stepOf(view, 'firstReview').status).toBe('missing');
    expect(view.allDone).toBe(true);
    expect(view.units.find((u: Body) => u.code === 'SU1').records).toBe(1);
  });
});

describe('who may read and mark', () => {
  it('gives designers the steps without the units; units, reviewers and operators nothing', async () => {
    const designer = await signedIn('designer1', 'designer');
    const view = await checklist(designer);
    expect(view.steps).toHaveLength(8);
    expect(view.units).toEqual([]);
    expect(
      (await designer.request('POST', `${URL_}/template-sends`, { units: ['SU1'], sent: true })).status,
    ).toBe(403);
    const su1 = new ApiClient(running.url);
    await su1.login('su1', PASSWORD);
    for (const client of [su1, await signedIn('reviewer1', 'reviewer'), await signedIn('op1', 'operator')]) {
      expect((await client.request('GET', URL_)).status).toBe(403);
      expect(
        (await client.request('POST', `${URL_}/template-sends`, { units: ['SU1'], sent: true })).status,
      ).toBe(403);
    }
    expect((await new ApiClient(running.url).request('GET', URL_)).status).toBe(401);
  });

  it('treats a bundled event as set up: its parts are not a template to adapt', async () => {
    const res = await admin.request('GET', '/api/events/EXPO2026/onboarding');
    expect(res.status).toBe(200);
    expect(stepOf(res.body, 'forms').status).toBe('done');
    expect(stepOf(res.body, 'layouts').status).toBe('done');
  });
});
