// Walks the whole route table (server/routes/index.ts) against a seeded server: every route
// anonymously and as each role. Anonymous → 401 except the public routes; a role outside the
// route's access → 403 (before any check of the request body); a unit user of unit A asking for
// any object of unit B — record, vehicle, photo, import batch, review batch, card, print job,
// task, declaration summary, search hits, list filters — gets 403/404 or its own rows only, and
// never one of unit B's names, ID numbers or plates in the body. A route added to the table
// without a fixture here fails the first test, so no route escapes the walk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../core/roles.ts';
import type { RouteDef } from '../../server/route-table.ts';
import { allRoutes } from '../../server/routes/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto, simpleWorkbook } from '../support/import-files.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';

/** What unit B declared: none of it may reach unit A. */
const B = {
  unitName: '乙方保密单位',
  name: '乙秘密人',
  idNumber: residentId('650102', '19830412', '517'),
  organization: '乙方保密机关',
  plate: '新A7K9Z3',
  driver: '乙司机',
  driverId: residentId('650103', '19790101', '233'),
  importName: '乙导入人',
  importId: residentId('650104', '19900505', '331'),
};
const B_MARKERS = [
  B.unitName,
  B.name,
  B.idNumber,
  B.organization,
  B.plate,
  B.driver,
  B.driverId,
  B.importName,
  B.importId,
];
const A_NAME = '甲可见人';

/** The ids the fixtures fill into paths, all of unit B's objects. */
interface Seed {
  personB: number;
  personBVersion: number;
  vehicleB: number;
  vehicleBVersion: number;
  photoB: string;
  importB: number;
  importRowB: number;
  importRowBVersion: number;
  importTaskB: string;
  reviewBatchB: number;
  printJobB: number;
  cardB: number;
  tokenB: string;
  userB: number;
  layout: string;
  draftRevision: number;
}

type Multipart = Record<string, string | { fileName: string; data: Uint8Array; type: string }>;

interface Fixture {
  url: (s: Seed) => string;
  /** A request body that would be valid if access were granted (JSON, or multipart for uploads). */
  body?: (s: Seed) => unknown;
  multipart?: (s: Seed) => Multipart;
  /**
   * `unitB`: the path or body names one of unit B's objects — unit A gets 403/404.
   * `list`: a list or search unit A may read — 2xx with its own rows only.
   * `shared`: event-wide or own data (forms, layouts, units, own session).
   */
  scope: 'unitB' | 'list' | 'shared';
  /** What a caller without a session gets on a public route (its own check, e.g. /metrics). */
  anonymous?: number;
  /** What an allowed role gets on a GET when not 200 (a fixture naming nothing that exists). */
  ok?: number;
}

let photoBytes: Buffer;
let sheetBytes: Buffer;

