/**
 * Generates TypeScript types from the plugin contract (schemas/*.schema.json) with
 * json-schema-to-typescript, into core/types/generated/. Run with `npm run gen:types` or
 * `node --import tsx core/plugins/gen-types.ts`.
 *
 * Shared definitions (schemas/defs.schema.json) become core/types/generated/defs.ts; the other
 * schemas import them from there instead of repeating them, so every type has one name. `$ref`s
 * are resolved here, from the local files: nothing is fetched from the network.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import prettier from 'prettier';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const SCHEMAS_DIR = path.join(repoRoot, 'schemas');
export const GENERATED_DIR = path.join(repoRoot, 'core', 'types', 'generated');

/** Schema file → generated file and the name of its root type (null: definitions only). */
export const SCHEMA_TARGETS: ReadonlyArray<{ schema: string; out: string; rootType: string | null }> = [
  { schema: 'defs.schema.json', out: 'defs.ts', rootType: null },
  { schema: 'manifest.schema.json', out: 'manifest.ts', rootType: 'PluginManifest' },
  { schema: 'form.schema.json', out: 'form.ts', rootType: 'FormSchema' },
  { schema: 'card-types.schema.json', out: 'card-types.ts', rootType: 'CardTypesFile' },
  { schema: 'mapping.schema.json', out: 'mapping.ts', rootType: 'MappingProfile' },
  { schema: 'layout.schema.json', out: 'layout.ts', rootType: 'CardLayout' },
  { schema: 'plugin-bundle.schema.json', out: 'plugin-bundle.ts', rootType: 'PluginBundleJson' },
  { schema: 'legacy-migration.schema.json', out: 'legacy-migration.ts', rootType: 'LegacyMigrationMapping' },
];

/** `mapping.schema.json#/$defs/x`: a definition of another generated schema, imported from its file. */
const OTHER_REF = /^([a-z][a-z0-9-]*\.schema\.json)#\/\$defs\/(\w+)$/;

const DEFS_REF = 'defs.schema.json#/$defs/';
const LOCAL_REF = '#/$defs/';
const PRETTIER_OPTIONS: prettier.Options = {
  parser: 'typescript',
  printWidth: 110,
  singleQuote: true,
  trailingComma: 'all',
};

type SchemaNode = Record<string, unknown>;

function isObject(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeNameForDef(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Keywords whose value is a map of subschemas / one subschema / a list of subschemas. */
const MAP_KEYWORDS = ['properties', 'patternProperties', '$defs'];
const ONE_KEYWORDS = [
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contains',
];
const LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/**
 * Prepares one schema for json-schema-to-typescript:
 * - a `$ref` into defs.schema.json becomes `tsType: <Name>` (imported from ./defs.ts), a local
 *   `#/$defs/x` with sibling keywords becomes `tsType: X` (emitted in the same file: every $def
 *   is emitted), so that its description does not spawn a copy such as `CardFace1`;
 * - `title`s are folded into the description: type names come from `$defs` keys and
 *   SCHEMA_TARGETS only, never from (Chinese) titles.
 * The walk follows schema keywords only, so a property that happens to be called `title`
 * (form.schema.json has one) is left alone.
 */
function prepare(
  node: SchemaNode,
  imports: Set<string>,
  others = new Map<string, Set<string>>(),
): SchemaNode {
  const out: SchemaNode = {};
  const ref = node.$ref;
  if (typeof ref === 'string') {
    // A $ref names its target type directly. (Letting the ref parser inline a $ref that has a
    // sibling `description` would produce copies such as `CardFace1`.)
    let name: string;
    if (ref.startsWith(DEFS_REF)) {
      name = typeNameForDef(ref.slice(DEFS_REF.length));
      imports.add(name);
    } else if (OTHER_REF.test(ref) && SCHEMA_TARGETS.some((t) => t.schema === OTHER_REF.exec(ref)![1])) {
      const [, file, key] = OTHER_REF.exec(ref)!;
      const out = SCHEMA_TARGETS.find((t) => t.schema === file)!.out;
      name = typeNameForDef(key!);
      others.set(out, (others.get(out) ?? new Set()).add(name));
    } else if (ref.startsWith(LOCAL_REF)) {
      // A bare local $ref is left to json-schema-to-typescript (it keeps `allOf: [$ref]` as an
      // intersection, which a `tsType` would lose).
      if (Object.keys(node).length === 1) return { $ref: ref };
      name = typeNameForDef(ref.slice(LOCAL_REF.length));
    } else {
      throw new Error(`gen-types: 不支持的 $ref "${ref}"`);
    }
    out.tsType = name;
    if (typeof node.description === 'string') out.description = node.description;
    return out;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'title') continue;
    if (MAP_KEYWORDS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isObject(v) ? prepare(v, imports, others) : v]),
      );
    } else if (ONE_KEYWORDS.includes(key) && isObject(value)) {
      out[key] = prepare(value, imports, others);
    } else if (LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
      out[key] = value.map((v: unknown) => (isObject(v) ? prepare(v, imports, others) : v));
    } else {
      out[key] = value;
    }
  }
  // An object schema that says nothing about its properties holds arbitrary JSON.
  if (
    node.type === 'object' &&
    node.properties === undefined &&
    node.patternProperties === undefined &&
    node.additionalProperties === undefined
  ) {
    out.additionalProperties = true;
  }
  if (typeof node.title === 'string') {
    out.description =
      typeof node.description === 'string' ? `${node.title}\n\n${node.description}` : node.title;
  }
  return out;
}

