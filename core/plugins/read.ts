import fs from 'node:fs/promises';
import path from 'node:path';
import { setBundleSourceInfo, type PluginBundle } from './bundle.ts';
import type { PluginIssue } from './issues.ts';
import { parseJsonText } from './json-source.ts';

/** Files larger than this are refused (a plugin is definitions and a few pictures). */
export const MAX_PLUGIN_FILE_BYTES = 20 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function listFiles(
  root: string,
  rel: string,
  out: string[],
  skipped: Array<{ rel: string; reason: 'symlink' | 'special' }>,
): Promise<void> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'Thumbs.db' || entry.name === 'desktop.ini') continue;
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) skipped.push({ rel: childRel, reason: 'symlink' });
    else if (entry.isDirectory()) await listFiles(root, childRel, out, skipped);
    else if (entry.isFile()) out.push(childRel);
    else skipped.push({ rel: childRel, reason: 'special' });
  }
}

/**
 * Reads a plugin folder into a bundle: `*.json` outside assets/ parsed, everything under
 * assets/ as bytes. Hidden files are ignored; other files, symlinks and unparseable JSON are
 * reported (with line/column for JSON syntax errors). Throws only when `dir` itself cannot be
 * read.
 */
export async function readPluginFolder(
  dir: string,
): Promise<{ bundle: PluginBundle; issues: PluginIssue[] }> {
  const plugin = path.basename(path.resolve(dir));
  const issues: PluginIssue[] = [];
  const issue = (file: string, code: string, message: string, severity: PluginIssue['severity'] = 'error') =>
    issues.push({ plugin, file, pointer: '', code, message, severity });

  // Without a manifest this is not a plugin folder: say that once instead of listing every file in it.
  const hasManifest = await fs
    .stat(path.join(dir, 'plugin.json'))
    .then((s) => s.isFile())
    .catch(() => false);
  if (!hasManifest) {
    await fs.readdir(dir);
    return { bundle: { files: {} }, issues };
  }

  const files: string[] = [];
  const skipped: Array<{ rel: string; reason: 'symlink' | 'special' }> = [];
  await listFiles(dir, '', files, skipped);
  for (const s of skipped) {
    issue(
      s.rel,
      'ignored-file',
      s.reason === 'symlink' ? '符号链接已忽略' : '不是普通文件，已忽略',
      'warning',
    );
  }

  const bundle: PluginBundle = { files: {} };
  const texts = new Map<string, string>();
  const unreadable = new Set<string>();
  for (const rel of files) {
    const isAsset = rel.startsWith('assets/');
    const isJson = !isAsset && rel.toLowerCase().endsWith('.json');
    if (!isAsset && !isJson) {
      issue(rel, 'unknown-file', '不是插件文件（只认 *.json 和 assets/ 下的文件），已忽略', 'warning');
      continue;
    }
    const full = path.join(dir, rel);
    let bytes: Uint8Array;
    try {
      const stat = await fs.stat(full);
      if (stat.size > MAX_PLUGIN_FILE_BYTES) {
        issue(rel, 'file-too-large', `文件过大（${stat.size} 字节，上限 ${MAX_PLUGIN_FILE_BYTES} 字节）`);
        unreadable.add(rel);
        continue;
      }
      bytes = new Uint8Array(await fs.readFile(full));
    } catch (error) {
      issue(rel, 'read-error', `无法读取文件：${(error as Error).message}`);
      unreadable.add(rel);
      continue;
    }
    if (isAsset) {
      bundle.files[rel] = bytes;
      continue;
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      issue(rel, 'invalid-encoding', '文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8');
      unreadable.add(rel);
      continue;
    }
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      issues.push({
        plugin,
        file: rel,
        pointer: '',
        code: 'invalid-json',
        message: `JSON 语法错误（第 ${parsed.position.line} 行第 ${parsed.position.column} 列）：${parsed.message}`,
        severity: 'error',
        line: parsed.position.line,
        column: parsed.position.column,
      });
      unreadable.add(rel);
      continue;
    }
    bundle.files[rel] = parsed.value;
    texts.set(rel, text);
  }
  setBundleSourceInfo(bundle, { texts, unreadable });
  return { bundle, issues };
}
