import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cron } from 'croner';
import { TesseraError } from './errors.ts';

/** Runtime settings, all from the environment so that one build runs anywhere. */
export interface TesseraConfig {
  /** Root for everything Tessera writes: embedded database, blobs, logs, secrets. */
  dataDir: string;
  /** External PostgreSQL; when absent the embedded server under dataDir is used. */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  /** Folder scanned for bundled event plugins at start. */
  pluginsDir: string;
  /** Built designer app served at `/`. */
  designerDistDir: string;
  adminPassword: string | undefined;
  sessionTtlHours: number;
  /** Secure cookies need TLS; off for loopback development, on behind a TLS proxy. */
  secureCookies: boolean;
  maxUploadBytes: number;
  /** Backups (core/ops/backup): where, when, how many, and whether the data keys go along. */
  backup: BackupConfig;
  /** Request logs, slow-request threshold, /metrics access (core/ops). */
  ops: OpsConfig;
  /** Cards (core/cards): whether this process takes print jobs off the queue, and the verify URL. */
  cards: CardsConfig;
  /** Sign-in protection (core/auth): throttling per address, lockout per account, idle sessions. */
  auth: AuthConfig;
  backgroundPriority: BackgroundPriority;
}

export interface AuthConfig {
  /** Failed sign-ins from one address within `addressWindowMinutes` before it is refused (429). */
  addressMaxFailures: number;
  addressWindowMinutes: number;
  /** Consecutive wrong passwords before an account is locked, and for how long. */
  lockoutFailures: number;
  lockoutMinutes: number;
  /** A session unused this long ends, whatever its absolute lifetime. */
  sessionIdleMinutes: number;
}

function authConfig(env: NodeJS.ProcessEnv): AuthConfig {
  const positive = (name: string, fallback: number) => {
    const value = intFromEnv(name, fallback, env);
    if (value === 0) throw new Error(`环境变量 ${name} 必须大于 0`);
    return value;
  };
  return {
    addressMaxFailures: positive('TESSERA_LOGIN_ADDRESS_MAX_FAILURES', 20),
    addressWindowMinutes: positive('TESSERA_LOGIN_ADDRESS_WINDOW_MINUTES', 15),
    lockoutFailures: positive('TESSERA_LOGIN_LOCKOUT_FAILURES', 5),
    lockoutMinutes: positive('TESSERA_LOGIN_LOCKOUT_MINUTES', 15),
    sessionIdleMinutes: positive('TESSERA_SESSION_IDLE_MINUTES', 120),
  };
}

/**
 * How the server's background work is scheduled: `low` — Chromium (printing, previews) under
 * SCHED_IDLE and libvips' image threads (imports, card photos) reniced — so it runs flat out on a
 * quiet machine and yields the CPU to answering users; `normal` — at the server's own priority.
 */
export type BackgroundPriority = 'low' | 'normal';

function backgroundPriorityFrom(env: NodeJS.ProcessEnv): BackgroundPriority {
  const value = env.TESSERA_BACKGROUND_PRIORITY?.trim() || 'low';
  if (value === 'low' || value === 'normal') return value;
  problem('TESSERA_BACKGROUND_PRIORITY', value, '只能是 low 或 normal', 'low');
  return 'low';
}

export interface CardsConfig {
  /** Run the print worker in this process (off: a server that only answers requests). */
  printWorker: boolean;
  /** Address the QR code of a card opens (`<publicUrl>/v/<token>`); unset, the QR holds the bare token. */
  publicUrl: string | undefined;
}

function cardsConfig(env: NodeJS.ProcessEnv): CardsConfig {
  const worker = (env.TESSERA_PRINT_WORKER || 'on').trim();
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(worker)) {
    problem('TESSERA_PRINT_WORKER', worker, '只能是 on 或 off', 'off');
  }
  let url = env.TESSERA_PUBLIC_URL?.trim().replace(/\/+$/, '') || undefined;
  if (url && !isWebAddress(url)) {
    problem(
      'TESSERA_PUBLIC_URL',
      url,
      '应为 http(s):// 开头、不带 ? 和 # 的网址',
      'https://zhizheng.example.cn',
    );
    url = undefined;
  }
  return {
    printWorker: !['off', '0', 'false'].includes(worker),
    publicUrl: url,
  };
}

