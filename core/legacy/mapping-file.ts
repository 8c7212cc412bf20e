import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AnySchemaObject, ValidateFunction } from 'ajv';
import defsSchema from '../../schemas/defs.schema.json' with { type: 'json' };
import mappingSchema from '../../schemas/mapping.schema.json' with { type: 'json' };
import legacySchema from '../../schemas/legacy-migration.schema.json' with { type: 'json' };
import { TesseraError } from '../errors.ts';
import { issuesFromAjv } from '../plugins/issues.ts';
import type { LoadedPlugin } from '../plugins/index.ts';
import type { LegacyMigrationMapping, RecordSource } from '../types/generated/index.ts';
import { createAjv } from '../validation/ajv.ts';
import { isTimeZone } from './values.ts';

export type { LegacyMigrationMapping, RecordSource };

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const ajv = createAjv({ verbose: true });
    ajv.addSchema(defsSchema as AnySchemaObject);
    ajv.addSchema(mappingSchema as AnySchemaObject);
    validator = ajv.compile(legacySchema as AnySchemaObject);
  }
  return validator;
}

/** `/persons/0/columns/2/field` → `persons[0].columns[2].field`: the key as the person editing the file sees it. */
export function keyPath(pointer: string): string {
  if (pointer === '') return '（整个文件）';
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, t) => (/^\d+$/.test(t) ? `${out}[${t}]` : out ? `${out}.${t}` : t), '');
}

export interface LoadedMapping {
  mapping: LegacyMigrationMapping;
  /** Absolute path of the mapping file; source paths are relative to its folder. */
  file: string;
  dir: string;
  sha256: string;
}

const invalid = (file: string, problems: string[]) =>
  new TesseraError(
    'invalid_mapping',
    `迁移映射文件 ${path.basename(file)} 有 ${problems.length} 处错误：\n${problems.map((p) => `  · ${p}`).join('\n')}`,
    422,
    { problems },
  );

/** Reads and checks a mapping file against schemas/legacy-migration.schema.json; errors name the key. */
export async function loadMappingFile(file: string): Promise<LoadedMapping> {
  const absolute = path.resolve(file);
  const bytes = await fs.readFile(absolute).catch((error: NodeJS.ErrnoException) => {
    throw new TesseraError(
      'file_not_found',
      `无法读取迁移映射文件 ${file}：${error.code === 'ENOENT' ? '文件不存在' : error.message}`,
      422,
    );
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw invalid(absolute, [`不是有效的 JSON：${(error as Error).message}`]);
  }
  const check = validate();
  if (!check(parsed)) {
    const issues = issuesFromAjv(check.errors, { plugin: 'legacy', file: path.basename(absolute) });
    throw invalid(
      absolute,
      issues.map((i) => `${keyPath(i.pointer)}：${i.message}`),
    );
  }
  return {
    mapping: parsed as LegacyMigrationMapping,
    file: absolute,
    dir: path.dirname(absolute),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * What the schema cannot know: the event's card types, forms and fields, the record status a
 * card needs, the time zone, and that every file and folder named is there.
 */
export async function checkAgainstEvent(loaded: LoadedMapping, plugin: LoadedPlugin): Promise<void> {
  const { mapping, dir } = loaded;
  const problems: string[] = [];
  const codes = new Map(plugin.cardTypes.map((t) => [t.code, t]));
  if (!isTimeZone(mapping.timeZone))
    problems.push(`timeZone：“${mapping.timeZone}”不是有效的时区名称，如 Asia/Shanghai`);
  for (const [legacy, code] of Object.entries(mapping.cardTypes)) {
    if (code !== undefined && !codes.has(code))
      problems.push(
        `cardTypes.${legacy}：活动 ${mapping.event} 没有证件类型 "${code}"，可选：${[...codes.keys()].join('、')}`,
      );
  }
  for (const [legacy, target] of Object.entries(mapping.statuses)) {
    if (target?.card && target.record !== 'approved')
      problems.push(`statuses.${legacy}.record：有证件（card: ${target.card}）的记录必须是 approved`);
  }
  const exists = async (p: string, folder: boolean) => {
    const stat = await fs.stat(path.resolve(dir, p)).catch(() => null);
    return folder ? !!stat?.isDirectory() : !!stat?.isFile();
  };
  if (mapping.units && !(await exists(mapping.units.file, false)))
    problems.push(`units.file：找不到文件 ${mapping.units.file}`);
  const sources: [string, string, RecordSource[]][] = [
    ['persons', 'person', mapping.persons ?? []],
    ['vehicles', 'vehicle', mapping.vehicles ?? []],
  ];
  let photoColumn = false;
  for (const [key, kind, list] of sources) {
    const form = plugin.forms[kind];
    if (list.length > 0 && !form) {
      problems.push(`${key}：活动 ${mapping.event} 没有 ${kind} 表单`);
      continue;
    }
    for (const [i, source] of list.entries()) {
      const at = `${key}[${i}]`;
      if (!(await exists(source.file, false))) problems.push(`${at}.file：找不到文件 ${source.file}`);
      if (source.photoFile) photoColumn = true;
      source.columns.forEach((c, j) => {
        if (!form!.properties[c.field])
          problems.push(`${at}.columns[${j}].field：${kind} 表单没有字段 "${c.field}"`);
        if (c.field === 'cardType')
          problems.push(`${at}.columns[${j}].field：证件类型请用 ${at}.cardType 列并在 cardTypes 中对照`);
      });
      for (const field of Object.keys(source.fixed ?? {}))
        if (!form!.properties[field]) problems.push(`${at}.fixed.${field}：${kind} 表单没有这个字段`);
    }
  }
  for (const [i, folder] of (mapping.photos ?? []).entries()) {
    if (!(await exists(folder.folder, true)))
      problems.push(`photos[${i}].folder：找不到文件夹 ${folder.folder}`);
    if (folder.match === 'fileColumn' && !photoColumn)
      problems.push(`photos[${i}].match：按文件名匹配照片，但 persons/vehicles 都没有 photoFile 列`);
  }
  if (!mapping.persons?.length && !mapping.vehicles?.length && !mapping.units)
    problems.push('persons / vehicles / units：至少要有一个源文件');
  if (problems.length > 0) throw invalid(loaded.file, problems);
}
