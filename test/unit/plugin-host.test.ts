import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PluginRegistry,
  bundleFromJson,
  bundleToJson,
  collectLayoutBindings,
  formatIssue,
  loadPluginBundleJson,
  loadPluginFolder,
  loadPluginsDirectory,
  readPluginFolder,
  templateFieldNames,
  validatePluginBundle,
  type CardLayout,
  type LoadedPlugin,
  type PluginIssue,
  type PluginLoadResult,
} from '../../core/plugins/index.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const pluginsDir = path.join(repoRoot, 'plugins');

let tmpRoot: string;
beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tessera-plugin-host-'));
});
afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

let copies = 0;
/** Copies a bundled plugin to <tmp>/<n>/<code> (folder name = plugin code) and returns the copy. */
async function copyPlugin(code: string): Promise<string> {
  const dest = path.join(tmpRoot, String(++copies), code);
  await fs.cp(path.join(pluginsDir, code), dest, { recursive: true });
  return dest;
}

async function editJson(dir: string, file: string, edit: (json: Record<string, unknown>) => void) {
  const full = path.join(dir, file);
  const json = JSON.parse(await fs.readFile(full, 'utf8')) as Record<string, unknown>;
  edit(json);
  await fs.writeFile(full, `${JSON.stringify(json, null, 2)}\n`);
}

