import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { loadConfig, type TesseraConfig } from '../core/config.ts';
import { TesseraError } from '../core/errors.ts';
import {
  buildChains,
  loadBackups,
  restoreBackup,
  verifyDirectory,
  type BackupProgress,
  type DomainCounts,
  type Manifest,
} from '../core/ops/backup/index.ts';
import { startServer, type RunningServer } from './serve.ts';

/**
 * 重新部署演练: the procedure of deploy/REDEPLOY.md run end to end on this machine — the backup
 * chain verified, restored into a fresh data folder on a fresh embedded PostgreSQL, the server
 * started on it, and the restored system compared with the backup: the domain counts the newest
 * manifest recorded, every table's row count, and a sample of records read back through the HTTP
 * API (fields, full ID number against its keyed hash, photo bytes against their hash, card states).
 */
export interface DrillOptions {
  /** The backups folder (a copy of the production one). */
  backups: string;
  /** A fresh (absent or empty) folder; default a new temp folder. */
  dataDir?: string | undefined;
  /** Leave the restored data folder (and its database files) in place afterwards. */
  keep?: boolean | undefined;
  /** Records read back through the API (default 20). */
  sample?: number | undefined;
  progress?: BackupProgress | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface DrillSample {
  recordId: number;
  event: string;
  kind: string;
  /** What was compared: fields, id-number, photo, cards. */
  checked: string[];
  problems: string[];
}

export interface DrillReport {
  ok: boolean;
  backupsDir: string;
  /** The chain restored: the full first, then its incrementals. */
  restored: string[];
  restoredTo: string;
  dataDir: string;
  kept: boolean;
  url: string;
  counts: { expected: DomainCounts | null; actual: DomainCounts };
  tables: { checked: number; rows: number };
  samples: DrillSample[];
  /** Differences: the drill failed. */
  problems: string[];
  /** Worth knowing, not a failure. */
  notes: string[];
  /** Milliseconds per step and in all. */
  timings: { verify: number; restore: number; start: number; check: number; total: number };
}

export async function runRedeployDrill(options: DrillOptions): Promise<DrillReport> {
  const progress = options.progress ?? (() => undefined);
  const started = Date.now();
  const timings = { verify: 0, restore: 0, start: 0, check: 0, total: 0 };
  const backupsDir = path.resolve(options.backups);

  // 1. The backups as they arrived on the new machine: every checksum, every chain in order.
  let at = Date.now();
  progress('校验备份', 0, null, backupsDir);
  const verified = await verifyDirectory(backupsDir);
  if (!verified.ok || verified.backups.length === 0) {
    throw new TesseraError(
      'drill_backups_invalid',
      verified.backups.length === 0
        ? `备份目录 ${backupsDir} 中没有备份`
        : `备份目录 ${backupsDir} 校验未通过：\n${verified.problems.map((p) => `  ✗ ${p.message}`).join('\n')}`,
    );
  }
  const newest = await newestManifest(backupsDir);
  timings.verify = Date.now() - at;

  // 2. A fresh data folder: the new server's, nothing of the old one in it.
  const dataDir = options.dataDir
    ? path.resolve(options.dataDir)
    : await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-drill-'));
  const existing = await fs.readdir(dataDir).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new TesseraError(
      'drill_data_dir_not_empty',
      `演练的数据目录 ${dataDir} 不是空目录：请指定一个新目录`,
    );
  }

