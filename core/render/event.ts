/**
 * Rendering an event's cards straight from its plugin folder, without the server or the
 * database: what `tessera render` runs. The plugin is found by its event code among the plugin
 * folders; the card type names the layout.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../errors.ts';
import { isBinary } from '../plugins/bundle.ts';
import { loadPluginsDirectory, mediaTypeOf, type LoadedPlugin } from '../plugins/index.ts';
import type { RenderBrowser } from './browser.ts';
import type { CardRecord } from './context.ts';
import { renderCards, type RenderJobOptions, type RenderResult } from './job.ts';
import type { PhotoLoader } from './photos.ts';

/** The loaded plugin whose event code is `eventCode` (case-insensitive). */
export async function findEventPlugin(pluginsDir: string, eventCode: string): Promise<LoadedPlugin> {
  const results = await loadPluginsDirectory(pluginsDir);
  const wanted = eventCode.trim().toUpperCase();
  for (const r of results) {
    if (r.ok && r.plugin.manifest.event.code.toUpperCase() === wanted) return r.plugin;
  }
  const known = results.flatMap((r) => (r.ok ? [r.plugin.manifest.event.code] : []));
  const broken = results.flatMap((r) => (r.ok ? [] : [r.code]));
  throw new TesseraError(
    'event_not_found',
    `在 ${pluginsDir} 中没有活动代码为 ${eventCode} 的插件（已有：${known.join('、') || '无'}` +
      `${broken.length ? `；无效插件：${broken.join('、')}，可用 tessera plugin validate 查看` : ''}）`,
    404,
  );
}

const DATA_URL = /^data:(image\/(?:jpeg|png|webp));base64,([A-Za-z0-9+/=\s]+)$/;

/**
 * Photos given as data URLs or as file paths (relative to `baseDir`). A missing file is a missing
 * photo (the card is marked), not an error of the job.
 */
export function fileOrDataUrlLoader(baseDir: string): PhotoLoader {
  return async (value) => {
    const data = DATA_URL.exec(value.trim());
    if (data) return Buffer.from(data[2]!, 'base64');
    if (value.startsWith('data:')) throw new Error('只支持 JPEG、PNG、WebP 的 base64 data URL');
    try {
      return await readFile(path.resolve(baseDir, value));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
}

/** A plugin's files under assets/ with their media types, as a render job takes them. */
export function pluginAssets(plugin: LoadedPlugin): Record<string, { bytes: Uint8Array; mediaType: string }> {
  const assets: Record<string, { bytes: Uint8Array; mediaType: string }> = {};
  for (const [file, content] of Object.entries(plugin.bundle.files)) {
    const mediaType = mediaTypeOf(file);
    if (file.startsWith('assets/') && isBinary(content) && mediaType)
      assets[file] = { bytes: content, mediaType };
  }
  return assets;
}

export interface EventRenderOptions extends Omit<
  RenderJobOptions,
  'manifest' | 'cardType' | 'layout' | 'form' | 'assets' | 'records' | 'browser'
> {
  plugin: LoadedPlugin;
  cardType: string;
  records: readonly CardRecord[];
  browser: RenderBrowser;
}

/** Renders records with the layout of one of the plugin's card types. */
export async function renderForEvent(o: EventRenderOptions): Promise<RenderResult> {
  const { plugin } = o;
  const wanted = o.cardType.trim().toUpperCase();
  const cardType = plugin.cardTypes.find((t) => t.code.toUpperCase() === wanted);
  if (!cardType) {
    throw new TesseraError(
      'card_type_not_found',
      `活动 ${plugin.manifest.event.code} 没有证件类型 ${o.cardType}（可选：${plugin.cardTypes.map((t) => t.code).join('、')}）`,
      404,
    );
  }
  const layout = plugin.layouts.find((l) => l.code === cardType.layout);
  if (!layout)
    throw new TesseraError(
      'layout_not_found',
      `证件类型 ${cardType.code} 的版式 ${cardType.layout} 不存在`,
      404,
    );
  return renderCards({
    ...o,
    manifest: plugin.manifest,
    cardType,
    layout,
    form: plugin.forms[cardType.recordKind],
    assets: pluginAssets(plugin),
  });
}
