// SQL injection through every GET route's query and path parameters: classic payloads, unicode
// quotes, LIKE wildcards, replacement-name look-alikes, very long strings, repeated parameters and
// NUL bytes. The answer is 200 with nothing extra or a clear 4xx — never a 500, never another
// unit's rows — and the database is intact afterwards (every table's row count unchanged). The
// table of parameters must name every GET route, so a new route's parameters are not forgotten.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryTypes } from 'sequelize';
import type { RouteDef } from '../../server/route-table.ts';
import { allRoutes } from '../../server/routes/index.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, followTask, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto, simpleWorkbook } from '../support/import-files.ts';

const EVENT = 'EXPO2026';
const PASSWORD = 'Passw0rd-123';
const B_NAME = '乙注入人';
const B_ID = residentId('650102', '19830412', '517');
const B_MARKERS = [B_NAME, B_ID, '乙方注入单位'];

/** Every GET route and the query parameters its handler reads (free text, codes, numbers). */
const QUERY_PARAMS: Record<string, string[]> = {
  '/api/health': [],
  '/api/openapi.json': [],
  '/api/auth/me': [],
  '/api/events': [],
  '/api/events/:event': [],
  '/api/events/:event/forms/:kind': [],
  '/api/events/:event/records': ['q', 'kind', 'status', 'unit', 'page', 'pageSize'],
  '/api/events/:event/records/:id': [],
  '/api/events/:event/records/:id/id-number': [],
  '/api/events/:event/records/:id/history': [],
  '/api/events/:event/mapping-profiles': ['kind'],
  '/api/events/:event/imports': [],
  '/api/events/:event/templates/:kind': [],
  '/api/imports/:id': [],
  '/api/imports/:id/rows': ['status', 'page', 'pageSize'],
  '/api/imports/:id/rows/export': ['format', 'status'],
  '/api/imports/:id/report': [],
  '/api/tasks/:id': [],
  '/api/events/:event/review-batches': ['status', 'unit', 'cardType', 'important', 'olderThanHours'],
  '/api/review-batches/:id': [],
  '/api/events/:event/units/:unit/declaration-summary': [],
  '/api/events/:event/records/:id/decisions': [],
  '/api/verify/key': [],
  '/api/verify/:token': ['event'],
  '/api/events/:event/printable': ['q', 'cardType', 'unit', 'reviewBatch', 'offset', 'limit'],
  '/api/events/:event/print-jobs': ['status', 'offset', 'limit'],
  '/api/events/:event/print-jobs/:id': [],
  '/api/events/:event/print-jobs/:id/pdf': [],
  '/api/events/:event/cards': ['q', 'status', 'cardType', 'unit', 'sort', 'offset', 'limit'],
  '/api/events/:event/cards/:id': [],
  '/api/events/:event/records/:id/cards': [],
  '/api/events/:event/search': ['q', 'limit'],
  '/api/events/:event/reports/statistics': ['unit', 'cardType', 'important'],
  '/api/events/:event/reports/statistics.xlsx': ['unit', 'cardType', 'important'],
  '/api/photos/:id': [],
  '/api/event-templates': [],
  '/api/events/:event/draft': [],
  '/api/events/:event/versions': [],
  '/api/events/:event/bundle': [],
  '/api/card-fonts': [],
  '/api/events/:event/layouts': [],
  '/api/events/:event/layouts/:layout': [],
  '/api/events/:event/layout-fields': ['kind'],
  '/api/events/:event/layout-records': ['q', 'kind', 'cardType'],
  '/api/events/:event/layout-records/:id/values': ['cardType'],
  '/api/events/:event/layout-assets/:file': [],
  '/api/events/:event/onboarding': [],
  '/api/help': [],
  '/api/help/search': ['q'],
  '/api/help/pages/:page': [],
  '/api/help/images/:file': [],
  '/api/help/manual.pdf': [],
  '/api/units': [],
  '/api/users': [],
  '/api/admin/backups': [],
  '/metrics': [],
  '/api/admin/logs': [
    'from',
    'to',
    'status',
    'method',
    'path',
    'user',
    'minMs',
    'text',
    'slow',
    'offset',
    'limit',
  ],
  '/api/admin/audit': ['from', 'to', 'action', 'user', 'ip', 'target', 'offset', 'limit'],
  '/api/admin/inspections': [],
  '/api/admin/inspections/:id': [],
  '/api/admin/inspections/:id/report.html': [],
  '/api/admin/inspections/:id/report.pdf': [],
};