export interface OpsConfig {
  /** A request slower than this goes to the slow-request log too. */
  slowMs: number;
  /** Size at which a request log file is rotated (rotating-file-stream syntax: 10M, 500K). */
  logMaxSize: string;
  /** Rotated request log files kept (each log; older ones are deleted). */
  logKeep: number;
  /** Bearer token that may read /metrics without a session (a Prometheus scraper); undefined = admins only. */
  metricsToken: string | undefined;
}

function opsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  let size = env.TESSERA_LOG_MAX_SIZE?.trim() || '50M';
  if (!/^[1-9]\d*[BKMG]$/.test(size)) {
    problem('TESSERA_LOG_MAX_SIZE', size, '应为正整数加单位 B/K/M/G', '50M');
    size = '50M';
  }
  const token = env.TESSERA_METRICS_TOKEN || undefined;
  // A bearer token short enough to guess opens the metrics to anyone who can reach the port.
  if (token !== undefined && token.length < METRICS_TOKEN_MIN) {
    problem(
      'TESSERA_METRICS_TOKEN',
      `（${token.length} 个字符）`,
      `至少 ${METRICS_TOKEN_MIN} 个字符，可用 openssl rand -hex 24 生成`,
      '3f9c…（48 个十六进制字符）',
    );
  }
  return {
    slowMs: intFromEnv('TESSERA_SLOW_MS', 500, env, { min: 1 }),
    logMaxSize: size,
    logKeep: intFromEnv('TESSERA_LOG_KEEP', 14, env),
    metricsToken: token,
  };
}

export interface BackupConfig {
  /** The backups folder; undefined = `<dataDir>/backups` (put it on another disk in production). */
  dir: string | undefined;
  /** cron expressions in the server's local time; null = not scheduled. */
  fullCron: string | null;
  incrementalCron: string | null;
  /** Full backups kept, each with its incrementals (0 = keep all). */
  keepFull: number;
  /** Copy `<dataDir>/secrets.json` into each backup (without it a restore cannot read ID numbers). */
  includeKeys: boolean;
}

function backupConfig(env: NodeJS.ProcessEnv): BackupConfig {
  const schedule = env.TESSERA_BACKUP_SCHEDULE?.trim() || 'on';
  if (schedule !== 'on' && schedule !== 'off')
    problem('TESSERA_BACKUP_SCHEDULE', schedule, '只能是 on 或 off', 'off');
  const off = schedule === 'off';
  const cron = (name: string, fallback: string) => {
    const value = env[name]?.trim() || fallback;
    if (off || value === 'off') return null;
    try {
      new Cron(value, { paused: true }).stop();
    } catch {
      problem(name, value, '不是有效的 cron 表达式（分 时 日 月 周），或写 off 表示不定时', fallback);
      return fallback;
    }
    return value;
  };
  let keys = env.TESSERA_BACKUP_KEYS || 'include';
  if (keys !== 'include' && keys !== 'exclude') {
    problem('TESSERA_BACKUP_KEYS', keys, '只能是 include 或 exclude', 'exclude');
    keys = 'include';
  }
  return {
    dir: env.TESSERA_BACKUP_DIR ? path.resolve(env.TESSERA_BACKUP_DIR) : undefined,
    fullCron: cron('TESSERA_BACKUP_FULL_CRON', '30 2 * * 0'),
    incrementalCron: cron('TESSERA_BACKUP_INCREMENTAL_CRON', '30 2 * * 1-6'),
    keepFull: intFromEnv('TESSERA_BACKUP_KEEP_FULL', 4, env),
    includeKeys: keys === 'include',
  };
}

