import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { repoRoot } from '../../core/config.ts';

/** Builds the designer into a temp folder, so a test never serves a stale designer/dist. */
export async function buildDesigner(): Promise<string> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-designer-'));
  await build({
    configFile: path.join(repoRoot, 'designer', 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
