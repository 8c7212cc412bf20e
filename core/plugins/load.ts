import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleChecksum, bundleFromJson } from './bundle.ts';
import type { PluginIssue } from './issues.ts';
import { readPluginFolder } from './read.ts';
import { validatePluginBundle, type PluginLoadResult } from './validate.ts';

function failure(
  code: string,
  source: string,
  errors: PluginIssue[],
  warnings: PluginIssue[] = [],
): PluginLoadResult {
  return { ok: false, code, source, errors, warnings };
}

/** Reads and validates one plugin folder. Never throws for a fault of the plugin. */
export async function loadPluginFolder(dir: string): Promise<PluginLoadResult> {
  const source = path.resolve(dir);
  const name = path.basename(source);
  let read: Awaited<ReturnType<typeof readPluginFolder>>;
  try {
    read = await readPluginFolder(source);
  } catch (error) {
    return failure(name, source, [
      {
        plugin: name,
        file: '.',
        pointer: '',
        code: 'read-error',
        message: `无法读取插件文件夹：${(error as Error).message}`,
        severity: 'error',
      },
    ]);
  }
  const result = validatePluginBundle(read.bundle, { name, source });
  const plugin = result.ok ? result.plugin.code : result.code;
  const readIssues = read.issues.map((i) => ({ ...i, plugin }));
  if (plugin !== name) {
    readIssues.push({
      plugin,
      file: 'plugin.json',
      pointer: '/code',
      code: 'folder-name-mismatch',
      message: `插件代码 "${plugin}" 与文件夹名 "${name}" 不一致`,
      severity: 'warning',
    });
  }
  const readErrors = readIssues.filter((i) => i.severity === 'error');
  const readWarnings = readIssues.filter((i) => i.severity === 'warning');
  if (result.ok && readErrors.length === 0) {
    return { ...result, warnings: [...readWarnings, ...result.warnings] };
  }
  const errors = result.ok ? readErrors : [...readErrors, ...result.errors];
  const warnings = [...readWarnings, ...result.warnings];
  return failure(plugin, source, errors, warnings);
}

/**
 * Loads every sub-folder of `root` as a plugin, in name order. One broken plugin never stops
 * the others; a second plugin with an already-loaded code or event code is refused. Throws
 * only when `root` itself cannot be listed.
 */
export async function loadPluginsDirectory(root: string): Promise<PluginLoadResult[]> {
  const entries = await fs.readdir(root, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const results: PluginLoadResult[] = [];
  const codes = new Map<string, string>();
  const events = new Map<string, string>();
  for (const dir of dirs) {
    const full = path.join(root, dir);
    let result: PluginLoadResult;
    try {
      result = await loadPluginFolder(full);
    } catch (error) {
      // A bug of ours must not stop the other plugins either.
      result = failure(dir, full, [
        {
          plugin: dir,
          file: '.',
          pointer: '',
          code: 'internal-error',
          message: `加载插件时出现内部错误：${(error as Error).message}`,
          severity: 'error',
        },
      ]);
    }
    if (result.ok) {
      const { code, manifest } = result.plugin;
      const clash = codes.get(code) ?? events.get(manifest.event.code);
      if (clash !== undefined) {
        const sameCode = codes.has(code);
        result = failure(
          code,
          full,
          [
            {
              plugin: code,
              file: 'plugin.json',
              pointer: sameCode ? '/code' : '/event/code',
              code: sameCode ? 'duplicate-plugin' : 'duplicate-event',
              message: sameCode
                ? `插件代码 "${code}" 已由 ${clash} 使用`
                : `活动代码 "${manifest.event.code}" 已由 ${clash} 使用`,
              severity: 'error',
            },
          ],
          result.warnings,
        );
      } else {
        codes.set(code, full);
        events.set(manifest.event.code, full);
      }
    }
    results.push(result);
  }
  return results;
}

/**
 * Loads the single-JSON bundle form (schemas/plugin-bundle.schema.json): structure first, then
 * the same validation as a folder. A `checksum` in the bundle must match its content.
 */
export function loadPluginBundleJson(json: unknown, opts: { source?: string } = {}): PluginLoadResult {
  const source = opts.source ?? 'bundle';
  const parsed = bundleFromJson(json);
  if (!parsed.ok) return failure(parsed.errors[0]?.plugin ?? 'bundle', source, parsed.errors);
  const result = validatePluginBundle(parsed.bundle, { name: 'bundle', source });
  if (result.ok && parsed.declaredChecksum && parsed.declaredChecksum !== bundleChecksum(parsed.bundle)) {
    return failure(
      result.plugin.code,
      source,
      [
        {
          plugin: result.plugin.code,
          file: '(bundle)',
          pointer: '/checksum',
          code: 'checksum-mismatch',
          message: '插件包的校验和与内容不符（文件在导出后被改动或已损坏）',
          severity: 'error',
        },
      ],
      result.warnings,
    );
  }
  return result;
}
