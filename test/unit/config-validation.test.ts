import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStartup } from '../../core/config-check.ts';
import {
  ConfigError,
  describeProblem,
  loadConfig,
  maskDatabaseUrl,
  readConfig,
  type ConfigProblem,
} from '../../core/config.ts';

const problemsOf = (env: NodeJS.ProcessEnv) => readConfig(env).problems;
const errorsOf = (env: NodeJS.ProcessEnv) => problemsOf(env).filter((p) => p.level === 'error');
const byVariable = (problems: ConfigProblem[], variable: string) =>
  problems.filter((p) => p.variable === variable);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tessera-config-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('readConfig: the form of every value', () => {
  it('accepts the defaults and a full production environment without a problem', () => {
    expect(problemsOf({})).toEqual([]);
    const env = {
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://tessera:s3cret@db.example.cn:5432/tessera',
      TESSERA_SECURE_COOKIES: '1',
      TESSERA_TRUST_PROXY: '1',
      TESSERA_PUBLIC_URL: 'https://zhizheng.example.cn/',
      TESSERA_MAX_UPLOAD_MB: '512',
      TESSERA_BACKUP_FULL_CRON: '0 3 * * 0',
      TESSERA_BACKUP_INCREMENTAL_CRON: 'off',
      TESSERA_METRICS_TOKEN: 'a'.repeat(32),
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      TESSERA_HASH_KEY: randomBytes(32).toString('base64'),
      TESSERA_VERIFY_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'der', type: 'pkcs8' })
        .toString('base64'),
      TESSERA_ADMIN_PASSWORD: 'a-long-enough-password',
    };
    expect(problemsOf(env)).toEqual([]);
    const config = loadConfig(env);
    expect(config).toMatchObject({ port: 8080, secureCookies: true, maxUploadBytes: 512 * 1024 * 1024 });
    expect(config.cards.publicUrl).toBe('https://zhizheng.example.cn');
    expect(config.backup).toMatchObject({ fullCron: '0 3 * * 0', incrementalCron: null });
  });

  it('reports every wrong value at once, each naming the variable, the value and a good example', () => {
    const env = {
      PORT: '70000',
      HOST: 'http://0.0.0.0',
      TESSERA_SESSION_TTL_HOURS: '0',
      TESSERA_MAX_UPLOAD_MB: '1G',
      TESSERA_SECURE_COOKIES: 'yes',
      TESSERA_TRUST_PROXY: 'true-ish',
      TESSERA_PUBLIC_URL: 'zhizheng.example.cn',
      TESSERA_BACKUP_FULL_CRON: '30 25 * * 0',
      TESSERA_BACKUP_KEYS: 'maybe',
      TESSERA_BACKUP_SCHEDULE: 'sometimes',
      TESSERA_PRINT_WORKER: 'no',
      TESSERA_BACKGROUND_PRIORITY: 'idle',
      TESSERA_LOG_MAX_SIZE: '50MB',
      TESSERA_LOG_KEEP: '-1',
      TESSERA_PG_PORT: '99999',
      TESSERA_METRICS_TOKEN: 'short',
    };
    const errors = errorsOf(env);
    expect(errors.map((p) => p.variable).sort()).toEqual(Object.keys(env).sort());
    for (const p of errors) expect(p.example, p.variable).toBeTruthy();

    expect(describeProblem(byVariable(errors, 'PORT')[0]!)).toBe(
      '✗ PORT="70000"：应为0–65535 之间的整数，例如 PORT=3000',
    );
    expect(byVariable(errors, 'TESSERA_BACKUP_FULL_CRON')[0]).toMatchObject({
      value: '30 25 * * 0',
      example: '30 2 * * 0',
    });
    expect(byVariable(errors, 'TESSERA_PUBLIC_URL')[0]!.message).toContain('http(s)://');
    // The token itself is never repeated back, only its length.
    expect(JSON.stringify(byVariable(errors, 'TESSERA_METRICS_TOKEN'))).not.toContain('"short"');

    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as ConfigError).message;
    expect(message).toContain(`配置有 ${errors.length} 处错误`);
    for (const variable of Object.keys(env)) expect(message).toContain(variable);
  });

  it('checks DATABASE_URL without ever printing its password', () => {
    for (const [url, reason] of [
      ['mysql://u:hunter2@db/tessera', '应以 postgres:// 开头'],
      ['postgres://u:hunter2@db.example.cn:5432/', '缺少数据库名'],
      ['not a url at all', '不是有效的网址'],
    ] as const) {
      const [p] = errorsOf({ DATABASE_URL: url });
      expect(p?.variable, url).toBe('DATABASE_URL');
      expect(p!.message, url).toContain(reason);
      expect(describeProblem(p!)).not.toContain('hunter2');
      expect(p!.example).toBe('postgres://tessera:密码@db.example.cn:5432/tessera');
    }
    expect(maskDatabaseUrl('postgres://u:p@ss@h/db')).toBe('postgres://u:***@h/db');
    expect(errorsOf({ DATABASE_URL: 'postgresql:///tessera?host=/var/run/postgresql' })).toEqual([]);
  });

  it('checks the secrets: a key pair set together, 32-byte keys, an Ed25519 signing key', () => {
    const key = randomBytes(32).toString('base64');
    expect(byVariable(errorsOf({ TESSERA_ENCRYPTION_KEY: key }), 'TESSERA_HASH_KEY')[0]!.message).toContain(
      '同时设置',
    );
    const short = errorsOf({
      TESSERA_ENCRYPTION_KEY: key,
      TESSERA_HASH_KEY: randomBytes(16).toString('base64'),
    });
    expect(short).toHaveLength(1);
    expect(short[0]).toMatchObject({ variable: 'TESSERA_HASH_KEY', value: '（已隐藏）' });
    expect(short[0]!.message).toContain('16 字节');

    expect(errorsOf({ TESSERA_VERIFY_KEY: 'bm90IGEga2V5' })[0]!.message).toContain('不是有效的私钥');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64');
    expect(errorsOf({ TESSERA_VERIFY_KEY: rsa })[0]!.message).toContain('是 rsa 私钥');
  });

  it('warns about settings that are valid alone but do not work together', () => {
    const warnings = (env: NodeJS.ProcessEnv) => problemsOf(env).filter((p) => p.level === 'warning');
    expect(
      warnings({ TESSERA_SECURE_COOKIES: '1', TESSERA_PUBLIC_URL: 'http://zhizheng.example.cn' })[0]!.message,
    ).toContain('无法登录');
    expect(warnings({ TESSERA_PUBLIC_URL: 'https://zhizheng.example.cn' })[0]).toMatchObject({
      variable: 'TESSERA_SECURE_COOKIES',
      example: '1',
    });
    expect(
      byVariable(
        warnings({ HOST: '0.0.0.0', TESSERA_TRUST_PROXY: '1', TESSERA_SECURE_COOKIES: '1' }),
        'TESSERA_TRUST_PROXY',
      ),
    ).toHaveLength(1);
    expect(warnings({ TESSERA_ADMIN_PASSWORD: 'admin' })[0]!.variable).toBe('TESSERA_ADMIN_PASSWORD');
    // Warnings never stop loadConfig.
    expect(() => loadConfig({ TESSERA_ADMIN_PASSWORD: 'admin' })).not.toThrow();
  });
});