function banner(schemaFile: string): string {
  return [
    '/* eslint-disable */',
    '/**',
    ` * Generated from schemas/${schemaFile} by core/plugins/gen-types.ts, do not edit.`,
    ' * Change the schema and run `npm run gen:types`.',
    ' */',
  ].join('\n');
}

async function readSchema(file: string): Promise<SchemaNode> {
  const parsed: unknown = JSON.parse(await fs.readFile(path.join(SCHEMAS_DIR, file), 'utf8'));
  if (!isObject(parsed)) throw new Error(`schemas/${file}: 不是 JSON 对象`);
  return parsed;
}

async function generateOne(target: (typeof SCHEMA_TARGETS)[number]): Promise<string> {
  const raw = await readSchema(target.schema);
  const imports = new Set<string>();
  const others = new Map<string, Set<string>>();
  const prepared = prepare(raw, imports, others);
  if (target.rootType === null) {
    // A definitions-only schema: emit every $def, and no root type.
    delete prepared.$id;
    prepared.type = 'object';
    prepared.properties = {};
    prepared.additionalProperties = false;
  }
  const rootName = target.rootType ?? 'SharedDefinitions';
  let ts = await compile(prepared as JSONSchema, rootName, {
    bannerComment: '',
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
    ignoreMinAndMaxItems: true,
    // Every $ref became a `tsType`, so $defs are "unreachable": emit them all.
    unreachableDefinitions: true,
    declareExternallyReferenced: true,
    format: false,
    // Only local "#/$defs/…" refs are left (see prepare); refuse anything reaching a file or URL.
    $refOptions: { resolve: { external: false } },
    cwd: SCHEMAS_DIR,
    customName: (schema, keyNameFromDefinition) => {
      if (keyNameFromDefinition) return typeNameForDef(keyNameFromDefinition);
      if (schema === prepared || (isObject(schema) && schema.$id === prepared.$id && prepared.$id)) {
        return rootName;
      }
      return undefined;
    },
  });
  if (target.rootType === null) {
    // The comments may still say "referenced by `SharedDefinitions`"; the empty type itself goes.
    ts = ts.replace(/export interface SharedDefinitions \{\s*\}\n?/, '');
    if (/export interface SharedDefinitions/.test(ts)) throw new Error('gen-types: 未能去掉 defs 的根类型');
  }
  const importLine =
    (imports.size > 0 ? `import type { ${[...imports].sort().join(', ')} } from './defs.ts';\n` : '') +
    [...others]
      .map(([file, names]) => `import type { ${[...names].sort().join(', ')} } from './${file}';\n`)
      .join('') +
    (imports.size > 0 || others.size > 0 ? '\n' : '');
  return prettier.format(`${banner(target.schema)}\n\n${importLine}${ts}`, PRETTIER_OPTIONS);
}

function exportedNames(source: string): string[] {
  return [...source.matchAll(/^export (?:declare )?(?:interface|type|const enum|enum) (\w+)/gm)].map(
    (m) => m[1]!,
  );
}

/** Generated file name → TypeScript source, including index.ts. */
export async function generateTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const target of SCHEMA_TARGETS) {
    const source = await generateOne(target);
    for (const name of exportedNames(source)) {
      const previous = owners.get(name);
      if (previous) {
        throw new Error(
          `gen-types: 类型名 ${name} 同时出现在 ${previous} 和 ${target.out} 中，请改 $defs 键名`,
        );
      }
      owners.set(name, target.out);
    }
    files.set(target.out, source);
  }
  const index = [
    '/**',
    ' * Generated from schemas/*.schema.json by core/plugins/gen-types.ts, do not edit.',
    ' */',
    ...SCHEMA_TARGETS.map((t) => `export type * from './${t.out}';`),
    '',
  ].join('\n');
  files.set('index.ts', await prettier.format(index, PRETTIER_OPTIONS));
  return files;
}

/** Writes core/types/generated/*.ts, removing stale generated files. Returns the written paths. */
export async function writeGeneratedTypes(outDir: string = GENERATED_DIR): Promise<string[]> {
  const files = await generateTypes();
  await fs.mkdir(outDir, { recursive: true });
  for (const existing of await fs.readdir(outDir)) {
    if (existing.endsWith('.ts') && !files.has(existing)) await fs.rm(path.join(outDir, existing));
  }
  const written: string[] = [];
  for (const [name, source] of files) {
    const file = path.join(outDir, name);
    await fs.writeFile(file, source, 'utf8');
    written.push(file);
  }
  return written;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  writeGeneratedTypes().then(
    (written) => {
      for (const file of written) console.log(`已生成 ${path.relative(repoRoot, file)}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