const PAYLOADS = [
  `' OR 1=1--`,
  `'; DROP TABLE records;--`,
  `%' OR '%'='`,
  `1) OR (1=1`,
  `" OR ""="`,
  `’ OR ‘1’=‘1`, // typographic quotes
  `＇ OR １＝１--`, // full-width quote and digits
  `\\'; SELECT pg_sleep(3);--`,
  `:unitId`, // a Sequelize replacement name
  `$1`,
  `%`,
  `_`,
  `\\`,
  `a\u0000b`,
  `-1`,
  `99999999999999999999999`,
  `1e308`,
  `NaN`,
  '乙'.repeat(2000),
  'x'.repeat(6000),
];

/** Free-text parameters whose answer lists hits: none of the payloads may match anything. */
const COUNTED: Record<string, (body: Body) => number> = {
  '/api/events/:event/records q': (b) => b.total,
  '/api/events/:event/search q': (b) => b.hits.length,
  '/api/events/:event/cards q': (b) => b.total,
  '/api/events/:event/printable q': (b) => b.total,
  '/api/events/:event/layout-records q': (b) => b.records.length,
};

let running: RunningServer;
let admin: ApiClient;
let unitA: ApiClient;
const ids = { recordB: 0, importB: 0, photoB: '', taskB: '' };

async function signIn(username: string, password = PASSWORD): Promise<ApiClient> {
  const client = new ApiClient(running.url);
  const res = await client.login(username, password);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client;
}

/** Row counts of every table of the public schema. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = await running.engine.db.sequelize.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    { type: QueryTypes.SELECT },
  );
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    // Requests add sessions, audit entries (reads of records) and log rows; data tables must not move.
    // Report counters are a cache a report folds (deltas into counts): they move, their sums do not.
    if (['sessions', 'audit_log', 'login_failures', 'tasks'].includes(name) || name.startsWith('report_'))
      continue;
    const [row] = await running.engine.db.sequelize.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`,
      { type: QueryTypes.SELECT },
    );
    out[name] = Number(row!.n);
  }
  return out;
}

/** A GET route's path with real ids (unit B's objects where there are any). */
function pathOf(route: RouteDef, override: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    event: EVENT,
    kind: 'person',
    id: route.path.startsWith('/api/imports')
      ? String(ids.importB)
      : route.path.startsWith('/api/tasks')
        ? ids.taskB
        : route.path.startsWith('/api/photos')
          ? ids.photoB
          : String(ids.recordB),
    unit: 'UB',
    token: 'x',
    layout: 'staff',
    file: route.path.startsWith('/api/help') ? 'x.png' : 'bg-card.png',
    page: 'index',
  };
  return route.path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(override[name] ?? values[name] ?? 'x'),
  );
}

const textOf = (body: Body) => (typeof body === 'string' ? body : JSON.stringify(body ?? ''));

beforeAll(async () => {
  running = await startTestServer();
  admin = await signIn('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙方注入单位' });
  for (const [username, unitCode] of [
    ['inj-a', 'UA'],
    ['inj-b', 'UB'],
  ] as const) {
    const res = await admin.request('POST', '/api/users', {
      username,
      password: PASSWORD,
      role: 'unit',
      unitCode,
    });
    expect(res.status).toBe(201);
  }
  unitA = await signIn('inj-a');
  const unitB = await signIn('inj-b');
  const photo = await unitB.upload(`/api/events/${EVENT}/photos`, {
    file: { fileName: 'b.png', data: await pngPhoto(390, 520), type: 'image/png' },
  });
  ids.photoB = photo.body.photo.id;
  const record = await unitB.request('POST', `/api/events/${EVENT}/records`, {
    kind: 'person',
    values: {
      name: B_NAME,
      gender: 'M',
      idType: '1',
      idNumber: B_ID,
      organization: '乙方',
      mobile: '13912345678',
      cardType: 'STAFF',
      photo: ids.photoB,
    },
  });
  expect(record.status, JSON.stringify(record.body)).toBe(201);
  ids.recordB = record.body.record.id;
  const staged = await unitB.upload(`/api/events/${EVENT}/imports`, {
    kind: 'person',
    file: {
      fileName: 'b.xlsx',
      data: await simpleWorkbook([
        ['姓名', '性别', '证件号码', '工作单位', '手机号码', '申请证件类型'],
        ['乙导入', '男', residentId('650104', '19900505', '331'), '乙方', '13912345670', '工作证'],
      ]),
      type: 'application/octet-stream',
    },
  });
  expect(staged.status, JSON.stringify(staged.body)).toBe(202);
  ids.importB = staged.body.batch.id;
  ids.taskB = staged.body.task.id;
  await followTask(unitB, ids.taskB);
}, 120_000);