describe('checkStartup: the disk, the network and Chromium', () => {
  const base = (over: NodeJS.ProcessEnv = {}) => {
    const env = { TESSERA_DATA_DIR: path.join(tmp, 'data'), TESSERA_BACKUP_SCHEDULE: 'off', ...over };
    return { env, config: loadConfig(env) };
  };

  it('passes on a writable data folder with the bundled plugins', async () => {
    const { env, config } = base();
    const found = await checkStartup({ ...config, designerDistDir: tmp }, env);
    expect(
      found.filter((p) => p.variable !== 'TESSERA_DESIGNER_DIST' && p.variable !== 'CHROME_PATH'),
    ).toEqual([]);
  });

  it('names an unreachable database by host, port and database, without the password', async () => {
    const { env, config } = base({ DATABASE_URL: 'postgres://tessera:hunter2@127.0.0.1:1/tessera_prod' });
    const [p] = (await checkStartup(config, env)).filter((x) => x.variable === 'DATABASE_URL');
    expect(p!.level).toBe('error');
    expect(describeProblem(p!)).toContain('主机 127.0.0.1、端口 1、数据库 tessera_prod、用户 tessera');
    expect(describeProblem(p!)).toContain('无法连接数据库');
    expect(describeProblem(p!)).not.toContain('hunter2');
  });

  it('refuses a data folder it cannot write and a backup folder whose disk is not there', async () => {
    // A path through a file cannot be created by anyone, root included (CI runs as root).
    const file = path.join(tmp, 'a-file');
    await writeFile(file, '');
    const { env, config } = base({
      TESSERA_DATA_DIR: path.join(file, 'data'),
      TESSERA_BACKUP_DIR: path.join(tmp, 'no-such-nas', 'tessera'),
      TESSERA_PLUGINS_DIR: path.join(tmp, 'no-plugins'),
    });
    const found = await checkStartup(config, env);
    expect(byVariable(found, 'TESSERA_DATA_DIR')[0]).toMatchObject({
      level: 'error',
      value: path.join(file, 'data'),
      example: '/var/lib/tessera',
    });
    expect(byVariable(found, 'TESSERA_DATA_DIR')[0]!.message).toContain('无法写入');
    expect(byVariable(found, 'TESSERA_BACKUP_DIR')[0]!.message).toContain('未挂载');
    expect(byVariable(found, 'TESSERA_PLUGINS_DIR')[0]!.message).toContain('不存在');
  });

  it('refuses a CHROME_PATH that is missing or not executable when this process prints', async () => {
    const notExecutable = path.join(tmp, 'chromium.txt');
    await writeFile(notExecutable, 'not a program');
    await chmod(notExecutable, 0o644);
    for (const [chrome, reason] of [
      [path.join(tmp, 'nowhere', 'chromium'), '文件不存在'],
      [notExecutable, '不可执行'],
    ] as const) {
      const { env, config } = base({ CHROME_PATH: chrome });
      const [p] = byVariable(await checkStartup(config, env), 'CHROME_PATH');
      expect(p).toMatchObject({ level: 'error', value: chrome, example: '/usr/bin/chromium' });
      expect(p!.message).toContain(reason);
      const off = base({ CHROME_PATH: chrome, TESSERA_PRINT_WORKER: 'off' });
      expect(byVariable(await checkStartup(off.config, off.env), 'CHROME_PATH')[0]!.level).toBe('warning');
    }
  });
});