const FIXTURES: Record<string, Fixture> = {
  'GET /api/health': { url: () => '/api/health', scope: 'shared', anonymous: 200 },
  'GET /api/openapi.json': { url: () => '/api/openapi.json', scope: 'shared', anonymous: 200 },
  'POST /api/auth/login': {
    url: () => '/api/auth/login',
    body: () => ({ username: 'nobody', password: 'wrong-password' }),
    scope: 'shared',
    anonymous: 401,
  },
  'GET /api/auth/me': { url: () => '/api/auth/me', scope: 'shared' },
  'POST /api/auth/logout': { url: () => '/api/auth/logout', body: () => ({}), scope: 'shared' },
  'GET /api/events': { url: () => '/api/events', scope: 'shared' },
  'GET /api/events/:event': { url: () => `/api/events/${EVENT}`, scope: 'shared' },
  'GET /api/events/:event/forms/:kind': { url: () => `/api/events/${EVENT}/forms/person`, scope: 'list' },
  'GET /api/events/:event/records': {
    url: () => `/api/events/${EVENT}/records?unit=UB&pageSize=500`,
    scope: 'list',
  },
  'POST /api/events/:event/records': {
    url: () => `/api/events/${EVENT}/records`,
    body: () => ({
      kind: 'vehicle',
      unitCode: 'UB',
      values: {
        plateNumber: '新A5K1Z9',
        vehicleType: 'SMALL',
        organization: '甲单位',
        driverName: '甲司机',
        driverIdNumber: residentId('110101', '19800101', '015'),
        mobile: '13900001111',
        cardType: 'VEHICLE',
      },
    }),
    scope: 'unitB',
  },
  'GET /api/events/:event/records/:id': {
    url: (s) => `/api/events/${EVENT}/records/${s.personB}`,
    scope: 'unitB',
  },
  'PUT /api/events/:event/records/:id': {
    url: (s) => `/api/events/${EVENT}/records/${s.vehicleB}`,
    body: (s) => ({ version: s.vehicleBVersion, values: { brandModel: '甲改的' } }),
    scope: 'unitB',
  },
  'GET /api/events/:event/records/:id/id-number': {
    url: (s) => `/api/events/${EVENT}/records/${s.personB}/id-number`,
    scope: 'unitB',
  },
  'GET /api/events/:event/records/:id/history': {
    url: (s) => `/api/events/${EVENT}/records/${s.personB}/history`,
    scope: 'unitB',
  },
  'GET /api/events/:event/mapping-profiles': {
    url: () => `/api/events/${EVENT}/mapping-profiles?kind=person`,
    scope: 'shared',
  },
  'PUT /api/events/:event/mapping-profiles/:code': {
    url: () => `/api/events/${EVENT}/mapping-profiles/walk-profile`,
    body: () => ({
      code: 'walk-profile',
      recordKind: 'person',
      name: '巡检方案',
      columns: [{ headers: ['姓名'], field: 'name' }],
    }),
    scope: 'shared',
  },
  'DELETE /api/events/:event/mapping-profiles/:code': {
    url: () => `/api/events/${EVENT}/mapping-profiles/walk-profile`,
    scope: 'shared',
  },
  'POST /api/events/:event/mapping-preview': {
    url: () => `/api/events/${EVENT}/mapping-preview`,
    multipart: () => ({
      kind: 'person',
      file: { fileName: '预览.xlsx', data: sheetBytes, type: 'application/octet-stream' },
    }),
    scope: 'shared',
  },
  'POST /api/events/:event/imports': {
    url: () => `/api/events/${EVENT}/imports`,
    multipart: () => ({
      kind: 'person',
      unitCode: 'UB',
      file: { fileName: '冒充乙单位.xlsx', data: sheetBytes, type: 'application/octet-stream' },
    }),
    scope: 'unitB',
  },
  'GET /api/events/:event/imports': { url: () => `/api/events/${EVENT}/imports`, scope: 'list' },
  'GET /api/events/:event/templates/:kind': {
    url: () => `/api/events/${EVENT}/templates/person`,
    scope: 'shared',
  },
  'GET /api/imports/:id': { url: (s) => `/api/imports/${s.importB}`, scope: 'unitB' },
  'GET /api/imports/:id/rows': { url: (s) => `/api/imports/${s.importB}/rows`, scope: 'unitB' },
  'PATCH /api/imports/:id/rows/:row': {
    url: (s) => `/api/imports/${s.importB}/rows/${s.importRowB}`,
    body: (s) => ({ values: { organization: '甲改的' }, version: s.importRowBVersion }),
    scope: 'unitB',
  },
  'DELETE /api/imports/:id/rows/:row': {
    url: (s) => `/api/imports/${s.importB}/rows/${s.importRowB}?reason=${encodeURIComponent('甲删除')}`,
    scope: 'unitB',
  },
  'POST /api/imports/:id/rows/:row/photo': {
    url: (s) => `/api/imports/${s.importB}/rows/${s.importRowB}/photo`,
    multipart: () => ({ file: { fileName: 'a.png', data: photoBytes, type: 'image/png' } }),
    scope: 'unitB',
  },
  'GET /api/imports/:id/rows/export': { url: (s) => `/api/imports/${s.importB}/rows/export`, scope: 'unitB' },
  'POST /api/imports/:id/discard': {
    url: (s) => `/api/imports/${s.importB}/discard`,
    body: () => ({}),
    scope: 'unitB',
  },
  'POST /api/imports/:id/restage': {
    url: (s) => `/api/imports/${s.importB}/restage`,
    body: () => ({ profileCode: 'person-standard' }),
    scope: 'unitB',
  },
  'POST /api/imports/:id/commit': {
    url: (s) => `/api/imports/${s.importB}/commit`,
    body: () => ({}),
    scope: 'unitB',
  },
  'GET /api/imports/:id/report': { url: (s) => `/api/imports/${s.importB}/report`, scope: 'unitB' },
  'GET /api/tasks/:id': { url: (s) => `/api/tasks/${s.importTaskB}`, scope: 'unitB' },
  'POST /api/events/:event/review-batches': {
    url: () => `/api/events/${EVENT}/review-batches`,
    body: (s) => ({ unitCode: 'UB', recordIds: [s.vehicleB] }),
    scope: 'unitB',
  },
  'GET /api/events/:event/review-batches': {
    url: () => `/api/events/${EVENT}/review-batches?unit=UB`,
    scope: 'list',
  },
  'GET /api/review-batches/:id': { url: (s) => `/api/review-batches/${s.reviewBatchB}`, scope: 'unitB' },
  'POST /api/review-batches/:id/decisions': {
    url: (s) => `/api/review-batches/${s.reviewBatchB}/decisions`,
    body: () => ({ decision: 'reject', all: true, reason: '巡检' }),
    scope: 'unitB',
  },
  'GET /api/events/:event/units/:unit/declaration-summary': {
    url: () => `/api/events/${EVENT}/units/UB/declaration-summary`,
    scope: 'unitB',
  },
  'GET /api/events/:event/records/:id/decisions': {
    url: (s) => `/api/events/${EVENT}/records/${s.personB}/decisions`,
    scope: 'unitB',
  },
  'GET /api/verify/key': { url: () => '/api/verify/key', scope: 'shared', anonymous: 200 },
  'GET /api/verify/:token': { url: (s) => `/api/verify/${s.tokenB}?event=${EVENT}`, scope: 'unitB' },
  'GET /api/events/:event/printable': { url: () => `/api/events/${EVENT}/printable?unit=UB`, scope: 'list' },
  'POST /api/events/:event/print-jobs': {
    url: () => `/api/events/${EVENT}/print-jobs`,
    body: () => ({ cardType: 'VEHICLE', units: ['UB'], options: { sheet: null, duplex: false } }),
    scope: 'unitB',
  },
  'GET /api/events/:event/print-jobs': { url: () => `/api/events/${EVENT}/print-jobs`, scope: 'list' },
  'GET /api/events/:event/print-jobs/:id': {
    url: (s) => `/api/events/${EVENT}/print-jobs/${s.printJobB}`,
    scope: 'unitB',
  },
  'GET /api/events/:event/print-jobs/:id/pdf': {
    url: (s) => `/api/events/${EVENT}/print-jobs/${s.printJobB}/pdf`,
    scope: 'unitB',
  },
  'POST /api/events/:event/print-jobs/:id/cancel': {
    url: (s) => `/api/events/${EVENT}/print-jobs/${s.printJobB}/cancel`,
    body: () => ({}),
    scope: 'unitB',
  },
  'POST /api/events/:event/print-jobs/:id/retry': {
    url: (s) => `/api/events/${EVENT}/print-jobs/${s.printJobB}/retry`,
    body: () => ({}),
    scope: 'unitB',
  },
  'GET /api/events/:event/cards': {
    url: () => `/api/events/${EVENT}/cards?unit=UB&limit=500`,
    scope: 'list',
  },
  'GET /api/events/:event/cards/:id': { url: (s) => `/api/events/${EVENT}/cards/${s.cardB}`, scope: 'unitB' },
  ...Object.fromEntries(
    (['issue', 'return', 'lost', 'damaged', 'revoke', 'reprint'] as const).map((change) => [
      `POST /api/events/:event/cards/:id/${change}`,
      {
        url: (s: Seed) => `/api/events/${EVENT}/cards/${s.cardB}/${change}`,
        body: () => ({ issuedTo: '甲领取人', reason: '巡检' }),
        scope: 'unitB',
      } satisfies Fixture,
    ]),
  ),
  'GET /api/events/:event/records/:id/cards': {
    url: (s) => `/api/events/${EVENT}/records/${s.personB}/cards`,
    scope: 'unitB',
  },
  'GET /api/events/:event/search': {
    // A name prefix: the answer echoes the query, so the query itself is not one of the markers.
    url: () => `/api/events/${EVENT}/search?q=${encodeURIComponent(B.name.slice(0, 2))}`,
    scope: 'list',
  },
  'GET /api/events/:event/reports/statistics': {
    url: () => `/api/events/${EVENT}/reports/statistics?unit=UB`,
    scope: 'list',
  },
  'GET /api/events/:event/reports/statistics.xlsx': {
    url: () => `/api/events/${EVENT}/reports/statistics.xlsx?unit=UB`,
    scope: 'list',
  },
  'POST /api/events/:event/photos': {
    url: () => `/api/events/${EVENT}/photos`,
    multipart: () => ({ file: { fileName: 'a.png', data: photoBytes, type: 'image/png' } }),
    scope: 'shared',
  },
  'GET /api/photos/:id': { url: (s) => `/api/photos/${s.photoB}`, scope: 'unitB' },
  'GET /api/event-templates': { url: () => '/api/event-templates', scope: 'shared' },
  'POST /api/events': {
    url: () => '/api/events',
    body: () => ({
      template: 'blank',
      code: 'WALK2026',
      name: '巡检活动',
      kind: 'other',
      organizer: '巡检',
      startDate: '2026-12-01',
      endDate: '2026-12-02',
    }),
    scope: 'shared',
  },
  'GET /api/events/:event/draft': { url: () => `/api/events/${EVENT}/draft`, scope: 'shared' },
  'PUT /api/events/:event/draft': {
    url: () => `/api/events/${EVENT}/draft`,
    body: (s) => ({ revision: s.draftRevision, files: {} }),
    scope: 'shared',
  },
  'DELETE /api/events/:event/draft': { url: () => `/api/events/${EVENT}/draft`, scope: 'shared' },
  'POST /api/events/:event/publish': {
    url: () => `/api/events/${EVENT}/publish`,
    body: (s) => ({ revision: s.draftRevision }),
    scope: 'shared',
  },
  'GET /api/events/:event/versions': { url: () => `/api/events/${EVENT}/versions`, scope: 'shared' },
  'GET /api/events/:event/bundle': { url: () => `/api/events/${EVENT}/bundle`, scope: 'shared' },
  'POST /api/event-bundles': {
    url: () => '/api/event-bundles',
    multipart: () => ({ file: { fileName: 'bundle.zip', data: sheetBytes, type: 'application/zip' } }),
    scope: 'shared',
  },
  'GET /api/card-fonts': { url: () => '/api/card-fonts', scope: 'shared' },
  'GET /api/events/:event/layouts': { url: () => `/api/events/${EVENT}/layouts`, scope: 'shared' },
  'POST /api/events/:event/layouts/preview': {
    url: () => `/api/events/${EVENT}/layouts/preview`,
    body: (s) => ({ layout: s.layout }),
    scope: 'shared',
  },
  'POST /api/events/:event/layouts/proof': {
    url: () => `/api/events/${EVENT}/layouts/proof`,
    body: (s) => ({ layout: s.layout }),
    scope: 'shared',
  },
  'POST /api/events/:event/layouts/publish': {
    url: () => `/api/events/${EVENT}/layouts/publish`,
    body: (s) => ({ revision: s.draftRevision }),
    scope: 'shared',
  },
  'GET /api/events/:event/layouts/:layout': {
    url: (s) => `/api/events/${EVENT}/layouts/${s.layout}`,
    scope: 'shared',
  },
  'PUT /api/events/:event/layouts/:layout': {
    url: (s) => `/api/events/${EVENT}/layouts/${s.layout}`,
    body: (s) => ({ revision: s.draftRevision }),
    scope: 'shared',
  },
  'GET /api/events/:event/layout-fields': {
    url: () => `/api/events/${EVENT}/layout-fields`,
    scope: 'shared',
  },
  'GET /api/events/:event/layout-records': {
    url: () => `/api/events/${EVENT}/layout-records?q=${encodeURIComponent(B.name)}`,
    scope: 'list',
  },
  'GET /api/events/:event/layout-records/:id/values': {
    url: (s) => `/api/events/${EVENT}/layout-records/${s.personB}/values?cardType=STAFF`,
    scope: 'unitB',
  },
  'GET /api/events/:event/layout-assets/:file': {
    url: () => `/api/events/${EVENT}/layout-assets/bg-card.png`,
    scope: 'shared',
  },
  'POST /api/events/:event/layout-assets': {
    url: () => `/api/events/${EVENT}/layout-assets`,
    multipart: (s) => ({
      revision: String(s.draftRevision),
      file: { fileName: 'walk.png', data: photoBytes, type: 'image/png' },
    }),
    scope: 'shared',
  },
  'GET /api/events/:event/onboarding': { url: () => `/api/events/${EVENT}/onboarding`, scope: 'shared' },
  'POST /api/events/:event/onboarding/template-sends': {
    url: () => `/api/events/${EVENT}/onboarding/template-sends`,
    body: () => ({ units: ['UB'], sent: true }),
    scope: 'unitB',
  },
  'GET /api/units': { url: () => '/api/units', scope: 'list' },
  'POST /api/units': {
    url: () => '/api/units',
    body: () => ({ code: 'UW', name: '巡检单位' }),
    scope: 'shared',
  },
  'PATCH /api/units/:code': {
    url: () => '/api/units/UB',
    body: () => ({ contactName: '甲' }),
    scope: 'unitB',
  },
  'GET /api/users': { url: () => '/api/users', scope: 'shared' },
  'POST /api/users': {
    url: () => '/api/users',
    body: () => ({ username: 'walker', password: PASSWORD, role: 'unit', unitCode: 'UB' }),
    scope: 'unitB',
  },
  'GET /api/admin/backups': { url: () => '/api/admin/backups', scope: 'shared' },
  'POST /api/admin/backups': {
    url: () => '/api/admin/backups',
    body: () => ({ kind: 'full' }),
    scope: 'shared',
  },
  'POST /api/admin/backups/verify': {
    url: () => '/api/admin/backups/verify',
    body: () => ({}),
    scope: 'shared',
  },
  'GET /metrics': { url: () => '/metrics', scope: 'shared', anonymous: 401 },
  'GET /api/admin/logs': { url: () => '/api/admin/logs', scope: 'shared' },
  'GET /api/admin/inspections': { url: () => '/api/admin/inspections', scope: 'shared' },
  'POST /api/admin/inspections': { url: () => '/api/admin/inspections', body: () => ({}), scope: 'shared' },
  // Inspection ids that do not exist (making a report is slow): 404 for admins, 403 for the rest.
  'GET /api/admin/inspections/:id': { url: () => '/api/admin/inspections/none', scope: 'shared', ok: 404 },
  'GET /api/admin/inspections/:id/report.html': {
    url: () => '/api/admin/inspections/none/report.html',
    scope: 'shared',
    ok: 404,
  },
  'GET /api/admin/inspections/:id/report.pdf': {
    url: () => '/api/admin/inspections/none/report.pdf',
    scope: 'shared',
    ok: 404,
  },
  'GET /api/admin/audit': { url: () => '/api/admin/audit?target=record', scope: 'shared' },
  'POST /api/auth/password': {
    url: () => '/api/auth/password',
    body: () => ({ oldPassword: 'not-the-password', newPassword: 'An0ther-Passw0rd!' }),
    scope: 'shared',
  },
  'PATCH /api/users/:id': {
    url: (s) => `/api/users/${s.userB}`,
    body: () => ({ displayName: '甲改的' }),
    scope: 'unitB',
  },
  'POST /api/users/:id/password': {
    url: (s) => `/api/users/${s.userB}/password`,
    body: () => ({ password: 'Walk-Passw0rd-9' }),
    scope: 'unitB',
  },
  'POST /api/users/:id/unlock': {
    url: (s) => `/api/users/${s.userB}/unlock`,
    body: () => ({}),
    scope: 'unitB',
  },
  'GET /api/help': { url: () => '/api/help', scope: 'shared' },
  'GET /api/help/search': { url: () => `/api/help/search?q=${encodeURIComponent('证件')}`, scope: 'shared' },
  'GET /api/help/pages/:page': { url: () => '/api/help/pages/unit', scope: 'shared' },
  'GET /api/help/images/:file': { url: () => '/api/help/images/none.png', scope: 'shared', ok: 404 },
  'GET /api/help/manual.pdf': { url: () => '/api/help/manual.pdf', scope: 'shared' },
};

