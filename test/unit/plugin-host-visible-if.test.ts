import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPluginFolder, type PluginIssue, type PluginLoadResult } from '../../core/plugins/index.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

let tmpRoot: string;
beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-visible-if-'));
});
afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

interface FieldJson {
  'x-visibleIf'?: unknown;
}
interface FormJson {
  properties: Record<string, FieldJson>;
}

let copies = 0;
/** demo-expo with its person form edited. */
async function expoWith(edit: (form: FormJson) => void): Promise<PluginLoadResult> {
  const dir = path.join(tmpRoot, String(++copies), 'demo-expo');
  await fs.cp(path.join(repoRoot, 'plugins', 'demo-expo'), dir, { recursive: true });
  const file = path.join(dir, 'forms', 'person.json');
  const form = JSON.parse(await fs.readFile(file, 'utf8')) as FormJson;
  edit(form);
  await fs.writeFile(file, `${JSON.stringify(form, null, 2)}\n`);
  return loadPluginFolder(dir);
}

function issuesOf(result: PluginLoadResult): PluginIssue[] {
  return result.ok ? result.warnings : [...result.errors, ...result.warnings];
}

function at(result: PluginLoadResult, pointer: string, code: string): PluginIssue | undefined {
  return issuesOf(result).find(
    (i) => i.file === 'forms/person.json' && i.pointer === pointer && i.code === code,
  );
}

describe('x-visibleIf in a form', () => {
  it('the bundled demo-expo person form uses it and loads clean', async () => {
    const result = await expoWith(() => undefined);
    expect(result.ok).toBe(true);
    expect(issuesOf(result)).toEqual([]);
  });

  it('an unknown controlling field is an error at the pointer of `field`', async () => {
    const result = await expoWith((f) => {
      f.properties.nationality!['x-visibleIf'] = { field: 'passportType', in: ['4'] };
    });
    expect(result.ok).toBe(false);
    const issue = at(result, '/properties/nationality/x-visibleIf/field', 'unknown-field');
    expect(issue?.severity).toBe('error');
    expect(issue?.message).toContain('passportType');
  });

  it('a field cannot depend on itself, nor in a cycle', async () => {
    const self = await expoWith((f) => {
      f.properties.nationality!['x-visibleIf'] = { field: 'nationality', in: ['x'] };
    });
    expect(at(self, '/properties/nationality/x-visibleIf/field', 'visible-if-self')?.severity).toBe('error');

    const cycle = await expoWith((f) => {
      f.properties.idType!['x-visibleIf'] = { field: 'nationality', notIn: ['中国'] };
    });
    expect(at(cycle, '/properties/idType/x-visibleIf/field', 'visible-if-cycle')?.severity).toBe('error');
  });

  it('both `in` and `notIn`, or neither, fails the contract', async () => {
    const both = await expoWith((f) => {
      f.properties.nationality!['x-visibleIf'] = { field: 'idType', in: ['4'], notIn: ['1'] };
    });
    expect(both.ok).toBe(false);
    expect(issuesOf(both).some((i) => i.pointer.startsWith('/properties/nationality/x-visibleIf'))).toBe(
      true,
    );
    const neither = await expoWith((f) => {
      f.properties.nationality!['x-visibleIf'] = { field: 'idType' };
    });
    expect(neither.ok).toBe(false);
  });

  it('a value that is not an option of the controlling field is a warning', async () => {
    const result = await expoWith((f) => {
      f.properties.nationality!['x-visibleIf'] = { field: 'idType', in: ['4', '护照'] };
    });
    expect(result.ok).toBe(true);
    expect(at(result, '/properties/nationality/x-visibleIf/in/1', 'unknown-option')?.severity).toBe(
      'warning',
    );
  });
});
