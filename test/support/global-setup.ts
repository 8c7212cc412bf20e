import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../../core/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection to the test PostgreSQL; each test file creates its own database on it. */
    databaseUrl: string;
  }
}

let embedded: EmbeddedHandle | undefined;
let dataDir: string | undefined;

/** One real PostgreSQL for the whole run: DATABASE_URL when given, else an embedded one in a temp folder. */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return;
  }
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-test-pg-'));
  embedded = await startEmbeddedPostgres({ dataDir, role: 'test', database: 'postgres' });
  project.provide('databaseUrl', embedded.url);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
