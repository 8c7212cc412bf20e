// `tessera serve` with a broken environment file: it does not start, exits non-zero and lists
// every problem in one go — the form of the values, the unreachable database, the folders and
// Chromium — each naming its variable, never a password.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tessera-config-start-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

it('refuses to start on bad settings and reports all of them at once', async () => {
  const file = path.join(tmp, 'a-file');
  await writeFile(file, '');
  const result = await runCli(['serve'], {
    PORT: '70000',
    TESSERA_SECURE_COOKIES: 'yes',
    TESSERA_PUBLIC_URL: 'zhizheng.example.cn',
    TESSERA_METRICS_TOKEN: 'short',
    DATABASE_URL: 'postgres://tessera:hunter2@127.0.0.1:1/tessera_prod',
    TESSERA_DATA_DIR: path.join(file, 'data'),
    TESSERA_BACKUP_DIR: path.join(tmp, 'nas-not-mounted', 'tessera'),
    CHROME_PATH: path.join(tmp, 'no-chromium'),
    TESSERA_BACKUP_SCHEDULE: 'off',
  });
  expect(result.code).toBe(1);
  const out = result.stderr;
  expect(out).toContain('配置有 8 处错误');
  for (const line of [
    '✗ PORT="70000"：应为0–65535 之间的整数，例如 PORT=3000',
    '✗ TESSERA_SECURE_COOKIES="yes"：只能是 1（开）或 0（关）',
    '✗ TESSERA_PUBLIC_URL="zhizheng.example.cn"',
    '✗ TESSERA_METRICS_TOKEN',
    '✗ DATABASE_URL="（主机 127.0.0.1、端口 1、数据库 tessera_prod、用户 tessera）"：无法连接数据库',
    `✗ TESSERA_DATA_DIR="${path.join(file, 'data')}"`,
    `✗ TESSERA_BACKUP_DIR="${path.join(tmp, 'nas-not-mounted', 'tessera')}"`,
    `✗ CHROME_PATH="${path.join(tmp, 'no-chromium')}"：文件不存在`,
  ])
    expect(out).toContain(line);
  expect(out).not.toContain('hunter2');
  expect(out).not.toContain('Tessera 已启动');
});