  let running: RunningServer | undefined;
  try {
    at = Date.now();
    const restore = await restoreBackup({ dataDir, databaseUrl: undefined, dir: backupsDir }, { progress });
    timings.restore = Date.now() - at;

    // 3. Start as the new server would (embedded PostgreSQL on the restored cluster), but on a free
    //    loopback port, printing nothing and backing up nothing: it is a drill.
    at = Date.now();
    progress('启动服务', 0, null);
    const base = loadConfig(options.env ?? process.env);
    const config: TesseraConfig = {
      ...base,
      dataDir,
      databaseUrl: undefined,
      port: 0,
      host: '127.0.0.1',
      adminPassword: undefined,
      backup: { ...base.backup, dir: undefined, fullCron: null, incrementalCron: null },
      cards: { ...base.cards, printWorker: false },
    };
    running = await startServer(config, () => undefined);
    timings.start = Date.now() - at;

    // 4. Compare, before the drill adds its own sign-in account.
    at = Date.now();
    progress('核对数量', 0, null);
    const problems: string[] = [];
    const notes: string[] = [];
    const actual = await countsOf(running);
    const expected = newest.counts ?? null;
    if (expected) problems.push(...compareCounts(expected, actual));
    else notes.push(`备份 ${newest.id} 的清单没有记录业务数量（较早版本的备份）：只核对了各表的行数和校验值`);

    progress('抽查记录', 0, null);
    const samples = await checkSamples(running, options.sample ?? 20);
    for (const s of samples) for (const p of s.problems) problems.push(`记录 ${s.recordId}：${p}`);
    timings.check = Date.now() - at;

    return {
      ok: problems.length === 0,
      backupsDir,
      restored: restore.backups.map((b) => b.id),
      restoredTo: restore.restoredTo,
      dataDir,
      kept: !!options.keep,
      url: running.url,
      counts: { expected, actual },
      // Row counts and checksums of every table, checked by the restore before it swapped anything in.
      tables: { checked: newest.tables.length, rows: restore.rows },
      samples,
      problems,
      notes,
      timings: { ...timings, total: Date.now() - started },
    };
  } finally {
    await running?.stop();
    if (!options.keep) await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** The last usable backup of the newest chain: what the restore brings back. */
async function newestManifest(dir: string): Promise<Manifest> {
  const { backups } = await loadBackups(dir);
  const { chains } = buildChains(backups);
  const chain = chains.filter((c) => c.usable > 0).at(-1);
  if (!chain) throw new TesseraError('drill_backups_invalid', `备份目录 ${dir} 中没有可用的备份链`);
  return chain.members[chain.usable - 1]!.manifest;
}

async function select<T extends object>(running: RunningServer, sql: string): Promise<T[]> {
  return running.engine.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT });
}

