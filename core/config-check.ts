import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { backupDir, type ConfigProblem, type TesseraConfig } from './config.ts';

/**
 * The checks of the settings that need the disk or the network, run by `tessera serve` before
 * anything starts (readConfig has already checked each value's form). Each returns problems
 * rather than throwing, so the operator sees every one at once.
 */
export async function checkStartup(
  config: TesseraConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConfigProblem[]> {
  const found = await Promise.all([
    checkDatabase(config.databaseUrl),
    checkWritable('TESSERA_DATA_DIR', env.TESSERA_DATA_DIR, config.dataDir, false),
    checkWritable('TESSERA_BACKUP_DIR', env.TESSERA_BACKUP_DIR, backupDir(config), !!config.backup.dir),
    checkPlugins(config.pluginsDir, env.TESSERA_PLUGINS_DIR),
    checkDesigner(config.designerDistDir),
    checkChrome(env.CHROME_PATH, config.cards.printWorker),
  ]);
  return found.flat();
}

const error = (
  variable: string,
  value: string | undefined,
  message: string,
  example?: string,
): ConfigProblem => ({ variable, value, message, example, level: 'error' });
const warning = (variable: string, value: string | undefined, message: string, example?: string) => ({
  ...error(variable, value, message, example),
  level: 'warning' as const,
});

/** Connects once; the message names host, port, database and user — never the password. */
async function checkDatabase(url: string | undefined): Promise<ConfigProblem[]> {
  if (!url) return [];
  const parsed = new URL(url);
  const where =
    `主机 ${parsed.hostname || parsed.searchParams.get('host')}、端口 ${parsed.port || 5432}、` +
    `数据库 ${decodeURIComponent(parsed.pathname.slice(1))}、用户 ${decodeURIComponent(parsed.username) || '（未写）'}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return [];
  } catch (e) {
    const reason = (e as Error).message.replaceAll(parsed.password || '\u0000', '***');
    return [
      error(
        'DATABASE_URL',
        `（${where}）`,
        `无法连接数据库：${reason}。请检查 PostgreSQL 是否运行、防火墙和 pg_hba.conf、用户名和密码`,
        'postgres://tessera:密码@db.example.cn:5432/tessera',
      ),
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The folder exists (or is created) and a file can be written there. A folder named explicitly
 * must have an existing parent: a backup disk or NAS that is not mounted must not silently become
 * a folder on the system disk.
 */
async function checkWritable(
  variable: string,
  raw: string | undefined,
  dir: string,
  explicit: boolean,
): Promise<ConfigProblem[]> {
  const shown = raw?.trim() || dir;
  const example = variable === 'TESSERA_DATA_DIR' ? '/var/lib/tessera' : '/mnt/backup/tessera';
  try {
    if (explicit && !(await exists(dir)) && !(await exists(path.dirname(dir)))) {
      return [
        error(variable, shown, `上级目录 ${path.dirname(dir)} 不存在（备份盘或 NAS 未挂载？）`, example),
      ];
    }
    await fs.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.tessera-write-check-${process.pid}`);
    await fs.writeFile(probe, 'ok');
    await fs.rm(probe, { force: true });
    return [];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? `运行服务的用户没有写权限（${code}）：chown 给服务用户，或换一个目录`
        : code === 'EROFS'
          ? '所在磁盘只读'
          : `无法写入（${code ?? (e as Error).message}）`;
    return [error(variable, shown, `目录 ${dir} ${why}`, example)];
  }
}

async function checkPlugins(dir: string, raw: string | undefined): Promise<ConfigProblem[]> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat?.isDirectory()) return [];
  return [error('TESSERA_PLUGINS_DIR', raw ?? dir, `插件目录 ${dir} 不存在`, '/opt/tessera/plugins')];
}

async function checkDesigner(dir: string): Promise<ConfigProblem[]> {
  if (await exists(path.join(dir, 'index.html'))) return [];
  return [
    warning(
      'TESSERA_DESIGNER_DIST',
      dir,
      '界面尚未构建（缺 index.html）：接口可用，但浏览器打不开页面。请先运行 npm run build',
    ),
  ];
}

/**
 * Chromium prints the cards. A CHROME_PATH that is set must be right (when this process prints);
 * with none set, a missing system Chromium is only a warning, so a development machine without
 * it still starts (`npm start`).
 */
async function checkChrome(raw: string | undefined, printing: boolean): Promise<ConfigProblem[]> {
  const example = '/usr/bin/chromium';
  const set = raw?.trim();
  if (set) {
    const reason = (await exists(set))
      ? (await executable(set))
        ? undefined
        : '不可执行（chmod +x，或指向 Chromium 程序本身）'
      : '文件不存在（apt-get install -y chromium）';
    if (!reason) return [];
    return printing
      ? [error('CHROME_PATH', set, reason, example)]
      : [
          warning(
            'CHROME_PATH',
            set,
            `${reason}；本进程不打印（TESSERA_PRINT_WORKER=off），但版式预览会失败`,
            example,
          ),
        ];
  }
  for (const candidate of [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ])
    if (await executable(candidate)) return [];
  return [
    warning(
      'CHROME_PATH',
      undefined,
      '找不到 Chromium：服务可以启动，但打印证件、预览版式和巡检报告 PDF 会失败。请 apt-get install -y chromium 或设置 CHROME_PATH',
      example,
    ),
  ];
}

const exists = (file: string) =>
  fs.access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
const executable = (file: string) =>
  fs.access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