const keyOf = (route: Pick<RouteDef, 'method' | 'path'>) => `${route.method} ${route.path}`;
const allows = (route: RouteDef, role: Role) =>
  route.access === 'any' || (route.access !== 'public' && route.access.includes(role));

let running: RunningServer;
let seed: Seed;
let userBId = 0;
const clients = {} as Record<Role | 'unitB', ApiClient>;

async function signIn(username: string, password = PASSWORD): Promise<ApiClient> {
  const client = new ApiClient(running.url);
  const res = await client.login(username, password);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

/** Sends a route's fixture request as `client` (null: no session); the status and the body as text. */
async function call(
  client: ApiClient | null,
  route: RouteDef,
  fixture: Fixture,
  method: string = route.method,
): Promise<{ status: number; text: string }> {
  const c = client ?? new ApiClient(running.url);
  const url = fixture.url(seed);
  if (fixture.multipart && method === 'POST') {
    const res = await c.upload(url, fixture.multipart(seed));
    return { status: res.status, text: typeof res.body === 'string' ? res.body : JSON.stringify(res.body) };
  }
  if (method === 'HEAD') return { status: (await c.request('HEAD', url)).status, text: '' };
  if (method === 'GET') {
    // Bytes, not JSON: exports and PDFs are searched for unit B's data too.
    const res = await c.download(url);
    return { status: res.status, text: res.data.toString('utf8') };
  }
  const res = await c.request(method, url, fixture.body?.(seed));
  return {
    status: res.status,
    text: typeof res.body === 'string' ? res.body : JSON.stringify(res.body ?? ''),
  };
}

const leaked = (text: string) => B_MARKERS.filter((m) => text.includes(m));

async function seedUnitB(): Promise<Seed> {
  const admin = clients.admin;
  const unitB = clients.unitB;
  const photo = await unitB.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: '乙照片.png', data: photoBytes, type: 'image/png' },
  });
  expect(photo.status, JSON.stringify(photo.body)).toBe(201);
  const person = await unitB.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    values: {
      name: B.name,
      gender: 'M',
      idType: '1',
      idNumber: B.idNumber,
      organization: B.organization,
      mobile: '13912345678',
      cardType: 'STAFF',
      photo: photo.body.photo.id,
    },
  });
  expect(person.status, JSON.stringify(person.body)).toBe(201);
  const vehicle = await unitB.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'vehicle',
    values: {
      plateNumber: B.plate,
      vehicleType: 'SMALL',
      organization: B.organization,
      driverName: B.driver,
      driverIdNumber: B.driverId,
      mobile: '13912345679',
      cardType: 'VEHICLE',
    },
  });
  expect(vehicle.status, JSON.stringify(vehicle.body)).toBe(201);

  const batch = await unitB.request('POST', `/api/events/${EVENT}/review-batches`, {
    recordIds: [person.body.record.id],
  });
  expect(batch.status, JSON.stringify(batch.body)).toBe(201);
  const reviewBatchB = batch.body.batch.id as number;
  const approved = await clients.reviewer.request('POST', `/api/review-batches/${reviewBatchB}/decisions`, {
    decision: 'approve',
    all: true,
  });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);

  const job = await clients.operator.request('POST', `/api/events/${EVENT}/print-jobs`, {
    cardType: 'STAFF',
    units: ['UB'],
    options: { sheet: null, duplex: false, bleedMm: 0, marks: false, backs: false },
  });
  expect(job.status, JSON.stringify(job.body)).toBe(202);
  const printJobB = job.body.job.id as number;
  for (let i = 0; i < 1200; i++) {
    const res = await clients.operator.request('GET', `/api/events/${EVENT}/print-jobs/${printJobB}`);
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.job.status)) {
      expect(res.body.job.status).toBe('succeeded');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const cards = await admin.request('GET', `/api/events/${EVENT}/cards?unit=UB`);
  expect(cards.body.cards).toHaveLength(1);
  const cardB = cards.body.cards[0].id as number;

  const staged = await unitB.upload(`/api/events/${EVENT}/imports`, {
    kind: 'person',
    file: { fileName: '乙单位人员.xlsx', data: sheetBytes, type: 'application/octet-stream' },
  });
  expect(staged.status, JSON.stringify(staged.body)).toBe(202);
  const importTaskB = staged.body.task.id as string;
  await followTask(unitB, importTaskB);
  const importB = staged.body.batch.id as number;
  const rows = await unitB.request('GET', `/api/imports/${importB}/rows`);
  expect(rows.status).toBe(200);
  const row = rows.body.rows[0];

  // Review and printing moved the record on: the version unit A would have to send is today's.
  const current = await admin.request('GET', `/api/events/${EVENT}/records/${person.body.record.id}`);
  const layouts = await admin.request('GET', `/api/events/${EVENT}/layouts`);

  return {
    personB: person.body.record.id,
    personBVersion: current.body.record.version,
    vehicleB: vehicle.body.record.id,
    vehicleBVersion: vehicle.body.record.version,
    photoB: photo.body.photo.id,
    importB,
    importRowB: row.id,
    importRowBVersion: row.version,
    importTaskB,
    reviewBatchB,
    printJobB,
    cardB,
    tokenB: await running.engine.cards.verifyToken(cardB),
    userB: userBId,
    layout: layouts.body.layouts?.[0]?.code ?? 'staff',
    draftRevision: Number(layouts.body.revision),
  };
}

