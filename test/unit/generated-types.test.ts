import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { GENERATED_DIR, generateTypes } from '../../core/plugins/gen-types.ts';

describe('core/types/generated', () => {
  it('matches a fresh generation from schemas/ (run `npm run gen:types` after changing a schema)', async () => {
    const fresh = await generateTypes();
    const onDisk = (await fs.readdir(GENERATED_DIR)).filter((f) => f.endsWith('.ts')).sort();
    expect(onDisk).toEqual([...fresh.keys()].sort());
    for (const [name, source] of fresh) {
      const current = await fs.readFile(path.join(GENERATED_DIR, name), 'utf8');
      expect(current, `${name} is out of date`).toBe(source);
    }
  }, 60_000);

  it('names every type from $defs keys, never from Chinese titles', async () => {
    const fresh = await generateTypes();
    const names = [...fresh.values()].flatMap((s) =>
      [...s.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'PluginManifest',
        'FormSchema',
        'CardType',
        'MappingProfile',
        'CardLayout',
        'LayoutElement',
      ]),
    );
    expect(names.filter((n) => /\d$/.test(n ?? ''))).toEqual([]); // no CardFace1-style copies
  }, 60_000);
});
