import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, repoRoot } from '../../core/config.ts';
import { startServer, type RunningServer } from '../../server/serve.ts';
import { runCli } from '../support/cli.ts';
import { ApiClient } from '../support/harness.ts';

describe('tessera plugin validate', () => {
  it('accepts both bundled plugins', async () => {
    for (const name of ['demo-expo', 'city-marathon']) {
      const result = await runCli(['plugin', 'validate', path.join(repoRoot, 'plugins', name)]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('有效');
    }
  });

  it('rejects a broken plugin with exit 1, naming the file and JSON pointer', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'tessera-broken-')), 'demo-expo');
    await cp(path.join(repoRoot, 'plugins', 'demo-expo'), dir, { recursive: true });
    const cardTypesFile = path.join(dir, 'card-types.json');
    const cardTypes = JSON.parse(await readFile(cardTypesFile, 'utf8'));
    cardTypes.cardTypes[0].importanceLevel = 'high';
    await writeFile(cardTypesFile, JSON.stringify(cardTypes, null, 2));
    const result = await runCli(['plugin', 'validate', dir, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.issues).toContainEqual(
      expect.objectContaining({
        file: 'card-types.json',
        pointer: '/cardTypes/0/importanceLevel',
        code: 'wrong-type',
      }),
    );
  });
});

describe('the CLI and a running server share one embedded PostgreSQL', () => {
  let running: RunningServer | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  it('adds a unit and a user through the CLI while the server runs, and the server sees them', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-shared-'));
    const env = {
      TESSERA_DATA_DIR: dataDir,
      DATABASE_URL: '',
      TESSERA_ADMIN_PASSWORD: 'Shared-Admin-Passw0rd',
    };
    running = await startServer({ ...loadConfig(env), port: 0 }, () => undefined);
    expect(running.engine.db.embedded?.owned).toBe(true);

    const unit = await runCli(['unit', 'add', 'SH01', '上海市某某委员会'], env);
    expect(unit.code, unit.stderr).toBe(0);
    const user = await runCli(
      ['user', 'add', 'sh-clerk', '--role', 'unit', '--unit', 'SH01', '--password', 'ShClerk-Passw0rd'],
      env,
    );
    expect(user.code, user.stderr).toBe(0);
    const duplicate = await runCli(['unit', 'add', 'SH01', '重复'], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('已存在');

    // The CLI attached to the server's instance and left it running.
    const client = new ApiClient(running.url);
    expect((await client.request('GET', '/api/health')).body.status).toBe('ok');
    const login = await client.login('sh-clerk', 'ShClerk-Passw0rd');
    expect(login.status).toBe(200);
    expect(login.body.user.unit.code).toBe('SH01');
  });
});
