// What the load bench's users do: accounts of four roles with real sessions and CSRF tokens, keys
// drawn from the seeded data through the API, and per role a weighted mix of what an office does
// (searches by every index, record views, list pages, form saves, review decisions, reports); plus
// the background work of a running office (a collection package imported and committed, a print job).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { seededIdNumber } from '../../core/seed/seed.ts';
import { LoadClient, pick, sleep, weighted, type Stats } from './load-driver.ts';
import { CACHE_DIR, LOAD_ADMIN_PASSWORD, ROOT } from './load-server.ts';

export const EVENT = 'EXPO2026';
const E = `/api/events/${EVENT}`;
const PASSWORD = 'Load-User-Passw0rd';
/** Editable records per saving user (each user saves only its own, so saves never collide). */
const OWN_RECORDS = 2;

export type Role = 'unit' | 'clerk' | 'reviewer' | 'operator';
/** Role shares of the signed-in users, interleaved so the first 50 have the same mix as all 200. */
const ROLE_CYCLE: readonly Role[] = [
  'unit',
  'clerk',
  'operator',
  'unit',
  'reviewer',
  'clerk',
  'unit',
  'operator',
  'reviewer',
  'unit',
  'clerk',
  'unit',
  'operator',
  'unit',
  'clerk',
  'operator',
  'reviewer',
  'unit',
  'clerk',
  'unit',
];

interface Keys {
  idNumbers: string[];
  cardNumbers: string[];
  names: string[];
  plates: string[];
  unitCodes: string[];
  unitNames: string[];
  recordIds: number[];
}

interface Editable {
  id: number;
  version: number;
}

interface ReviewWork {
  batchId: number;
  pending: Editable[];
}

export interface LoadUser {
  username: string;
  role: Role;
  act: () => Promise<void>;
}

const enc = encodeURIComponent;

function namePrefix(name: string): string {
  const chars = [...name];
  return chars.length >= 3 ? chars.slice(0, 2).join('') : chars[0]!;
}

/** A valid mobile number that differs from save to save. */
const mobile = () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

async function photoPng(): Promise<Buffer> {
  return sharp({ create: { width: 360, height: 480, channels: 3, background: { r: 90, g: 120, b: 160 } } })
    .png()
    .toBuffer();
}