export const backupDir = (config: TesseraConfig): string =>
  config.backup.dir ?? path.join(config.dataDir, 'backups');

/**
 * The installation's root (plugins/, designer/dist/): the nearest folder above this module that
 * holds package.json. The same whether this runs from the sources (core/config.ts, through tsx)
 * or from the production build (dist/core/config.js).
 */
function findRepoRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..');
  }
}

const repoRoot = findRepoRoot();

/** An integer setting; a bad value is reported (see readConfig) and the default used meanwhile. */
function intFromEnv(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv,
  range: { min?: number; max?: number } = {},
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const min = range.min ?? 0;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || (range.max !== undefined && value > range.max)) {
    const bounds = range.max === undefined ? `不小于 ${min} 的整数` : `${min}–${range.max} 之间的整数`;
    problem(name, raw, `应为${bounds}`, String(fallback));
    return fallback;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Validation: every setting is checked and every problem reported at once, so an operator fixes
// the environment file in one go instead of one restart per mistake.

/** One wrong or doubtful setting: the variable, the value found, what is wrong and a good example. */
export interface ConfigProblem {
  variable: string;
  /** As found (a password inside it masked); undefined = not set. */
  value: string | undefined;
  message: string;
  example?: string | undefined;
  /** error: the server refuses to start; warning: it starts and says so. */
  level: 'error' | 'warning';
}

/** `✗ PORT="70000"：应为 0–65535 之间的整数，例如 PORT=3000` */
export function describeProblem(p: ConfigProblem): string {
  const value = p.value === undefined ? '（未设置）' : `="${p.value}"`;
  const example = p.example ? `，例如 ${p.variable}=${p.example}` : '';
  return `${p.level === 'error' ? '✗' : '!'} ${p.variable}${value}：${p.message}${example}`;
}

/** All the errors (and warnings) found in the settings; the server does not start. */
export class ConfigError extends TesseraError {
  constructor(readonly problems: ConfigProblem[]) {
    const errors = problems.filter((p) => p.level === 'error').length;
    super(
      'config_invalid',
      [
        `配置有 ${errors} 处错误，请改正环境变量（或环境文件）后再启动：`,
        ...problems.map(describeProblem),
      ].join('\n'),
      500,
      problems,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Problems found by the sections while readConfig runs. Module state rather than a parameter so
 * that a section stays a plain function of the environment; readConfig is synchronous, so only
 * one collection is ever under way.
 */
let collecting: ConfigProblem[] | undefined;

function problem(
  variable: string,
  value: string | undefined,
  message: string,
  example?: string,
  level: ConfigProblem['level'] = 'error',
): void {
  const found: ConfigProblem = { variable, value, message, example, level };
  if (!collecting) throw new ConfigError([found]);
  collecting.push(found);
}

/** A section that throws (one written with plain `throw`) still lets the others be checked. */
function section<T>(read: () => T, defaults: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message = (error as Error).message;
    const variable =
      /\b(?:TESSERA_[A-Z0-9_]+|DATABASE_URL|PORT|HOST|CHROME_PATH)\b/.exec(message)?.[0] ?? '配置';
    problem(variable, undefined, message.replace(/^环境变量\s*/, ''));
    return defaults();
  }
}

const METRICS_TOKEN_MIN = 16;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const isWebAddress = (url: string) => {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname && !u.search && !u.hash;
  } catch {
    return false;
  }
};

/** A DATABASE_URL safe to print: the password replaced by ***. */
export function maskDatabaseUrl(url: string): string {
  // Up to the last @: an unencoded @ in the password must not leave its tail visible.
  return url.replace(/^([a-z]+:\/\/[^:@/]*):.*@([^@]*)$/i, '$1:***@$2');
}

function databaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL?.trim() || undefined;
  if (!raw) return undefined;
  const example = 'postgres://tessera:密码@db.example.cn:5432/tessera';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problem('DATABASE_URL', maskDatabaseUrl(raw), '不是有效的网址', example);
    return undefined;
  }
  const issues: string[] = [];
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') issues.push('应以 postgres:// 开头');
  if (!url.hostname && !url.searchParams.get('host')) issues.push('缺少主机名');
  if (url.pathname.replace(/^\//, '') === '') issues.push('缺少数据库名（/ 之后）');
  if (url.port && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) issues.push('端口应为 1–65535');
  if (issues.length) {
    problem('DATABASE_URL', maskDatabaseUrl(raw), issues.join('，'), example);
    return undefined;
  }
  return raw;
}

function hostFrom(env: NodeJS.ProcessEnv): string {
  const host = env.HOST?.trim() || '127.0.0.1';
  const hostname = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
  if (!isIP(host) && !hostname.test(host)) {
    problem('HOST', host, '应为本机的 IP 地址或主机名（只在反向代理后面时用 127.0.0.1）', '127.0.0.1');
    return '127.0.0.1';
  }
  return host;
}

function flagFrom(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim() || '0';
  if (!['1', '0', 'true', 'false'].includes(raw)) {
    problem(name, raw, '只能是 1（开）或 0（关）', '1');
    return false;
  }
  return raw === '1' || raw === 'true';
}

/** The secrets read elsewhere (core/crypto) straight from the environment: checked here, once. */
function checkSecrets(env: NodeJS.ProcessEnv): void {
  const enc = env.TESSERA_ENCRYPTION_KEY || undefined;
  const hash = env.TESSERA_HASH_KEY || undefined;
  const keyExample = '（openssl rand -base64 32 的输出）';
  if (!!enc !== !!hash) {
    // core/crypto uses the environment's keys only as a pair: one alone would be silently ignored.
    const missing = enc ? 'TESSERA_HASH_KEY' : 'TESSERA_ENCRYPTION_KEY';
    problem(
      missing,
      undefined,
      `必须与 ${enc ? 'TESSERA_ENCRYPTION_KEY' : 'TESSERA_HASH_KEY'} 同时设置`,
      keyExample,
    );
  }
  for (const [name, value] of [
    ['TESSERA_ENCRYPTION_KEY', enc],
    ['TESSERA_HASH_KEY', hash],
  ] as const) {
    if (value !== undefined && Buffer.from(value, 'base64').length !== 32) {
      problem(
        name,
        '（已隐藏）',
        `应为 32 字节密钥的 base64（现为 ${Buffer.from(value, 'base64').length} 字节）`,
        keyExample,
      );
    }
  }
  const verify = env.TESSERA_VERIFY_KEY || undefined;
  if (verify !== undefined) {
    let type: string | undefined;
    try {
      type = createPrivateKey({
        key: Buffer.from(verify, 'base64'),
        format: 'der',
        type: 'pkcs8',
      }).asymmetricKeyType;
    } catch {
      type = undefined;
    }
    if (type !== 'ed25519') {
      problem(
        'TESSERA_VERIFY_KEY',
        '（已隐藏）',
        type
          ? `是 ${type} 私钥，应为 Ed25519 私钥`
          : '不是有效的私钥：应为 Ed25519 私钥 PKCS#8 DER 的 base64',
        '$(openssl genpkey -algorithm ed25519 -outform DER | base64 -w0)',
      );
    }
  }
}

/** Settings that are each valid but together do not work as meant. */
function crossChecks(config: TesseraConfig, env: NodeJS.ProcessEnv): void {
  const publicUrl = config.cards.publicUrl;
  if (config.secureCookies && publicUrl?.startsWith('http://')) {
    problem(
      'TESSERA_SECURE_COOKIES',
      env.TESSERA_SECURE_COOKIES,
      `已开启，但 TESSERA_PUBLIC_URL 是 http://：浏览器只在 HTTPS 上回传 Secure Cookie，用户将无法登录。请在 TLS 反向代理后运行`,
      '1（并设 TESSERA_PUBLIC_URL=https://…）',
      'warning',
    );
  }
  if (!config.secureCookies && (publicUrl?.startsWith('https://') || !LOOPBACK.has(config.host))) {
    problem(
      'TESSERA_SECURE_COOKIES',
      env.TESSERA_SECURE_COOKIES,
      publicUrl?.startsWith('https://')
        ? '未开启，但系统经 HTTPS 对外（TESSERA_PUBLIC_URL）：请开启，会话 Cookie 才不会经明文 HTTP 发送'
        : `未开启，而服务监听 ${config.host}（不只本机）：生产环境请在 TLS 反向代理后运行并开启`,
      '1',
      'warning',
    );
  }
  if (flagFrom(env, 'TESSERA_TRUST_PROXY') && !LOOPBACK.has(config.host)) {
    problem(
      'TESSERA_TRUST_PROXY',
      env.TESSERA_TRUST_PROXY,
      `已开启，但服务监听 ${config.host}：能直接访问此端口的人可伪造 X-Forwarded-For。请设 HOST=127.0.0.1，只让反向代理访问`,
      '1（并设 HOST=127.0.0.1）',
      'warning',
    );
  }
  if (config.adminPassword !== undefined && config.adminPassword.length < 10) {
    problem(
      'TESSERA_ADMIN_PASSWORD',
      '（已隐藏）',
      '少于 10 个字符，太容易被猜中',
      '（12 位以上的随机密码）',
      'warning',
    );
  }
}

/**
 * Every setting read and checked: the configuration (defaults where a value was bad) and every
 * problem found. loadConfig throws on errors; `tessera serve` adds the checks that need the disk
 * and the network (core/config-check.ts) and reports all of them together.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): {
  config: TesseraConfig;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  collecting = problems;
  try {
    const pgPort = env.TESSERA_PG_PORT?.trim();
    if (pgPort) intFromEnv('TESSERA_PG_PORT', 5432, env, { min: 1, max: 65535 });
    const config: TesseraConfig = {
      dataDir: path.resolve(env.TESSERA_DATA_DIR?.trim() || path.join(process.cwd(), 'data')),
      databaseUrl: databaseUrlFrom(env),
      port: intFromEnv('PORT', 3000, env, { max: 65535 }),
      host: hostFrom(env),
      pluginsDir: path.resolve(env.TESSERA_PLUGINS_DIR?.trim() || path.join(repoRoot, 'plugins')),
      designerDistDir: path.resolve(
        env.TESSERA_DESIGNER_DIST?.trim() || path.join(repoRoot, 'designer', 'dist'),
      ),
      adminPassword: env.TESSERA_ADMIN_PASSWORD || undefined,
      sessionTtlHours: intFromEnv('TESSERA_SESSION_TTL_HOURS', 12, env, { min: 1 }),
      secureCookies: flagFrom(env, 'TESSERA_SECURE_COOKIES'),
      maxUploadBytes: intFromEnv('TESSERA_MAX_UPLOAD_MB', 1024, env, { min: 1 }) * 1024 * 1024,
      backgroundPriority: backgroundPriorityFrom(env),
      backup: section(
        () => backupConfig(env),
        () => backupConfig({}),
      ),
      ops: section(
        () => opsConfig(env),
        () => opsConfig({}),
      ),
      cards: section(
        () => cardsConfig(env),
        () => cardsConfig({}),
      ),
      auth: section(
        () => authConfig(env),
        () => authConfig({}),
      ),
    };
    checkSecrets(env);
    crossChecks(config, env);
    return { config, problems };
  } finally {
    collecting = undefined;
  }
}

/** The settings, or a ConfigError listing every wrong one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TesseraConfig {
  const { config, problems } = readConfig(env);
  const errors = problems.filter((p) => p.level === 'error');
  if (errors.length) throw new ConfigError(errors);
  return config;
}

export { repoRoot };
