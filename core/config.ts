import path from 'node:path';

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
}

export interface CardsConfig {
  /** Run the print worker in this process (off: a server that only answers requests). */
  printWorker: boolean;
  /** Address the QR code of a card opens (`<publicUrl>/v/<token>`); unset, the QR holds the bare token. */
  publicUrl: string | undefined;
}

function cardsConfig(env: NodeJS.ProcessEnv): CardsConfig {
  const worker = (env.TESSERA_PRINT_WORKER ?? 'on').trim();
  if (!['on', 'off', '1', '0', 'true', 'false'].includes(worker)) {
    throw new Error(`环境变量 TESSERA_PRINT_WORKER="${worker}" 只能是 on 或 off`);
  }
  const url = env.TESSERA_PUBLIC_URL?.trim().replace(/\/+$/, '') || undefined;
  if (url && !/^https?:\/\/[^\s/]+/.test(url)) {
    throw new Error(
      `环境变量 TESSERA_PUBLIC_URL="${url}" 应为 http(s):// 开头的网址，例如 https://zhizheng.example.cn`,
    );
  }
  return { printWorker: !['off', '0', 'false'].includes(worker), publicUrl: url };
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
  const size = env.TESSERA_LOG_MAX_SIZE?.trim() || '50M';
  if (!/^\d+[BKMG]$/.test(size)) {
    throw new Error(`环境变量 TESSERA_LOG_MAX_SIZE="${size}" 应为数字加单位 B/K/M/G，例如 50M`);
  }
  return {
    slowMs: intFromEnv('TESSERA_SLOW_MS', 500, env),
    logMaxSize: size,
    logKeep: intFromEnv('TESSERA_LOG_KEEP', 14, env),
    metricsToken: env.TESSERA_METRICS_TOKEN || undefined,
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
  const off = env.TESSERA_BACKUP_SCHEDULE === 'off';
  const cron = (name: string, fallback: string) => {
    const value = env[name]?.trim() || fallback;
    return off || value === 'off' ? null : value;
  };
  const keys = env.TESSERA_BACKUP_KEYS ?? 'include';
  if (keys !== 'include' && keys !== 'exclude') {
    throw new Error(`环境变量 TESSERA_BACKUP_KEYS="${keys}" 只能是 include 或 exclude`);
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

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function intFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`环境变量 ${name}="${raw}" 不是有效的非负整数 (expected a non-negative integer)`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TesseraConfig {
  return {
    dataDir: path.resolve(env.TESSERA_DATA_DIR ?? path.join(process.cwd(), 'data')),
    databaseUrl: env.DATABASE_URL || undefined,
    port: intFromEnv('PORT', 3000, env),
    host: env.HOST ?? '127.0.0.1',
    pluginsDir: path.resolve(env.TESSERA_PLUGINS_DIR ?? path.join(repoRoot, 'plugins')),
    designerDistDir: path.resolve(env.TESSERA_DESIGNER_DIST ?? path.join(repoRoot, 'designer', 'dist')),
    adminPassword: env.TESSERA_ADMIN_PASSWORD || undefined,
    sessionTtlHours: intFromEnv('TESSERA_SESSION_TTL_HOURS', 12, env),
    secureCookies: env.TESSERA_SECURE_COOKIES === '1' || env.TESSERA_SECURE_COOKIES === 'true',
    maxUploadBytes: intFromEnv('TESSERA_MAX_UPLOAD_MB', 1024, env) * 1024 * 1024,
    backup: backupConfig(env),
    ops: opsConfig(env),
    cards: cardsConfig(env),
  };
}

export { repoRoot };