/** Loose access into parsed plugin JSON for mutations. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are edited as untyped JSON on purpose
type Json = any;

function expectFailure(result: PluginLoadResult): Extract<PluginLoadResult, { ok: false }> {
  if (result.ok) throw new Error('expected the plugin to be rejected');
  return result;
}

function expectLoaded(result: PluginLoadResult): LoadedPlugin {
  if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
  return result.plugin;
}

function find(issues: PluginIssue[], file: string, pointer: string, code: string): PluginIssue {
  const hit = issues.find((i) => i.file === file && i.pointer === pointer && i.code === code);
  if (!hit) {
    throw new Error(
      `no ${code} at ${file}#${pointer}; got:\n${issues.map((i) => `${i.file}#${i.pointer} ${i.code}`).join('\n')}`,
    );
  }
  return hit;
}

describe('bundled plugins', () => {
  it.each(['demo-expo', 'city-marathon'])('%s loads with no errors and no warnings', async (code) => {
    const result = await loadPluginFolder(path.join(pluginsDir, code));
    const plugin = expectLoaded(result);
    expect(result.warnings).toEqual([]);
    expect(plugin.code).toBe(code);
    expect(plugin.version).toBe('1.0.0');
    expect(Object.keys(plugin.forms).sort()).toEqual(['person', 'vehicle']);
    expect(plugin.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(plugin.source).toBe(path.join(pluginsDir, code));
    for (const asset of Object.values(plugin.assets)) {
      expect(asset.size).toBeGreaterThan(0);
      expect(asset.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(asset.mediaType).toMatch(/^image\//);
    }
  });

  it('demo-expo has the agreed card types, each with a layout of its record kind', async () => {
    const plugin = expectLoaded(await loadPluginFolder(path.join(pluginsDir, 'demo-expo')));
    expect(plugin.manifest.event.code).toBe('EXPO2026');
    expect(plugin.cardTypes.map((t) => t.code)).toEqual(['VIP', 'STAFF', 'PRESS', 'SERVICE', 'VEHICLE']);
    const vip = plugin.cardTypes.find((t) => t.code === 'VIP')!;
    expect(vip).toMatchObject({ name: '贵宾证', important: true, importanceLevel: 1 });
    expect(plugin.cardTypes.find((t) => t.code === 'VEHICLE')!.recordKind).toBe('vehicle');
    for (const t of plugin.cardTypes) {
      expect(plugin.layouts.find((l) => l.code === t.layout)?.recordKind).toBe(t.recordKind);
    }
    expect(plugin.mappings.map((m) => m.code)).toEqual(['person-standard', 'vehicle-standard']);
    expect(plugin.forms.person!.properties.idNumber!['x-excelHeaders']).toEqual(
      expect.arrayContaining(['身份证号', '身份证号码', '公民身份号码', '证件号码']),
    );
  });

  it('loadPluginsDirectory loads every bundled plugin', async () => {
    const results = await loadPluginsDirectory(pluginsDir);
    expect(results.map((r) => (r.ok ? r.plugin.code : r.code))).toEqual(['city-marathon', 'demo-expo']);
    expect(results.every((r) => r.ok)).toBe(true);
  });
});

describe('broken plugins are rejected with file, pointer and reason', () => {
  it('missing required key in plugin.json', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'plugin.json', (m) => delete m.version);
    const { errors, code } = expectFailure(await loadPluginFolder(dir));
    expect(code).toBe('demo-expo');
    const issue = find(errors, 'plugin.json', '', 'missing-property');
    expect(issue.message).toBe('缺少必需的属性 "version"');
    expect(issue).toMatchObject({ plugin: 'demo-expo', severity: 'error', line: 1, column: 1 });
  });

  it('wrong type: importanceLevel "high"', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'card-types.json', (f: Json) => {
      f.cardTypes[1].importanceLevel = 'high';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    const issue = find(errors, 'card-types.json', '/cardTypes/1/importanceLevel', 'wrong-type');
    expect(issue.message).toContain('应为整数');
    expect(issue.message).toContain('"high"');
    expect(errors).toHaveLength(1);
  });

  it('unknown field in a layout binding', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'layouts/vip.json', (l: Json) => {
      const index = l.front.elements.findIndex((e: Json) => e.id === 'name');
      expect(index).toBe(6);
      l.front.elements[index].field = 'nmae';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    const issue = find(errors, 'layouts/vip.json', '/front/elements/6/field', 'unknown-field');
    expect(issue.message).toMatch(/^字段 "nmae" 不在 person 表单中，也不是系统字段/);
    // The position points at the offending value in the file.
    const text = await fs.readFile(path.join(dir, 'layouts/vip.json'), 'utf8');
    const lines = text.split('\n');
    expect(lines[issue.line! - 1]!.slice(issue.column! - 1)).toMatch(/^"nmae"/);
    expect(formatIssue(issue)).toBe(
      `demo-expo: layouts/vip.json#/front/elements/6/field (第 ${issue.line} 行第 ${issue.column} 列): ${issue.message} (unknown-field)`,
    );
  });

  it('unknown fields in text placeholders, conditions and style rules', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'layouts/staff.json', (l: Json) => {
      l.back.elements[3].text = '通行区域：{{zoneNmes}}';
      l.front.elements[8].visibleIf.field = 'postion';
      l.front.elements[10].styleRules = [
        { when: { field: 'zone', op: 'empty' }, style: { color: '#999999' } },
      ];
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'layouts/staff.json', '/back/elements/3/text', 'unknown-field');
    find(errors, 'layouts/staff.json', '/front/elements/8/visibleIf/field', 'unknown-field');
    find(errors, 'layouts/staff.json', '/front/elements/10/styleRules/0/when/field', 'unknown-field');
    expect(errors).toHaveLength(3);
  });

  it('card type referencing a missing layout and a missing zone', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'card-types.json', (f: Json) => {
      f.cardTypes[2].layout = 'journalist';
      f.cardTypes[0].zones.push('Z9');
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    expect(find(errors, 'card-types.json', '/cardTypes/2/layout', 'unknown-layout').message).toContain(
      '版式 "journalist" 不存在',
    );
    expect(find(errors, 'card-types.json', '/cardTypes/0/zones/5', 'unknown-zone').message).toContain('"Z9"');
  });

  it('card type whose layout is for another record kind', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'card-types.json', (f: Json) => {
      f.cardTypes[4].layout = 'vip';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'card-types.json', '/cardTypes/4/layout', 'record-kind-mismatch');
  });

  it('invalid JSON file: reports line and column, not also "missing"', async () => {
    const dir = await copyPlugin('demo-expo');
    await fs.writeFile(
      path.join(dir, 'layouts/staff.json'),
      '{\n  "code": "staff",\n  "name": "工作证"\n  "recordKind": "person"\n}\n',
    );
    const { errors } = expectFailure(await loadPluginFolder(dir));
    const issue = find(errors, 'layouts/staff.json', '', 'invalid-json');
    expect(issue).toMatchObject({ line: 4, column: 3 });
    expect(issue.message).toContain('第 4 行第 3 列');
    expect(issue.message).toContain('“,”或“}”');
    expect(errors.filter((e) => e.code === 'missing-file')).toEqual([]);
  });

  it('a file the manifest references is missing', async () => {
    const dir = await copyPlugin('demo-expo');
    await fs.rm(path.join(dir, 'mappings/vehicle-standard.json'));
    const { errors } = expectFailure(await loadPluginFolder(dir));
    const issue = find(errors, 'plugin.json', '/mappings/1', 'missing-file');
    expect(issue.message).toBe('引用的文件 mappings/vehicle-standard.json 不存在');
    expect(errors).toHaveLength(1);
  });

  it('a typo x- keyword in a form', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'forms/person.json', (f: Json) => {
      f.properties.name['x-lable'] = f.properties.name['x-label'];
      delete f.properties.name['x-label'];
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    expect(find(errors, 'forms/person.json', '/properties/name/x-lable', 'unknown-property').message).toBe(
      '不允许的属性 "x-lable"（拼写错误？）',
    );
    expect(find(errors, 'forms/person.json', '/properties/name', 'missing-property').message).toContain(
      'x-label',
    );
  });

  it('a form that is not a valid JSON Schema for the project ajv', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'forms/person.json', (f: Json) => {
      f.properties.name.minimum = 1; // strict types: minimum on a string
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    expect(find(errors, 'forms/person.json', '/properties/name', 'form-compile').message).toContain(
      'minimum',
    );

    const dir2 = await copyPlugin('demo-expo');
    await editJson(dir2, 'forms/person.json', (f: Json) => {
      f.allOf[0].then.properties.idNumber.format = 'cn-idnumber';
    });
    const second = expectFailure(await loadPluginFolder(dir2));
    expect(
      find(second.errors, 'forms/person.json', '/allOf/0/then/properties/idNumber', 'form-compile').message,
    ).toContain('cn-idnumber');
  });

  it('form-level checks: widget/type mismatch, required key not in properties', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'forms/vehicle.json', (f: Json) => {
      f.properties.zones.type = 'string';
      delete f.properties.zones.items;
      delete f.properties.zones.uniqueItems;
      f.required.push('trailerPlate');
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'forms/vehicle.json', '/properties/zones/type', 'widget-type-mismatch');
    find(errors, 'forms/vehicle.json', '/required/7', 'unknown-field');
  });

  it('manifest cross-checks: duplicate zone code, zone in an unknown venue, record kind mismatch', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'plugin.json', (m: Json) => {
      m.event.zones[1].code = 'A';
      m.event.zones[2].venue = 'HALL9';
    });
    await editJson(dir, 'forms/vehicle.json', (f: Json) => {
      f['x-recordKind'] = 'car';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'plugin.json', '/event/zones/1/code', 'duplicate-code');
    find(errors, 'plugin.json', '/event/zones/2/venue', 'unknown-venue');
    find(errors, 'forms/vehicle.json', '/x-recordKind', 'record-kind-mismatch');
  });

  it('mapping cross-checks: unknown field, duplicate header, mapped value not an option', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'mappings/person-standard.json', (m: Json) => {
      m.columns[0].field = 'fullName';
      m.columns[2].headers.push('姓名');
      m.columns[1].transforms[1].values['男'] = 'male';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'mappings/person-standard.json', '/columns/0/field', 'unknown-field');
    find(errors, 'mappings/person-standard.json', '/columns/2/headers/1', 'duplicate-header');
    find(errors, 'mappings/person-standard.json', '/columns/1/transforms/1/values/男', 'invalid-option');
  });

  it('layout cross-checks: missing asset, wrong preset size, duplicate element id', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'layouts/press.json', (l: Json) => {
      l.front.background.image = 'assets/bg-press.png';
      l.size.widthMm = 85.6;
      l.front.elements[1].id = 'logo';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'layouts/press.json', '/front/background/image', 'missing-asset');
    find(errors, 'layouts/press.json', '/size', 'size-mismatch');
    find(errors, 'layouts/press.json', '/front/elements/1/id', 'duplicate-id');
  });

  it('numbering collisions, unsafe templates, QR source and unused layouts', async () => {
    const dir = await copyPlugin('demo-expo');
    await editJson(dir, 'card-types.json', (f: Json) => {
      f.cardTypes[3].numbering.pattern = 'VIP-{seq:5}'; // same numbers as VIP
    });
    await editJson(dir, 'layouts/service.json', (l: Json) => {
      l.back.elements[3].text = '申报单位：{{{unitName}}}';
      l.front.elements[11].value = 'https://verify.example.cn/{{verifyToken}}';
    });
    await editJson(dir, 'layouts/press.json', (l: Json) => {
      l.code = 'press-old';
    });
    const { errors, warnings } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'card-types.json', '/cardTypes/3/numbering/pattern', 'numbering-collision');
    find(errors, 'layouts/service.json', '/back/elements/3/text', 'unsafe-template');
    find(errors, 'layouts/service.json', '/front/elements/11', 'qrcode-source');
    find(errors, 'card-types.json', '/cardTypes/2/layout', 'unknown-layout');
    find(warnings, 'layouts/press.json', '/code', 'unused-layout');
  });

  it('an unknown element type is reported once, at the element', async () => {
    const dir = await copyPlugin('city-marathon');
    await editJson(dir, 'layouts/athlete.json', (l: Json) => {
      l.front.elements[0].type = 'stripe';
    });
    const { errors } = expectFailure(await loadPluginFolder(dir));
    expect(find(errors, 'layouts/athlete.json', '/front/elements/0', 'invalid-value').message).toContain(
      '"stripe"',
    );
    expect(errors).toHaveLength(1);
  });

  it('an unreferenced file is a warning, not an error', async () => {
    const dir = await copyPlugin('city-marathon');
    await fs.writeFile(path.join(dir, 'layouts/old.json'), '{}\n');
    await fs.writeFile(path.join(dir, 'assets/unused.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    const result = await loadPluginFolder(dir);
    expectLoaded(result);
    find(result.warnings, 'layouts/old.json', '', 'unreferenced-file');
    find(result.warnings, 'assets/unused.svg', '', 'unreferenced-file');
  });

  it('an asset whose content does not match its extension', async () => {
    const dir = await copyPlugin('demo-expo');
    await fs.writeFile(path.join(dir, 'assets/bg-card.png'), 'not a png');
    const { errors } = expectFailure(await loadPluginFolder(dir));
    find(errors, 'assets/bg-card.png', '', 'invalid-asset');
  });

  it('loadPluginsDirectory: one broken plugin does not stop a good one', async () => {
    const root = path.join(tmpRoot, 'mixed');
    await fs.mkdir(root);
    await fs.cp(path.join(pluginsDir, 'demo-expo'), path.join(root, 'demo-expo'), { recursive: true });
    await fs.cp(path.join(pluginsDir, 'city-marathon'), path.join(root, 'city-marathon'), {
      recursive: true,
    });
    await fs.writeFile(path.join(root, 'city-marathon', 'plugin.json'), '{ "code": "city-marathon", ');
    await fs.mkdir(path.join(root, 'empty'));
    const results = await loadPluginsDirectory(root);
    expect(results).toHaveLength(3);
    const [marathon, demo, empty] = results as [PluginLoadResult, PluginLoadResult, PluginLoadResult];
    const broken = expectFailure(marathon);
    expect(broken.code).toBe('city-marathon');
    find(broken.errors, 'plugin.json', '', 'invalid-json');
    expect(expectLoaded(demo).code).toBe('demo-expo');
    find(expectFailure(empty).errors, 'plugin.json', '', 'missing-file');
  });

  it('a second plugin for the same event is refused', async () => {
    const root = path.join(tmpRoot, 'dupe-event');
    await fs.mkdir(root);
    await fs.cp(path.join(pluginsDir, 'demo-expo'), path.join(root, 'demo-expo'), { recursive: true });
    await fs.cp(path.join(pluginsDir, 'demo-expo'), path.join(root, 'demo-expo-copy'), { recursive: true });
    await editJson(path.join(root, 'demo-expo-copy'), 'plugin.json', (m) => {
      m.code = 'demo-expo-copy';
    });
    const [first, second] = (await loadPluginsDirectory(root)) as [PluginLoadResult, PluginLoadResult];
    expectLoaded(first);
    find(expectFailure(second).errors, 'plugin.json', '/event/code', 'duplicate-event');
  });
});

describe('bundles', () => {
  it('folder → single JSON → bundle loads to the same plugin and checksum', async () => {
    const folder = expectLoaded(await loadPluginFolder(path.join(pluginsDir, 'demo-expo')));
    const json = bundleToJson(folder.bundle, { checksum: folder.checksum });
    expect(json.format).toBe('tessera-plugin-bundle');
    expect(Object.keys(json.files)).toEqual([...Object.keys(json.files)].sort());
    expect(json.files['assets/bg-card.png']).toMatchObject({ mediaType: 'image/png' });
    const roundTrip = JSON.parse(JSON.stringify(json)) as unknown;
    const loaded = expectLoaded(loadPluginBundleJson(roundTrip));
    expect(loaded.checksum).toBe(folder.checksum);
    expect(loaded.source).toBe('bundle');
    expect(loaded.assets).toEqual(folder.assets);
  });

  it('a bundle whose declared checksum does not match is refused', async () => {
    const { bundle, checksum } = expectLoaded(await loadPluginFolder(path.join(pluginsDir, 'city-marathon')));
    const json = bundleToJson(bundle, { checksum }) as Json;
    json.files['card-types.json'].cardTypes[0].quota.total = 9999;
    find(expectFailure(loadPluginBundleJson(json)).errors, '(bundle)', '/checksum', 'checksum-mismatch');
  });

  it('bundleFromJson checks the bundle structure', () => {
    const bad = bundleFromJson({
      format: 'tessera-plugin-bundle',
      formatVersion: 1,
      files: { 'readme.txt': { base64: '', mediaType: 'text/plain' } },
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    find(bad.errors, '(bundle)', '/files', 'missing-property');
    find(bad.errors, '(bundle)', '/files/readme.txt', 'unknown-property');
  });

  it('validatePluginBundle works on an in-memory bundle without a folder', async () => {
    const { bundle } = await readPluginFolder(path.join(pluginsDir, 'city-marathon'));
    const files = structuredClone(bundle.files) as Record<string, Json>;
    files['layouts/badge.json'].front.elements[5].field = 'nmae';
    const result = expectFailure(
      validatePluginBundle({ files }, { name: 'city-marathon', source: 'memory' }),
    );
    const issue = find(result.errors, 'layouts/badge.json', '/front/elements/5/field', 'unknown-field');
    expect(issue.line).toBeUndefined(); // no source text: pointer only
  });
});

describe('registry', () => {
  it('registers, looks up by code and event code, and refuses duplicates', async () => {
    const [a, b] = (await loadPluginsDirectory(pluginsDir)).map(expectLoaded) as [LoadedPlugin, LoadedPlugin];
    const registry = new PluginRegistry();
    registry.register(b);
    registry.register(a);
    expect(registry.list().map((p) => p.code)).toEqual(['city-marathon', 'demo-expo']);
    expect(registry.get('demo-expo')).toBe(b);
    expect(registry.getByEventCode('EXPO2026')).toBe(b);
    expect(registry.getByEventCode('BJMARATHON2026')).toBe(a);
    expect(registry.get('nope')).toBeUndefined();
    expect(() => registry.register(b)).toThrow(/已注册/);
    registry.register(b, { replace: true });
    expect(registry.list()).toHaveLength(2);
  });
});

describe('layout bindings', () => {
  it('templateFieldNames finds fields in mustaches, blocks and helper arguments', () => {
    expect(
      templateFieldNames(
        '姓名 {{name}} {{#if photo}}<img>{{/if}} {{qr verifyToken size=3}} {{! c }} {{@index}}',
      ),
    ).toEqual(['name', 'photo', 'verifyToken']);
  });

  it('collectLayoutBindings lists every bound field with its pointer', async () => {
    const layout = JSON.parse(
      await fs.readFile(path.join(pluginsDir, 'demo-expo/layouts/vehicle.json'), 'utf8'),
    ) as CardLayout;
    const bindings = collectLayoutBindings(layout);
    expect(bindings).toContainEqual({
      field: 'plateNumber',
      pointer: '/front/elements/6/field',
      role: 'field',
    });
    expect(bindings).toContainEqual({
      field: 'verifyUrl',
      pointer: '/front/elements/16/field',
      role: 'qrcode',
    });
    expect(bindings).toContainEqual({ field: 'zoneNames', pointer: '/front/elements/14/text', role: 'text' });
  });
});

describe('formatIssue', () => {
  it('names plugin, file, pointer, reason and code', () => {
    expect(
      formatIssue({
        plugin: 'demo-expo',
        file: 'layouts/vip.json',
        pointer: '/front/elements/3/field',
        code: 'unknown-field',
        message: '字段 "nmae" 不在 person 表单中',
        severity: 'error',
      }),
    ).toBe(
      'demo-expo: layouts/vip.json#/front/elements/3/field: 字段 "nmae" 不在 person 表单中 (unknown-field)',
    );
    expect(
      formatIssue({
        plugin: 'p',
        file: 'layouts/old.json',
        pointer: '',
        code: 'unreferenced-file',
        message: 'plugin.json 没有引用这个文件',
        severity: 'warning',
      }),
    ).toBe('p: layouts/old.json: 警告: plugin.json 没有引用这个文件 (unreferenced-file)');
  });
});
