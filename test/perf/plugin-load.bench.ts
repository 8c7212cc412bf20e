import path from 'node:path';
import { bench, describe } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { loadPluginFolder, loadPluginsDirectory } from '../../core/plugins/index.ts';

// Plugin loading runs at every start and on every designer save; it must stay well under a second.
describe('plugin host', () => {
  bench('load and validate demo-expo', async () => {
    const result = await loadPluginFolder(path.join(repoRoot, 'plugins', 'demo-expo'));
    if (!result.ok) throw new Error('demo-expo no longer validates');
  });
  bench('load the whole plugins/ folder', async () => {
    await loadPluginsDirectory(path.join(repoRoot, 'plugins'));
  });
});