beforeAll(async () => {
  running = await startTestServer();
  photoBytes = await pngPhoto(390, 520, { r: 90, g: 140, b: 200 });
  clients.admin = await signIn('admin', ADMIN_PASSWORD);
  await clients.admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await clients.admin.request('POST', '/api/units', { code: 'UB', name: B.unitName });
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const res = await clients.admin.request('POST', '/api/users', {
      username: `walk-${role}`,
      password: PASSWORD,
      role,
      ...(role === 'unit' ? { unitCode: 'UA' } : {}),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    clients[role] = await signIn(`walk-${role}`);
  }
  const userB = await clients.admin.request('POST', '/api/users', {
    username: 'walk-unit-b',
    password: PASSWORD,
    role: 'unit',
    unitCode: 'UB',
  });
  userBId = userB.body.user.id;
  clients.unitB = await signIn('walk-unit-b');
  sheetBytes = await simpleWorkbook([
    ['姓名', '性别', '证件号码', '工作单位', '手机号码', '申请证件类型'],
    [B.importName, '男', B.importId, B.organization, '13912345670', '工作证'],
  ]);
  seed = await seedUnitB();
  // Unit A's own record: its lists must show it (the walk's positive control).
  const own = await clients.unit.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'vehicle',
    values: {
      plateNumber: '京A1B2C3',
      vehicleType: 'SMALL',
      organization: '甲单位',
      driverName: A_NAME,
      driverIdNumber: residentId('110101', '19800101', '031'),
      mobile: '13900002222',
      cardType: 'VEHICLE',
    },
  });
  expect(own.status, JSON.stringify(own.body)).toBe(201);
}, 240_000);

