import { createHash } from 'node:crypto';
import type { BundleBinaryFile, PluginBundleJson } from '../types/generated/index.ts';
import { contractValidator } from './contract.ts';
import { issuesFromAjv, type PluginIssue } from './issues.ts';

/** A plugin in memory: path inside the plugin → parsed JSON, or bytes for files under assets/. */
export interface PluginBundle {
  files: Record<string, unknown | Uint8Array>;
}

export const BUNDLE_FORMAT = 'tessera-plugin-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

/** Asset types a plugin may carry, by extension. */
export const ASSET_MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  woff2: 'font/woff2',
  woff: 'font/woff',
  ttf: 'font/ttf',
  otf: 'font/otf',
};

export function mediaTypeOf(filePath: string): string | undefined {
  const dot = filePath.lastIndexOf('.');
  return dot < 0 ? undefined : ASSET_MEDIA_TYPES[filePath.slice(dot + 1).toLowerCase()];
}

export function isBinary(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted at every level: one spelling per value, for checksums. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The single-JSON form of a bundle (schemas/plugin-bundle.schema.json); files in path order. */
export function bundleToJson(
  bundle: PluginBundle,
  meta: { exportedAt?: string; checksum?: string } = {},
): PluginBundleJson {
  const files: PluginBundleJson['files'] = {};
  for (const filePath of Object.keys(bundle.files).sort()) {
    const content = bundle.files[filePath];
    if (isBinary(content)) {
      const entry: BundleBinaryFile = {
        base64: base64(content),
        mediaType: mediaTypeOf(filePath) ?? 'application/octet-stream',
      };
      files[filePath] = entry;
    } else {
      files[filePath] = content as Record<string, unknown>;
    }
  }
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    ...(meta.exportedAt ? { exportedAt: meta.exportedAt } : {}),
    ...(meta.checksum ? { checksum: meta.checksum } : {}),
    files,
  };
}

/** sha256 of the canonical bundle JSON (without export metadata): equal content, equal checksum. */
export function bundleChecksum(bundle: PluginBundle): string {
  return sha256Hex(canonicalJson(bundleToJson(bundle)));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type BundleFromJsonResult =
  { ok: true; bundle: PluginBundle; declaredChecksum?: string } | { ok: false; errors: PluginIssue[] };

/**
 * Reads the single-JSON form, validated against schemas/plugin-bundle.schema.json; base64
 * assets become bytes. Contents are not validated here: pass the bundle to
 * validatePluginBundle (or use loadPluginBundleJson, which does both).
 */
export function bundleFromJson(json: unknown, opts: { name?: string } = {}): BundleFromJsonResult {
  const plugin = opts.name ?? guessCode(json) ?? 'bundle';
  const validate = contractValidator('pluginBundle');
  if (!validate(json)) {
    return { ok: false, errors: issuesFromAjv(validate.errors, { plugin, file: '(bundle)' }) };
  }
  const data = json as PluginBundleJson;
  const files: PluginBundle['files'] = {};
  const errors: PluginIssue[] = [];
  for (const [filePath, content] of Object.entries(data.files)) {
    if (filePath.startsWith('assets/')) {
      const b64 = (content as BundleBinaryFile).base64.replace(/\s+/g, '');
      if (!BASE64.test(b64)) {
        errors.push({
          plugin,
          file: '(bundle)',
          pointer: `/files/${filePath.replace(/~/g, '~0').replace(/\//g, '~1')}/base64`,
          code: 'invalid-base64',
          message: `${filePath} 的 base64 内容无效`,
          severity: 'error',
        });
        continue;
      }
      files[filePath] = new Uint8Array(Buffer.from(b64, 'base64'));
    } else {
      files[filePath] = content;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, bundle: { files }, ...(data.checksum ? { declaredChecksum: data.checksum } : {}) };
}

function guessCode(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const files = (json as { files?: unknown }).files;
  if (files === null || typeof files !== 'object') return undefined;
  const manifest = (files as Record<string, unknown>)['plugin.json'];
  if (manifest === null || typeof manifest !== 'object') return undefined;
  const code = (manifest as { code?: unknown }).code;
  return typeof code === 'string' && /^[a-z][a-z0-9-]{1,63}$/.test(code) ? code : undefined;
}

/**
 * What the folder reader knows beyond the bundle itself: the JSON source texts (to turn
 * pointers into line/column) and the files it could not parse (already reported, so not
 * "missing" again). Kept beside the bundle, not in it, so bundles stay plain data.
 */
export interface BundleSourceInfo {
  texts: Map<string, string>;
  unreadable: Set<string>;
}

const sourceInfo = new WeakMap<PluginBundle, BundleSourceInfo>();

export function setBundleSourceInfo(bundle: PluginBundle, info: BundleSourceInfo): void {
  sourceInfo.set(bundle, info);
}

export function getBundleSourceInfo(bundle: PluginBundle): BundleSourceInfo | undefined {
  return sourceInfo.get(bundle);
}