afterAll(async () => {
  await running?.stop();
});

describe('SQL injection through query and path parameters', () => {
  const getRoutes = () => allRoutes().filter((r) => r.method === 'GET');

  it('names the query parameters of every GET route', () => {
    const paths = getRoutes().map((r) => r.path);
    expect(
      paths.filter((p) => !(p in QUERY_PARAMS)),
      'GET routes missing from QUERY_PARAMS',
    ).toEqual([]);
    expect(
      Object.keys(QUERY_PARAMS).filter((p) => !paths.includes(p)),
      'routes gone',
    ).toEqual([]);
  });

  it('every payload in every query parameter: no 500, nothing matched, nothing of unit B for unit A; tables intact', async () => {
    const before = await tableCounts();
    const wrong: string[] = [];
    for (const route of getRoutes()) {
      const base = pathOf(route);
      const unitAllowed =
        route.access === 'any' || (Array.isArray(route.access) && route.access.includes('unit'));
      for (const param of QUERY_PARAMS[route.path] ?? []) {
        const queries = [
          ...PAYLOADS.map((p) => `${param}=${encodeURIComponent(p)}`),
          `${param}=a&${param}=b`,
          `${param}[]=a&${param}[x]=b`,
          `${param}=%ZZ`, // malformed percent-encoding
        ];
        for (const query of queries) {
          const url = `${base}?${query}`;
          const res = await admin.request('GET', url);
          if (res.status >= 500 || res.status === 0)
            wrong.push(`admin ${url.slice(0, 120)}: ${res.status} ${textOf(res.body).slice(0, 160)}`);
          // A repeated parameter is not text: it is ignored, and the list is the unfiltered one.
          const counted = query.includes('&') ? undefined : COUNTED[`${route.path} ${param}`];
          if (counted && res.status === 200 && counted(res.body) !== 0)
            wrong.push(`admin ${url.slice(0, 120)}: ${counted(res.body)} rows matched`);
          if (unitAllowed) {
            const own = await unitA.request('GET', url);
            if (own.status >= 500)
              wrong.push(`unit ${url.slice(0, 120)}: ${own.status} ${textOf(own.body).slice(0, 160)}`);
            const text = textOf(own.body).replace(/"q":"(?:[^"\\]|\\.)*"/g, '');
            const leaks = B_MARKERS.filter((m) => text.includes(m));
            if (leaks.length) wrong.push(`unit ${url.slice(0, 120)}: shows ${leaks.join(', ')}`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await tableCounts()).toEqual(before);
  }, 600_000);

  it('every payload in every path parameter: 4xx, never 500; tables intact', async () => {
    const before = await tableCounts();
    const wrong: string[] = [];
    for (const route of getRoutes()) {
      const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      for (const name of names) {
        for (const payload of PAYLOADS) {
          // Long payloads in a path are the URL-length limit's business (431/414), not the route's.
          if (payload.length > 1000) continue;
          const url = pathOf(route, { [name]: payload });
          const res = await admin.request('GET', url);
          if (res.status >= 500)
            wrong.push(
              `${route.path} :${name}=${JSON.stringify(payload)}: ${res.status} ${textOf(res.body).slice(0, 160)}`,
            );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await tableCounts()).toEqual(before);
  }, 300_000);

  it('a NUL character in a query or a JSON field is a clear 400 naming the field, not a 500', async () => {
    const query = await admin.request('GET', `/api/verify/x?event=${encodeURIComponent('a\u0000b')}`);
    expect(query.status).toBe(400);
    expect(query.body.error).toMatchObject({ code: 'invalid_text', details: { field: 'event' } });
    const body = await unitA.request('POST', `/api/events/${EVENT}/records`, {
      kind: 'person',
      values: { name: '甲\u0000人', gender: 'M' },
    });
    expect(body.status).toBe(400);
    expect(body.body.error.message).toContain('values.name');
  });

  it('the records list still answers normally after all that', async () => {
    const res = await admin.request('GET', `/api/events/${EVENT}/records?q=${encodeURIComponent(B_NAME)}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    const unit = await unitA.request('GET', `/api/events/${EVENT}/records?q=${encodeURIComponent(B_NAME)}`);
    expect(unit.body.total).toBe(0);
  });
});