afterAll(async () => {
  await running?.stop();
});

describe('the route table walk', () => {
  it('has a fixture for every route, and none for a route that is gone', () => {
    const routes = allRoutes().map(keyOf).sort();
    const fixtures = Object.keys(FIXTURES).sort();
    expect(
      routes.filter((k) => !fixtures.includes(k)),
      'routes without a fixture in security-routes.test.ts',
    ).toEqual([]);
    expect(
      fixtures.filter((k) => !routes.includes(k)),
      'fixtures of routes no longer in the table',
    ).toEqual([]);
  });

  it('anonymous callers get 401 on every route that is not public, before the body is looked at', async () => {
    const wrong: string[] = [];
    for (const route of allRoutes()) {
      const fixture = FIXTURES[keyOf(route)];
      if (!fixture) continue; // reported by the first test
      const { status } = await call(null, route, fixture);
      const expected = route.access === 'public' ? (fixture.anonymous ?? 200) : 401;
      if (status !== expected) wrong.push(`${keyOf(route)}: ${status}, expected ${expected}`);
      if (route.method === 'GET' && route.access !== 'public') {
        const head = await call(null, route, fixture, 'HEAD');
        if (head.status !== 401) wrong.push(`HEAD ${route.path}: ${head.status}, expected 401`);
      }
      if (route.method !== 'GET' && route.access !== 'public') {
        // An empty body: still 401, not a validation error.
        const bare = await new ApiClient(running.url).request(route.method, fixture.url(seed));
        if (bare.status !== 401) wrong.push(`${keyOf(route)} (no body): ${bare.status}, expected 401`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('a role outside a route’s access gets 403 forbidden, with or without a valid body', async () => {
    const wrong: string[] = [];
    for (const route of allRoutes()) {
      if (route.access === 'public' || route.access === 'any') continue;
      const fixture = FIXTURES[keyOf(route)];
      if (!fixture) continue; // reported by the first test
      for (const role of ROLES.filter((r) => !allows(route, r))) {
        const res = await call(clients[role], route, fixture);
        if (res.status !== 403 || !res.text.includes('"forbidden"'))
          wrong.push(`${role} ${keyOf(route)}: ${res.status} ${res.text.slice(0, 120)}`);
        if (route.method === 'GET') {
          const head = await call(clients[role], route, fixture, 'HEAD');
          if (head.status !== 403) wrong.push(`${role} HEAD ${route.path}: ${head.status}`);
        } else {
          const bare = await clients[role].request(route.method, fixture.url(seed));
          if (bare.status !== 403) wrong.push(`${role} ${keyOf(route)} (no body): ${bare.status}`);
        }
        if (leaked(res.text).length)
          wrong.push(`${role} ${keyOf(route)} leaks ${leaked(res.text).join(', ')}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 180_000);

  it('roles a GET route allows are let through (no 401/403, no 500)', async () => {
    const wrong: string[] = [];
    for (const route of allRoutes()) {
      if (route.method !== 'GET' || route.access === 'public') continue;
      const fixture = FIXTURES[keyOf(route)];
      if (!fixture) continue; // reported by the first test
      for (const role of ROLES.filter((r) => allows(route, r))) {
        if (role === 'unit' && fixture.scope === 'unitB') continue;
        const { status, text } = await call(clients[role], route, fixture);
        const expected = [fixture.ok ?? 200];
        // A task is its starter's: other staff get 404 like a unit would.
        if (route.path === '/api/tasks/:id' && role !== 'admin') expected.splice(0, 1, 404);
        if (!expected.includes(status))
          wrong.push(`${role} ${keyOf(route)}: ${status} ${text.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 180_000);

  it('a unit user of unit A never reaches one of unit B’s objects, and its lists hold only its own rows', async () => {
    const unitA = clients.unit;
    const wrong: string[] = [];
    for (const route of allRoutes()) {
      if (!allows(route, 'unit')) continue;
      const fixture = FIXTURES[keyOf(route)];
      if (!fixture) continue; // reported by the first test
      if (fixture.scope === 'shared' && route.method !== 'GET') continue;
      const res = await call(unitA, route, fixture);
      if (fixture.scope === 'unitB' && ![403, 404].includes(res.status))
        wrong.push(`${keyOf(route)}: ${res.status}, expected 403/404 (${res.text.slice(0, 160)})`);
      if (fixture.scope !== 'unitB' && res.status !== (fixture.ok ?? 200))
        wrong.push(`${keyOf(route)}: ${res.status}`);
      const leaks = leaked(res.text);
      if (leaks.length) wrong.push(`${keyOf(route)} shows unit B's ${leaks.join(', ')}`);
    }
    expect(wrong).toEqual([]);
    // Unit B's objects are all still there, unchanged by unit A's attempts.
    const person = await clients.admin.request('GET', `/api/events/${EVENT}/records/${seed.personB}`);
    expect(person.body.record).toMatchObject({ version: seed.personBVersion, status: 'approved' });
    const card = await clients.admin.request('GET', `/api/events/${EVENT}/cards/${seed.cardB}`);
    expect(card.body.card ?? card.body).toMatchObject({ status: 'printed' });
    const rows = await clients.unitB.request('GET', `/api/imports/${seed.importB}/rows`);
    expect(rows.body.rows[0]).toMatchObject({ id: seed.importRowB, version: seed.importRowBVersion });
  }, 120_000);

  it('unit A’s lists do show its own records (the walk can tell a filtered list from a broken one)', async () => {
    const list = await clients.unit.request('GET', `/api/events/${EVENT}/records?kind=vehicle`);
    expect(JSON.stringify(list.body)).toContain(A_NAME);
    const search = await clients.unit.request(
      'GET',
      `/api/events/${EVENT}/search?q=${encodeURIComponent('京A1B2C3')}`,
    );
    expect(JSON.stringify(search.body)).toContain('京A1B2C3');
    // And unit B, asking the same lists, sees its own: the markers are really in the database.
    const bList = await clients.unitB.request('GET', `/api/events/${EVENT}/records?pageSize=500`);
    expect(JSON.stringify(bList.body)).toContain(B.name);
    const bSearch = await clients.unitB.request(
      'GET',
      `/api/events/${EVENT}/search?q=${encodeURIComponent(B.name.slice(0, 2))}`,
    );
    expect(JSON.stringify(bSearch.body)).toContain(B.name);
  });

  it('unit A searching by each index for unit B’s people, vehicle, card and unit finds nothing', async () => {
    const card = await clients.admin.request('GET', `/api/events/${EVENT}/cards/${seed.cardB}`);
    const cardNumber = (card.body.card ?? card.body).cardNumber as string;
    expect(cardNumber).toBeTruthy();
    const queries = [
      B.idNumber,
      B.idNumber.slice(-6),
      B.plate,
      cardNumber,
      B.name,
      B.driver,
      'UB',
      B.unitName.slice(0, 3),
    ];
    for (const q of queries) {
      const res = await clients.unit.request('GET', `/api/events/${EVENT}/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(res.body.hits, q).toEqual([]);
      // The answer echoes the query; anything else of unit B's is a leak.
      expect(leaked(JSON.stringify({ ...res.body, q: '' })), q).toEqual([]);
      const records = await clients.unit.request(
        'GET',
        `/api/events/${EVENT}/records?q=${encodeURIComponent(q)}`,
      );
      expect(leaked(JSON.stringify({ ...records.body, q: '' })), q).toEqual([]);
      const cards = await clients.unit.request(
        'GET',
        `/api/events/${EVENT}/cards?q=${encodeURIComponent(q)}`,
      );
      expect(leaked(JSON.stringify({ ...cards.body, q: '' })), q).toEqual([]);
    }
    // Unit B finds its own by the same indexes: the queries are ones that match.
    for (const q of [B.idNumber, B.plate, cardNumber]) {
      const res = await clients.unitB.request(
        'GET',
        `/api/events/${EVENT}/search?q=${encodeURIComponent(q)}`,
      );
      expect(res.body.hits.length, q).toBeGreaterThan(0);
    }
  });
});
