import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type TesseraConfig } from '../../core/config.ts';
import { availableMemory, embeddedSettings } from '../../core/db/embedded.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ADMIN_PASSWORD, ApiClient, type Body } from '../support/harness.ts';

/**
 * The default installation: the embedded PostgreSQL under the data folder, backups in
 * `<data>/backups`. A CLI backup shares the running server's cluster; a restore is refused while
 * the server runs; with the server stopped and everything but the backups gone (cluster, blobs,
 * keys), `tessera restore` brings it all back and the server starts on it as before.
 */

let dataDir: string;
let config: TesseraConfig;
let running: RunningServer | undefined;
let photo: { id: string; sha256: string };

const env = () => ({
  TESSERA_DATA_DIR: dataDir,
  DATABASE_URL: '',
  TESSERA_BACKUP_DIR: '',
  TESSERA_ENCRYPTION_KEY: '',
  TESSERA_HASH_KEY: '',
});

async function signIn(server: RunningServer): Promise<ApiClient> {
  const client = new ApiClient(server.url);
  expect((await client.login('admin', ADMIN_PASSWORD)).status).toBe(200);
  return client;
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-backup-embedded-'));
  config = {
    ...loadConfig({ TESSERA_BACKUP_SCHEDULE: 'off' }),
    dataDir,
    databaseUrl: undefined,
    port: 0,
    host: '127.0.0.1',
    adminPassword: ADMIN_PASSWORD,
  };
  running = await startServer(config, () => undefined);
});

afterAll(async () => {
  await running?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('backup and restore with the embedded PostgreSQL', () => {
  it('runs the cluster with buffers and WAL sized to the machine, not PostgreSQL’s small defaults', async () => {
    const wanted = embeddedSettings(availableMemory());
    const [rows] = await running!.engine.db.sequelize.query(
      `SELECT name, setting, unit FROM pg_settings
        WHERE name IN ('shared_buffers', 'effective_cache_size', 'max_wal_size', 'max_connections')`,
    );
    const shown = Object.fromEntries(
      (rows as { name: string; setting: string; unit: string | null }[]).map((r) => [
        r.name,
        // pg_settings counts memory in its own units (8kB pages, MB): back to MB for the comparison.
        r.unit === '8kB'
          ? `${(Number(r.setting) * 8) / 1024}MB`
          : r.unit
            ? `${r.setting}${r.unit}`
            : r.setting,
      ]),
    );
    expect(shown).toEqual({
      shared_buffers: wanted.shared_buffers,
      effective_cache_size: wanted.effective_cache_size,
      max_wal_size: '4096MB',
      max_connections: wanted.max_connections,
    });
  });

  it('backs up through the API and from the CLI while the server runs on the same cluster', async () => {
    const admin = await signIn(running!);
    expect((await admin.request('POST', '/api/units', { code: 'E1', name: '一号单位' })).status).toBe(201);
    const data = await sharp({ create: { width: 600, height: 800, channels: 3, background: '#3366aa' } })
      .jpeg()
      .toBuffer();
    const uploaded = await admin.upload('/api/events/EXPO2026/photos', {
      file: { fileName: 'p.jpg', data, type: 'image/jpeg' },
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const stored = await admin.download(`/api/photos/${uploaded.body.photo.id}`);
    photo = { id: uploaded.body.photo.id, sha256: createHash('sha256').update(stored.data).digest('hex') };

    const started = await admin.request('POST', '/api/admin/backups', { kind: 'full' });
    expect(started.status).toBe(202);
    let task: Body;
    do {
      await new Promise((r) => setTimeout(r, 50));
      task = (await admin.request('GET', `/api/tasks/${started.body.task.id}`)).body.task;
    } while (task.status === 'queued' || task.status === 'running');
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    expect(task.result.dir).toBe(path.join(dataDir, 'backups', task.result.id));

    expect((await admin.request('POST', '/api/units', { code: 'E2', name: '二号单位' })).status).toBe(201);
    const cli = await runCli(['backup', 'incremental'], env());
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    expect(cli.stdout).toContain('已完成增量备份');

    const list = await runCli(['backup', 'list'], env());
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/全量[\s\S]*└ 增量 #1/);
  });

  it('refuses to restore while the server runs on the data folder', async () => {
    const cli = await runCli(['restore'], env());
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(
      `Tessera 服务器正在使用数据目录 ${dataDir}（进程 ${process.pid}）：请先停止服务器，再恢复`,
    );
  });

  it('with everything but the backups gone, restores the cluster, blobs and keys; the server starts on it', async () => {
    await running!.stop();
    running = undefined;
    const keys = await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8');
    for (const name of await fs.readdir(dataDir)) {
      if (name !== 'backups') await fs.rm(path.join(dataDir, name), { recursive: true, force: true });
    }

    const cli = await runCli(['restore'], env());
    expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    expect(await fs.readFile(path.join(dataDir, 'secrets.json'), 'utf8')).toBe(keys);

    running = await startServer(config, () => undefined);
    const admin = await signIn(running);
    const units = (await admin.request('GET', '/api/units')).body.units.map((u: Body) => u.code);
    expect(units).toEqual(expect.arrayContaining(['E1', 'E2']));
    const image = await admin.download(`/api/photos/${photo.id}`);
    expect(image.status).toBe(200);
    expect(createHash('sha256').update(image.data).digest('hex')).toBe(photo.sha256);
  });
});