/** Multipart upload with the client's session (imports, photos). */
async function upload(
  url: string,
  client: LoadClient,
  route: string,
  fields: Record<
    string,
    string | ({ fileName: string; type: string } & ({ path: string } | { data: Buffer }))
  >,
) {
  // The file goes out as a file-backed blob, read as it is sent: copying an 80 MB package in memory
  // held the load generator's event loop for a third of a second, and every time it was measuring.
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') form.append(key, value);
    else {
      const blob =
        'path' in value
          ? await openAsBlob(value.path, { type: value.type })
          : new Blob([new Uint8Array(value.data)], { type: value.type });
      form.append(key, blob, value.fileName);
    }
  }
  const res = await fetch(url + route, {
    method: 'POST',
    headers: { cookie: client.cookieHeader, 'x-csrf-token': client.csrfToken },
    body: form,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function ok(client: LoadClient, method: string, route: string, body?: unknown) {
  const reply = await client.request(null, method, route, body);
  if (reply.status >= 300) throw new Error(`${method} ${route}: ${reply.status} ${reply.text.slice(0, 300)}`);
  // Setup reads many different answers; see Reply.body.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return reply.body as any;
}

export interface Workload {
  admin: LoadClient;
  users: LoadUser[];
  setupSeconds: number;
  /** Closes the users' connections. */
  close(): void;
  /** Drops the users' idle connections (the next request opens a new one). */
  freshConnections(): void;
  /** Starts the background work of one level: an import and a print job. */
  background(label: string): Promise<BackgroundFigures>;
}

export interface BackgroundFigures {
  importRows: number;
  importStagedSeconds: number | null;
  importCommittedSeconds: number | null;
  importCommitted: number | null;
  importError: string | null;
  printCards: number;
  printSeconds: number | null;
  printStatus: string;
}

/**
 * Users (created once, kept in the cached database), their sign-ins, the keys they search for, the
 * records each saving user owns, and review batches for the reviewers.
 */
export async function prepareWorkload(
  url: string,
  agent: HttpAgent,
  stats: Stats,
  options: { users: number; importRows: number; printCards: number },
): Promise<Workload> {
  const started = performance.now();
  const admin = new LoadClient(url, agent);
  await admin.login('admin', LOAD_ADMIN_PASSWORD);

  const units = ((await ok(admin, 'GET', '/api/units')).units as { code: string; name: string }[])
    .filter((u) => /^S\d{4}$/.test(u.code))
    .sort((a, b) => a.code.localeCompare(b.code));
  const roles = Array.from({ length: options.users }, (_, i) => ROLE_CYCLE[i % ROLE_CYCLE.length]!);
  const unitUsers = roles.filter((r) => r === 'unit').length;
  if (units.length < unitUsers + 20)
    throw new Error(`seeded units: ${units.length}, need ${unitUsers + 20} (more persons, or fewer users)`);
  const existing = new Set(
    ((await ok(admin, 'GET', '/api/users')).users as { username: string }[]).map((u) => u.username),
  );

  // Accounts: load-unit-001 belongs to the first seeded unit, and so on.
  const accounts: { username: string; role: Role; unitCode?: string }[] = [];
  let unitIndex = 0;
  roles.forEach((role, i) => {
    const username = `load-${role}-${String(i + 1).padStart(3, '0')}`;
    const unitCode = role === 'unit' ? units[unitIndex++]!.code : undefined;
    accounts.push({ username, role, unitCode });
  });
  for (const a of accounts) {
    if (existing.has(a.username)) continue;
    await ok(admin, 'POST', '/api/users', {
      username: a.username,
      password: PASSWORD,
      role: a.role,
      ...(a.unitCode ? { unitCode: a.unitCode } : {}),
    });
  }

  // Keys from units not used by unit users: drawn through the API as an admin would read them.
  const keyUnits = units.slice(unitUsers, unitUsers + 12);
  const keys: Keys = {
    idNumbers: [],
    cardNumbers: [],
    names: [],
    plates: [],
    unitCodes: keyUnits.map((u) => u.code),
    unitNames: keyUnits.map((u) => u.name.slice(0, 4)),
    recordIds: [],
  };
  for (const u of keyUnits) {
    const persons = (await ok(admin, 'GET', `${E}/records?kind=person&unit=${u.code}&pageSize=60`)).records;
    for (const r of persons as { id: number; name: string }[]) {
      keys.recordIds.push(r.id);
      keys.names.push(r.name);
    }
    const vehicles = (await ok(admin, 'GET', `${E}/records?kind=vehicle&unit=${u.code}&pageSize=20`))
      .records as { id: number; plateNumber: string }[];
    for (const v of vehicles) {
      keys.recordIds.push(v.id);
      keys.plates.push(v.plateNumber);
    }
    const cards = (await ok(admin, 'GET', `${E}/cards?unit=${u.code}&limit=30`)).cards as {
      cardNumber: string;
    }[];
    keys.cardNumbers.push(...cards.map((c) => c.cardNumber));
  }
  for (const id of keys.recordIds.slice(0, 80)) {
    const full = (await ok(admin, 'GET', `${E}/records/${id}/id-number`)).idNumber as string | null;
    if (full) keys.idNumbers.push(full);
  }
  if (!keys.plates.length || !keys.cardNumbers.length || !keys.idNumbers.length)
    throw new Error('the seeded database has no vehicles, cards or ID numbers to search for');

  // Review batches from the units after the key units: their drafts and returned records, submitted.
  const reviewers = roles.filter((r) => r === 'reviewer').length;
  const reviewWork: ReviewWork[] = [];
  let wanted = reviewers * 80;
  for (const u of units.slice(unitUsers + 12)) {
    if (wanted <= 0) break;
    const drafts = (
      await ok(admin, 'GET', `${E}/records?kind=person&unit=${u.code}&status=draft&pageSize=100`)
    ).records as { id: number }[];
    if (!drafts.length) continue;
    const batch = (
      await ok(admin, 'POST', `${E}/review-batches`, {
        unitCode: u.code,
        recordIds: drafts.map((d) => d.id),
        note: '压测提交',
      })
    ).batch as { id: number };
    const screen = await ok(admin, 'GET', `/api/review-batches/${batch.id}`);
    const pending = (screen.records as { id: number; version: number; reviewStatus: string }[])
      .filter((r) => r.reviewStatus === 'submitted')
      .map((r) => ({ id: r.id, version: r.version }));
    reviewWork.push({ batchId: batch.id, pending });
    wanted -= pending.length;
  }

  // Sign-ins: each user once; the session is kept for the whole run. Each user has its own
  // connection, as a browser tab keeps one: a shared pool would hand a user a socket that sat idle
  // past the server's keep-alive timeout and count the generator's race as a server error.
  const clients = new Map<string, LoadClient>();
  const agents: HttpAgent[] = [];
  for (const a of accounts) {
    const own = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    agents.push(own);
    const client = new LoadClient(url, own, stats);
    await client.login(a.username, PASSWORD);
    clients.set(a.username, client);
  }

  // Records each saving user owns: drafts with a photo, created through the API like a form.
  const png = await photoPng();
  const clerkUnits = units.slice(unitUsers + 12);
  const owned = new Map<string, Editable[]>();
  const own: { id: number; unitCode: string; name: string }[] = [];
  let serial = 10_000_000 + Math.floor(Math.random() * 500_000_000);
  for (const [i, a] of accounts.entries()) {
    if (a.role !== 'unit' && a.role !== 'clerk') continue;
    const client = clients.get(a.username)!;
    const unitCode = a.unitCode ?? clerkUnits[i % clerkUnits.length]!.code;
    const photo = (
      await upload(url, client, `${E}/photos`, {
        ...(a.role === 'clerk' ? { unitCode } : {}),
        file: { fileName: 'photo.png', data: png, type: 'image/png' },
      })
    ).photo as { id: string };
    const records: Editable[] = [];
    for (let k = 0; k < OWN_RECORDS; k++) {
      const male = k % 2 === 0;
      const created = await ok(client, 'POST', `${E}/records`, {
        kind: 'person',
        unitCode,
        values: {
          name: male ? '测试甲' : '测试乙',
          gender: male ? 'M' : 'F',
          idType: '1',
          idNumber: seededIdNumber(serial++, male),
          organization: '压测单位',
          mobile: mobile(),
          cardType: 'STAFF',
          photo: photo.id,
        },
      });
      records.push({ id: created.record.id, version: created.record.version });
      own.push({ id: created.record.id, unitCode, name: created.record.name });
    }
    owned.set(a.username, records);
  }

  // What a unit user sees of its own unit (its views and searches stay inside it).
  const unitKeys = new Map<string, { recordIds: number[]; names: string[] }>();
  for (const a of accounts) {
    if (a.role !== 'unit') continue;
    const list = (await ok(clients.get(a.username)!, 'GET', `${E}/records?pageSize=60`)).records as {
      id: number;
      name: string | null;
    }[];
    unitKeys.set(a.username, {
      recordIds: list.map((r) => r.id),
      names: list.map((r) => r.name).filter((n): n is string => !!n),
    });
  }

  const users = accounts.map((a, i) =>
    makeUser(a, clients.get(a.username)!, stats, {
      keys,
      own: owned.get(a.username) ?? [],
      unitKeys: unitKeys.get(a.username),
      // Reviewers share the batches round-robin: two never decide the same record.
      reviewWork: reviewWork.filter(
        (_, k) => k % reviewers === roles.slice(0, i).filter((r) => r === 'reviewer').length,
      ),
    }),
  );

  // The background work signs in sessions of its own (the same accounts as the first clerk and operator).
  // A new connection per request: a poller's socket left idle past the server's keep-alive
  // timeout would otherwise be reset under it (the generator's race, not the server's fault).
  const fresh = new HttpAgent({ keepAlive: false });
  const operator = new LoadClient(url, fresh);
  await operator.login(accounts.find((a) => a.role === 'operator')!.username, PASSWORD);
  const clerk = new LoadClient(url, fresh);
  await clerk.login(accounts.find((a) => a.role === 'clerk')!.username, PASSWORD);
  const zip = options.importRows > 0 ? await importPackage(options.importRows) : '';

  return {
    admin,
    users,
    setupSeconds: (performance.now() - started) / 1000,
    close: () => agents.forEach((a) => a.destroy()),
    // Connections left idle since the setup or the last level may be closing on the server's side
    // (keep-alive timeout): a request written into one would be reset. Users start a level fresh.
    freshConnections: () => agents.forEach((a) => a.destroy()),
    background: (label) =>
      runBackground(url, { admin, clerk, operator }, zip, { ...options, label }, (e) => stats.mark(e)).catch(
        (error: Error) => ({
          importRows: options.importRows,
          importStagedSeconds: null,
          importCommittedSeconds: null,
          importCommitted: null,
          importError: error.message,
          printCards: 0,
          printSeconds: null,
          printStatus: `error: ${error.message}`,
        }),
      ),
  };
}

/** A collection package (workbook + one photo per row), made once by the import bench's generator. */
/** The package's path: uploaded straight from the file (80 MB at 2000 rows, never copied in memory). */
async function importPackage(rows: number): Promise<string> {
  const file = path.join(CACHE_DIR, `import-${rows}.zip`);
  if (!existsSync(file)) {
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test', 'perf', 'import-package.ts'), file, String(rows)],
      { cwd: ROOT, maxBuffer: 1 << 20 },
    );
  }
  return file;
}

async function waitTask(
  client: LoadClient,
  id: string,
): Promise<{ status: string; result?: unknown; error?: unknown }> {
  for (;;) {
    const task = (await ok(client, 'GET', `/api/tasks/${id}`)).task;
    if (!['queued', 'running'].includes(task.status)) return task;
    await sleep(250);
  }
}

async function runBackground(
  url: string,
  who: { admin: LoadClient; clerk: LoadClient; operator: LoadClient },
  zip: string,
  options: { importRows: number; printCards: number; label: string },
  mark: (step: string) => void,
): Promise<BackgroundFigures> {
  const figures: BackgroundFigures = {
    importRows: options.importRows,
    importStagedSeconds: null,
    importCommittedSeconds: null,
    importCommitted: null,
    importError: null,
    printCards: 0,
    printSeconds: null,
    printStatus: 'not started',
  };
  // The print job: approved staff records without a live card, like an operator's 制作证件.
  const printing = (async () => {
    if (options.printCards === 0) return;
    const printable = (
      await ok(who.operator, 'GET', `${E}/printable?cardType=STAFF&limit=${options.printCards}`)
    ).records as { recordId: number }[];
    const start = performance.now();
    const job = (
      await ok(who.operator, 'POST', `${E}/print-jobs`, {
        cardType: 'STAFF',
        recordIds: printable.map((r) => r.recordId),
      })
    ).job as { id: number };
    figures.printCards = printable.length;
    mark('print: job created');
    for (;;) {
      const current = (await ok(who.operator, 'GET', `${E}/print-jobs/${job.id}`)).job as { status: string };
      figures.printStatus = current.status;
      if (!['queued', 'running'].includes(current.status)) break;
      await sleep(500);
    }
    figures.printSeconds = (performance.now() - start) / 1000;
    mark('print: finished');
  })();
  // The import: a fresh unit each time (the package's people are then new to it).
  const importing = (async () => {
    if (options.importRows === 0) return;
    const code = `L${Date.now().toString(36).toUpperCase()}${options.label}`.slice(0, 20);
    await ok(who.admin, 'POST', '/api/units', { code, name: `压测导入单位${code}` });
    const start = performance.now();
    mark('import: upload started');
    const staged = await upload(url, who.clerk, `${E}/imports`, {
      kind: 'person',
      unitCode: code,
      file: { fileName: '人员.zip', path: zip, type: 'application/zip' },
    });
    const batch = staged.batch as { id: number };
    mark('import: uploaded');
    const stageTask = await waitTask(who.clerk, (staged.task as { id: string }).id);
    figures.importStagedSeconds = (performance.now() - start) / 1000;
    mark('import: staged');
    if (stageTask.status !== 'succeeded') throw new Error(`staging ${stageTask.status}`);
    const commitStart = performance.now();
    const commit = await ok(who.clerk, 'POST', `/api/imports/${batch.id}/commit`);
    const commitTask = await waitTask(who.clerk, commit.task.id);
    figures.importCommittedSeconds = (performance.now() - commitStart) / 1000;
    mark('import: committed');
    if (commitTask.status !== 'succeeded') throw new Error(`commit ${commitTask.status}`);
    figures.importCommitted = (commitTask.result as { totals: { committed: number } }).totals.committed;
  })();
  const outcomes = await Promise.allSettled([printing, importing]);
  if (outcomes[0].status === 'rejected')
    figures.printStatus = `error: ${(outcomes[0].reason as Error).message}`;
  if (outcomes[1].status === 'rejected') figures.importError = (outcomes[1].reason as Error).message;
  return figures;
}

function makeUser(
  account: { username: string; role: Role; unitCode?: string },
  client: LoadClient,
  stats: Stats,
  data: {
    keys: Keys;
    own: Editable[];
    unitKeys: { recordIds: number[]; names: string[] } | undefined;
    reviewWork: ReviewWork[];
  },
): LoadUser {
  const { keys } = data;
  const inUnit = account.role === 'unit';
  const names = inUnit ? data.unitKeys!.names : keys.names;
  const recordIds = inUnit ? data.unitKeys!.recordIds : keys.recordIds;

  const search = (type: string, q: string, expectHit: boolean) => async () => {
    const reply = await client.request(`search:${type}`, 'GET', `${E}/search?q=${enc(q)}`);
    if (reply.status === 200 && expectHit && !reply.body.hits.length)
      stats.wrong(`search:${type}`, `no hit for ${q}`);
  };
  const actions: Record<string, () => Promise<void>> = {
    searchId: () => search('idNumber', pick(keys.idNumbers), !inUnit)(),
    searchCard: () => search('cardNumber', pick(keys.cardNumbers), !inUnit)(),
    searchName: () => (names.length ? search('name', pick(names), true)() : Promise.resolve()),
    searchPrefix: () =>
      names.length ? search('namePrefix', namePrefix(pick(names)), true)() : Promise.resolve(),
    searchPlate: () => search('plate', pick(keys.plates), !inUnit)(),
    searchUnit: () =>
      search('unit', Math.random() < 0.5 ? pick(keys.unitCodes) : pick(keys.unitNames), !inUnit)(),
    view: async () => {
      if (recordIds.length) await client.request('record:view', 'GET', `${E}/records/${pick(recordIds)}`);
    },
    list: async () => {
      // As the records screen asks: always one kind (its 人员/车辆 tabs), newest first.
      const page = 1 + Math.floor(Math.random() * 3);
      const variants = inUnit
        ? [
            `?kind=person&page=${page}&pageSize=50`,
            `?kind=person&status=approved&pageSize=50`,
            `?kind=person&q=${enc(namePrefix(pick(names.length ? names : ['张'])))}&pageSize=50`,
          ]
        : [
            `?kind=person&page=${page}&pageSize=50`,
            `?kind=person&status=submitted&pageSize=50`,
            `?kind=person&unit=${pick(keys.unitCodes)}&pageSize=50`,
            `?kind=person&q=${enc(namePrefix(pick(keys.names)))}&pageSize=50`,
          ];
      await client.request('list:records', 'GET', `${E}/records${pick(variants)}`);
    },
    cards: async () => {
      const variants = [
        `?limit=50`,
        `?status=issued&limit=50&offset=${50 * Math.floor(Math.random() * 3)}`,
        `?sort=number&limit=50`,
        `?unit=${pick(keys.unitCodes)}&limit=50`,
        `?q=${enc(pick(keys.cardNumbers))}&limit=50`,
      ];
      await client.request('list:cards', 'GET', `${E}/cards${pick(variants)}`);
    },
    printable: async () => {
      // As the 证件制作 screen asks: one card type, a page of the records waiting for a card.
      const variants = [
        `?cardType=STAFF&offset=0&limit=200`,
        `?cardType=STAFF&offset=200&limit=200`,
        `?cardType=STAFF&unit=${pick(keys.unitCodes)}&offset=0&limit=200`,
        `?offset=0&limit=200`,
      ];
      await client.request('list:printable', 'GET', `${E}/printable${pick(variants)}`);
    },
    queue: async () => {
      await client.request('list:reviewQueue', 'GET', `${E}/review-batches?status=open`);
    },
    report: async () => {
      // As the statistics screen asks: the unit lines of the 200 units with the most records.
      const q = Math.random() < 0.7 ? '' : `&unit=${pick(keys.unitCodes)}`;
      await client.request('report:statistics', 'GET', `${E}/reports/statistics?topUnits=200${q}`);
    },
    save: async () => {
      const mine = pick(data.own);
      // Open the form (a record view), change a field, save with the version read.
      const read = await client.request('record:view', 'GET', `${E}/records/${mine.id}`);
      if (read.status !== 200) return;
      const record = read.body.record;
      const reply = await client.request('record:save', 'PUT', `${E}/records/${mine.id}`, {
        values: { ...record.values, mobile: mobile() },
        version: record.version,
      });
      if (reply.status === 200) mine.version = reply.body.record.version;
    },
    decide: async () => {
      const work = data.reviewWork.find((w) => w.pending.length > 0);
      if (!work) {
        await actions.queue!();
        return;
      }
      const record = work.pending.shift()!;
      const r = Math.random();
      const decision = r < 0.6 ? 'approve' : r < 0.85 ? 'return' : 'reject';
      await client.request('review:decide', 'POST', `/api/review-batches/${work.batchId}/decisions`, {
        decision,
        records: [record],
        ...(decision === 'approve'
          ? { overrideQuota: true, reason: '压测：配额内外一并通过' }
          : { reason: decision === 'return' ? '压测：照片请重新上传' : '压测：不符合申领范围' }),
      });
    },
    screen: async () => {
      const work = data.reviewWork.find((w) => w.pending.length > 0);
      if (work) await client.request('review:screen', 'GET', `/api/review-batches/${work.batchId}`);
    },
  };
  const mixes: Record<Role, readonly (readonly [string, number])[]> = {
    unit: [
      ['searchName', 8],
      ['searchPrefix', 5],
      ['searchId', 5],
      ['view', 25],
      ['list', 22],
      ['save', 20],
      ['cards', 8],
      ['queue', 7],
    ],
    clerk: [
      ['searchId', 8],
      ['searchName', 6],
      ['searchPrefix', 4],
      ['searchCard', 3],
      ['searchPlate', 2],
      ['searchUnit', 2],
      ['view', 25],
      ['list', 20],
      ['save', 20],
      ['queue', 10],
    ],
    reviewer: [
      ['queue', 10],
      ['screen', 8],
      ['decide', 40],
      ['view', 15],
      ['searchId', 5],
      ['searchName', 5],
      ['searchUnit', 5],
      ['report', 7],
    ],
    operator: [
      ['searchId', 12],
      ['searchCard', 12],
      ['searchName', 8],
      ['searchPlate', 6],
      ['searchPrefix', 4],
      ['searchUnit', 3],
      ['view', 15],
      ['cards', 20],
      ['printable', 8],
      ['list', 8],
      ['report', 12],
    ],
  };
  const next = weighted(mixes[account.role]);
  return { username: account.username, role: account.role, act: () => actions[next()]!() };
}