async function countsOf(running: RunningServer): Promise<DomainCounts> {
  const one = async (table: string) =>
    Number((await select<{ n: string }>(running, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const grouped = async (sql: string) =>
    Object.fromEntries((await select<{ k: string; n: string }>(running, sql)).map((r) => [r.k, Number(r.n)]));
  return {
    events: await one('events'),
    units: await one('units'),
    users: await one('users'),
    photos: await one('photos'),
    records: await grouped(`SELECT kind || '/' || status AS k, count(*) AS n FROM records GROUP BY 1`),
    cards: await grouped(`SELECT status AS k, count(*) AS n FROM cards GROUP BY 1`),
  };
}

const LABELS: Record<string, string> = { events: '活动', units: '单位', users: '用户', photos: '照片' };

function compareCounts(expected: DomainCounts, actual: DomainCounts): string[] {
  const out: string[] = [];
  for (const key of ['events', 'units', 'users', 'photos'] as const) {
    if (expected[key] !== actual[key])
      out.push(`${LABELS[key]}数：备份 ${expected[key]}，恢复后 ${actual[key]}`);
  }
  for (const [what, e, a] of [
    ['记录', expected.records, actual.records],
    ['证件', expected.cards, actual.cards],
  ] as const) {
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if ((e[key] ?? 0) !== (a[key] ?? 0))
        out.push(`${what} ${key}：备份 ${e[key] ?? 0}，恢复后 ${a[key] ?? 0}`);
    }
  }
  return out;
}

interface SampleRow {
  id: string;
  event: string;
  kind: string;
  status: string;
  unit: string;
  name: string | null;
  card_type: string | null;
  id_number_masked: string | null;
  id_number_hash: Buffer | null;
  plate_number: string | null;
  photo: string | null;
  photo_sha256: string | null;
}

/**
 * Records read back through the HTTP API, signed in as a drill account made for the purpose (the
 * office's passwords are not the drill's to know): records with photos and with cards first, then
 * spread over the rest.
 */
async function checkSamples(running: RunningServer, size: number): Promise<DrillSample[]> {
  const rows = await select<SampleRow>(
    running,
    `SELECT r.id, e.code AS event, r.kind, r.status, u.code AS unit, r.name, r.card_type,
            r.id_number_masked, r.id_number_hash, r.plate_number, r.photo, p.sha256 AS photo_sha256
       FROM records r JOIN events e ON e.id = r.event_id JOIN units u ON u.id = r.unit_id
       LEFT JOIN photos p ON p.id::text = r.photo
      ORDER BY (r.photo IS NOT NULL) DESC, EXISTS (SELECT 1 FROM cards c WHERE c.record_id = r.id) DESC,
               hashtext(r.id::text)
      LIMIT ${Math.max(0, Math.floor(size))}`,
  );
  if (rows.length === 0) return [];
  const username = `drill-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await running.engine.accounts.createUser({
    username,
    password,
    role: 'admin',
    displayName: '重新部署演练',
  });
  const api = new DrillClient(running.url);
  await api.login(username, password);

  const samples: DrillSample[] = [];
  for (const row of rows) {
    const sample: DrillSample = {
      recordId: Number(row.id),
      event: row.event,
      kind: row.kind,
      checked: [],
      problems: [],
    };
    samples.push(sample);
    const base = `/api/events/${encodeURIComponent(row.event)}/records/${row.id}`;
    const got = await api.json(base);
    if (got.status !== 200) {
      sample.problems.push(`接口读取失败（HTTP ${got.status}）`);
      continue;
    }
    const record = (got.body as { record: Record<string, unknown> }).record;
    const expectations: Array<[string, unknown, unknown]> = [
      ['status', record.status, row.status],
      ['unit', (record.unit as { code?: string } | undefined)?.code, row.unit],
      ['cardType', record.cardType, row.card_type],
      ['idNumberMasked', record.idNumberMasked, row.id_number_masked],
      ['plateNumber', record.plateNumber, row.plate_number],
      [
        row.kind === 'vehicle' ? 'driverName' : 'name',
        row.kind === 'vehicle' ? record.driverName : record.name,
        row.name,
      ],
    ];
    for (const [field, apiValue, dbValue] of expectations) {
      if ((apiValue ?? null) !== (dbValue ?? null))
        sample.problems.push(`${field}：接口 ${JSON.stringify(apiValue)}，数据库 ${JSON.stringify(dbValue)}`);
    }
    sample.checked.push('fields');

    // The full ID number decrypts with the restored keys and hashes to what the row is found by.
    if (row.id_number_hash) {
      const full = await api.json(`${base}/id-number`);
      const number = (full.body as { idNumber?: string } | undefined)?.idNumber;
      if (full.status !== 200 || !number) sample.problems.push(`完整证件号码读取失败（HTTP ${full.status}）`);
      else if (!running.engine.sensitive.lookupHash(number).equals(row.id_number_hash))
        sample.problems.push('完整证件号码与其检索哈希不符（密钥不对？）');
      else sample.checked.push('id-number');
    }

    if (row.photo && row.photo_sha256) {
      const image = await api.bytes(`/api/photos/${row.photo}`);
      const sha = createHash('sha256').update(image.data).digest('hex');
      if (image.status !== 200) sample.problems.push(`照片读取失败（HTTP ${image.status}）`);
      else if (sha !== row.photo_sha256) sample.problems.push(`照片内容不符：${sha} ≠ ${row.photo_sha256}`);
      else sample.checked.push('photo');
    }

    const dbCards = await select<{ id: string; status: string }>(
      running,
      `SELECT id, status FROM cards WHERE record_id = ${Number(row.id)} ORDER BY id`,
    );
    if (dbCards.length) {
      const cards = await api.json(`${base}/cards`);
      const apiCards = (
        (cards.body as { cards?: Array<{ id: number; status: string }> } | undefined)?.cards ?? []
      )
        .map((c) => `${c.id}:${c.status}`)
        .sort();
      const expected = dbCards.map((c) => `${c.id}:${c.status}`).sort();
      if (JSON.stringify(apiCards) !== JSON.stringify(expected))
        sample.problems.push(`证件状态：接口 ${apiCards.join(',')}，数据库 ${expected.join(',')}`);
      else sample.checked.push('cards');
    }
  }
  return samples;
}

/** The few requests the drill makes, as a browser would: session cookie, JSON or bytes. */
class DrillClient {
  private cookie = '';
  constructor(private readonly base: string) {}

  async login(username: string, password: string): Promise<void> {
    const response = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    this.cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    if (response.status !== 200 || !this.cookie) {
      throw new TesseraError('drill_login_failed', `演练账号登录失败（HTTP ${response.status}）`);
    }
  }

  async json(url: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(this.base + url, { headers: { cookie: this.cookie } });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text for the message
    }
    return { status: response.status, body };
  }

  async bytes(url: string): Promise<{ status: number; data: Buffer }> {
    const response = await fetch(this.base + url, { headers: { cookie: this.cookie } });
    return { status: response.status, data: Buffer.from(await response.arrayBuffer()) };
  }
}
