/**
 * The card designer's service (issue 6): an event's card layouts read from and saved into the
 * event's draft plugin (core/events/setup.ts — publishing is the setup's publish, a new plugin
 * version), checked by the same plugin host that loads plugin folders, background art stored as
 * plugin assets, and previews of the layout as edited — unsaved — with real records of the event,
 * rendered by the one shared Chromium of the process.
 */
import { Op, type WhereOptions } from 'sequelize';
import sharp from 'sharp';
import type { SessionUser } from '../auth/accounts.ts';
import type { AuditActor, AuditLog } from '../audit.ts';
import type { Database } from '../db/connection.ts';
import { likePrefix } from '../db/query-input.ts';
import type { EventRecord } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { EventSetup } from '../events/setup.ts';
import type { Photos } from '../photos/photos.ts';
import {
  loadPluginBundleJson,
  SYSTEM_FIELDS,
  type PluginBundleJson,
  type PluginIssue,
} from '../plugins/index.ts';
import type { Records } from '../records/records.ts';
import { cardContext, optionLabels, todayIn, zoneCodesOf } from '../render/context.ts';
import { CARD_FONTS } from '../render/font-families.ts';
import { renderCards, type RenderReport } from '../render/job.ts';
import type { SharedRenderBrowser } from '../render/shared.ts';
import type {
  CardLayout,
  CardType,
  CardTypesFile,
  FormSchema,
  PluginManifest,
} from '../types/generated/index.ts';
import { LAYOUT_CODE, placeLayoutIssues } from './model.ts';
import { RenderGate } from './render-gate.ts';
import type {
  CardFontView,
  LayoutAsset,
  LayoutCardType,
  LayoutDetail,
  LayoutList,
  LayoutSaveBody,
  PaletteField,
  PreviewBody,
  PreviewProblem,
  PreviewRecord,
  ProofBody,
} from './views.ts';

type Actor = SessionUser & { ip?: string };

/** Largest background art: raster files are print-resolution images; SVG is text. */
export const ASSET_LIMITS = { rasterBytes: 10 * 1024 * 1024, svgBytes: 1024 * 1024 } as const;
/** Records a proof prints at most. */
export const PROOF_MAX_RECORDS = 20;
/**
 * Largest raster art in pixels: an A5 vehicle pass with bleed at 600 ppi is about 18 Mpx. A PNG
 * of a few KB can claim 50 000 × 50 000 pixels and would take the renderer's memory with it.
 */
export const ASSET_MAX_PIXELS = 40_000_000;

const ART_TYPES: Record<string, { mediaType: string; check: (b: Uint8Array) => boolean }> = {
  png: {
    mediaType: 'image/png',
    check: (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  },
  jpg: { mediaType: 'image/jpeg', check: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  jpeg: { mediaType: 'image/jpeg', check: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  svg: {
    mediaType: 'image/svg+xml',
    check: (b) => /<svg[\s>]/.test(new TextDecoder().decode(b.subarray(0, 4096))),
  },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

interface WorkingCopy {
  event: { id: number; code: string; name: string };
  revision: number;
  source: 'draft' | 'published';
  bundle: PluginBundleJson;
  manifest: PluginManifest;
  cardTypes: CardType[];
  /** Layout code → its file and content. */
  layouts: Map<string, { file: string; layout: CardLayout }>;
}

/** The copy of a bundle with one layout file put in (and named by plugin.json) and card types pointed at it. */
function withLayout(
  bundle: PluginBundleJson,
  file: string,
  layout: CardLayout,
  cardTypes?: readonly string[],
): { bundle: PluginBundleJson; changed: Record<string, unknown> } {
  const next = structuredClone(bundle);
  const manifest = next.files['plugin.json'] as unknown as PluginManifest;
  const changed: Record<string, unknown> = { [file]: layout };
  next.files[file] = layout as unknown as PluginBundleJson['files'][string];
  if (!(manifest.layouts ?? []).includes(file)) {
    manifest.layouts = [...(manifest.layouts ?? []), file];
    changed['plugin.json'] = manifest;
  }
  if (cardTypes && typeof manifest.cardTypes === 'string') {
    const ctFile = next.files[manifest.cardTypes] as unknown as CardTypesFile | undefined;
    let touched = false;
    for (const t of ctFile?.cardTypes ?? []) {
      if (cardTypes.includes(t.code) && t.layout !== layout.code) {
        t.layout = layout.code;
        touched = true;
      }
    }
    if (touched) changed[manifest.cardTypes] = ctFile;
  }
  return { bundle: next, changed };
}

/** A raster file that sharp can read and whose size in pixels the renderer can afford. */
async function checkRaster(name: string, bytes: Uint8Array): Promise<void> {
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new TesseraError('invalid_asset', `文件 "${name}" 无法读取（文件已损坏或不是图片）`, 422);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w * h > ASSET_MAX_PIXELS) {
    throw new TesseraError(
      'asset_too_large',
      `图片 "${name}" 有 ${w} × ${h} 像素，超过 ${ASSET_MAX_PIXELS / 1_000_000} 百万像素的限制：证件底图按 300 ppi 导出即可（A5 约 2500 × 1800）`,
      413,
    );
  }
}

function checkBundle(bundle: PluginBundleJson, file: string, layout: unknown) {
  const result = loadPluginBundleJson(bundle, { source: 'card designer' });
  const all: PluginIssue[] = [...(result.ok ? [] : result.errors), ...result.warnings];
  const mine = placeLayoutIssues(
    layout,
    all.filter((i) => i.file === file),
  );
  return {
    issues: mine,
    errors: mine.filter((i) => i.severity === 'error'),
    otherErrors: all.filter((i) => i.file !== file && i.severity === 'error').length,
  };
}

function layoutInvalid(errors: ReturnType<typeof checkBundle>['errors']): TesseraError {
  const first = errors[0]!;
  return new TesseraError(
    'layout_invalid',
    `版式有 ${errors.length} 处错误：${first.message}${errors.length > 1 ? ' 等' : ''}`,
    422,
    { issues: errors },
  );
}

export class CardLayouts {
  /** Previews and proofs in this process: bounded, so they cannot starve the shared Chromium. */
  readonly renders = new RenderGate();

  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly setup: EventSetup,
    private readonly records: Records,
    private readonly photos: Photos,
    private readonly renderer: SharedRenderBrowser,
    private readonly audit?: AuditLog,
  ) {}

  private async working(eventCode: string): Promise<WorkingCopy> {
    const copy = await this.setup.workingCopy(eventCode);
    const files = copy.bundle.files;
    const manifest = files['plugin.json'] as unknown as PluginManifest;
    const ctFile = typeof manifest.cardTypes === 'string' ? files[manifest.cardTypes] : undefined;
    const cardTypes =
      isObject(ctFile) && Array.isArray(ctFile.cardTypes) ? (ctFile.cardTypes as CardType[]) : [];
    const layouts = new Map<string, { file: string; layout: CardLayout }>();
    for (const file of manifest.layouts ?? []) {
      const layout = files[file] as unknown as CardLayout | undefined;
      if (isObject(layout) && typeof layout.code === 'string' && !layouts.has(layout.code))
        layouts.set(layout.code, { file, layout });
    }
    return {
      event: { id: copy.event.id, code: copy.event.code, name: copy.event.name },
      revision: copy.revision,
      source: copy.source,
      bundle: copy.bundle,
      manifest,
      cardTypes,
      layouts,
    };
  }

  private static cardTypeViews(w: WorkingCopy): LayoutCardType[] {
    return w.cardTypes.map((t) => ({
      code: t.code,
      name: t.name,
      recordKind: t.recordKind,
      layout: t.layout,
      color: t.color ?? null,
    }));
  }

  private static assets(w: WorkingCopy): LayoutAsset[] {
    return Object.entries(w.bundle.files)
      .filter(([p]) => p.startsWith('assets/'))
      .map(([path, a]) => {
        const asset = a as { base64: string; mediaType: string };
        return { path, mediaType: asset.mediaType, bytes: Math.floor((asset.base64.length * 3) / 4) };
      });
  }

  async list(eventCode: string): Promise<LayoutList> {
    const w = await this.working(eventCode);
    const result = loadPluginBundleJson(w.bundle, { source: 'card designer' });
    const issues = [...(result.ok ? [] : result.errors), ...result.warnings];
    return {
      event: { code: w.event.code, name: w.event.name },
      revision: w.revision,
      source: w.source,
      layouts: [...w.layouts.values()].map(({ file, layout }) => ({
        code: layout.code,
        name: layout.name,
        file,
        recordKind: layout.recordKind,
        size: layout.size,
        hasBack: !!(layout.back || layout.template?.back),
        advanced: !!(layout.template?.front || layout.template?.back),
        elements: (layout.front?.elements?.length ?? 0) + (layout.back?.elements?.length ?? 0),
        cardTypes: w.cardTypes.filter((t) => t.layout === layout.code).map((t) => t.code),
        errors: issues.filter((i) => i.file === file && i.severity === 'error').length,
        warnings: issues.filter((i) => i.file === file && i.severity === 'warning').length,
      })),
      cardTypes: CardLayouts.cardTypeViews(w),
      recordKinds: (w.manifest.recordKinds ?? []).map((k) => ({ kind: k.kind, label: k.label })),
      assets: CardLayouts.assets(w),
    };
  }

  private detail(w: WorkingCopy, file: string, layout: CardLayout): LayoutDetail {
    const checked = checkBundle(w.bundle, file, layout);
    return {
      revision: w.revision,
      source: w.source,
      file,
      layout,
      cardTypes: CardLayouts.cardTypeViews(w),
      assets: CardLayouts.assets(w),
      issues: checked.issues,
      otherErrors: checked.otherErrors,
    };
  }

  async get(eventCode: string, code: string): Promise<LayoutDetail> {
    const w = await this.working(eventCode);
    const found = w.layouts.get(code);
    if (!found) throw new TesseraError('layout_not_found', `活动 ${eventCode} 没有版式 "${code}"`, 404);
    return this.detail(w, found.file, found.layout);
  }

  /**
   * Saves a layout into the draft: a new layout gets its own file `layouts/<code>.json` named in
   * plugin.json; `cardTypes` are switched to print with it. Refused (422, every problem named by
   * element and property) when the layout itself does not pass the plugin host; problems elsewhere
   * in the draft do not stop the save, only the publish.
   */
  async save(
    eventCode: string,
    code: string,
    body: LayoutSaveBody,
    actor: AuditActor & { userId: number },
  ): Promise<LayoutDetail> {
    if (!LAYOUT_CODE.test(code)) {
      throw new TesseraError(
        'invalid_layout_code',
        `版式代码 "${code}" 无效：以小写字母开头，只含小写字母、数字和 -，最长 40 位`,
        422,
      );
    }
    if (!isObject(body.layout)) throw new TesseraError('invalid_request', '请求缺少 layout（版式内容）');
    if (body.layout.code !== code) {
      throw new TesseraError(
        'layout_code_mismatch',
        `版式内容的 code (${String(body.layout.code)}) 与地址中的 ${code} 不一致`,
        422,
      );
    }
    const w = await this.working(eventCode);
    const file = w.layouts.get(code)?.file ?? `layouts/${code}.json`;
    const cardTypes = Array.isArray(body.cardTypes) ? body.cardTypes.map(String) : undefined;
    for (const ct of cardTypes ?? []) {
      const t = w.cardTypes.find((c) => c.code === ct);
      if (!t) throw new TesseraError('card_type_not_found', `证件类型 ${ct} 不存在`, 422);
      if (t.recordKind !== body.layout.recordKind) {
        throw new TesseraError(
          'record_kind_mismatch',
          `证件类型 ${t.name} 用于 ${t.recordKind}，版式用于 ${String(body.layout.recordKind)}`,
          422,
        );
      }
    }
    const { bundle, changed } = withLayout(w.bundle, file, body.layout, cardTypes);
    const checked = checkBundle(bundle, file, body.layout);
    if (checked.errors.length > 0) throw layoutInvalid(checked.errors);
    await this.setup.saveDraft(eventCode, { revision: body.revision, files: changed }, actor);
    return this.get(eventCode, code);
  }

  /** Fields a layout of `kind` may bind: the form's fields and the engine's system fields. */
  async fields(eventCode: string, kind: string): Promise<PaletteField[]> {
    const w = await this.working(eventCode);
    const rk = (w.manifest.recordKinds ?? []).find((k) => k.kind === kind);
    if (!rk) throw new TesseraError('unknown_record_kind', `本活动没有"${kind}"类记录`, 404);
    const form = w.bundle.files[rk.form] as unknown as FormSchema | undefined;
    const out: PaletteField[] = [];
    for (const [key, raw] of Object.entries(form?.properties ?? {})) {
      const f = raw as { 'x-label'?: string; title?: string; 'x-widget'?: string; type?: string };
      out.push({
        key,
        label: f['x-label'] ?? f.title ?? key,
        group: 'form',
        widget: f['x-widget'] ?? f.type ?? 'text',
      });
    }
    for (const s of SYSTEM_FIELDS) {
      out.push({ key: s.key, label: s.label, group: 'system', widget: 'system', description: s.description });
    }
    return out;
  }

  fonts(): CardFontView[] {
    return CARD_FONTS.map((f) => ({ family: f.family, weights: [...f.weights] }));
  }

  /** An asset of the working copy, for the designer's canvas. */
  async asset(eventCode: string, path: string): Promise<{ bytes: Buffer; mediaType: string }> {
    const w = await this.working(eventCode);
    const entry = path.startsWith('assets/') && !path.includes('..') ? w.bundle.files[path] : undefined;
    if (!isObject(entry) || typeof entry.base64 !== 'string')
      throw new TesseraError('asset_not_found', `资源文件 ${path} 不存在`, 404);
    return { bytes: Buffer.from(entry.base64, 'base64'), mediaType: String(entry.mediaType) };
  }

  /**
   * Stores background art (png, jpg, svg) in the draft under assets/, with a file name made safe
   * for the plugin format. Wrong type, unreadable content or an oversized file get a message that
   * names the file and says what to do.
   */
  async uploadAsset(
    eventCode: string,
    upload: { revision: number; fileName: string; bytes: Uint8Array },
    actor: AuditActor & { userId: number },
  ): Promise<{ asset: LayoutAsset; revision: number }> {
    const name = upload.fileName || '图片';
    const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
    const type = ART_TYPES[ext];
    if (!type) {
      throw new TesseraError(
        'unsupported_asset',
        `文件 "${name}" 的类型不支持：背景图只能是 PNG、JPG 或 SVG`,
        422,
      );
    }
    const limit = ext === 'svg' ? ASSET_LIMITS.svgBytes : ASSET_LIMITS.rasterBytes;
    if (upload.bytes.byteLength === 0) throw new TesseraError('empty_asset', `文件 "${name}" 是空的`, 422);
    if (upload.bytes.byteLength > limit) {
      throw new TesseraError(
        'asset_too_large',
        `文件 "${name}" 有 ${(upload.bytes.byteLength / 1024 / 1024).toFixed(1)} MB，超过 ${limit / 1024 / 1024} MB 的限制：请压缩（300 ppi 的证件底图通常不到 2 MB）`,
        413,
      );
    }
    if (!type.check(upload.bytes)) {
      throw new TesseraError(
        'invalid_asset',
        `文件 "${name}" 的内容不是 ${ext.toUpperCase()} 图片（扩展名与内容不符或文件已损坏）`,
        422,
      );
    }
    if (ext !== 'svg') await checkRaster(name, upload.bytes);
    if (ext === 'svg') {
      const text = new TextDecoder().decode(upload.bytes);
      if (/<script[\s>]|\son[a-z]+\s*=|javascript:|<foreignObject/i.test(text)) {
        throw new TesseraError(
          'unsafe_svg',
          `SVG 文件 "${name}" 含有脚本或事件属性，不能用作证件图片：请在设计软件中导出为纯图形 SVG`,
          422,
        );
      }
    }
    const stem =
      name
        .replace(/\.[^.]*$/, '')
        .normalize('NFKD')
        .replace(/[^A-Za-z0-9_-]+/g, '-')
        .replace(/^[-_]+|-+$/g, '')
        .slice(0, 60) || 'art';
    const w = await this.working(eventCode);
    const taken = (p: string) => p in w.bundle.files;
    let path = `assets/${stem}.${ext === 'jpeg' ? 'jpg' : ext}`;
    for (let n = 2; taken(path); n++) path = `assets/${stem}-${n}.${ext === 'jpeg' ? 'jpg' : ext}`;
    const draft = await this.setup.saveDraftAsset(
      eventCode,
      { revision: upload.revision, path, bytes: upload.bytes, mediaType: type.mediaType },
      actor,
    );
    return {
      asset: { path, mediaType: type.mediaType, bytes: upload.bytes.byteLength },
      revision: draft.revision,
    };
  }

  /** Records to preview with: of the layout's kind, the card type's first, newest last. */
  async previewRecords(
    eventCode: string,
    query: { kind: string; cardType?: string; q?: string; limit?: number },
  ): Promise<PreviewRecord[]> {
    const w = await this.working(eventCode);
    const where: Record<string | symbol, unknown> = { eventId: w.event.id, kind: query.kind };
    const q = query.q?.trim();
    if (q)
      where[Op.or] = [{ name: { [Op.like]: likePrefix(q) } }, { plateNumber: { [Op.like]: likePrefix(q) } }];
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const rows = await this.db.models.EventRecord.findAll({
      where: where as WhereOptions<EventRecord>,
      order: query.cardType
        ? [
            [this.db.sequelize.literal(`(card_type = ${this.db.sequelize.escape(query.cardType)})`), 'DESC'],
            ['id', 'ASC'],
          ]
        : [['id', 'ASC']],
      limit,
    });
    const units = await this.db.models.Unit.findAll({
      where: { id: [...new Set(rows.map((r) => r.unitId))] },
    });
    return rows.map((r) => ({
      id: r.id,
      label: r.name ?? r.plateNumber ?? `#${r.id}`,
      cardType: r.cardType,
      unit: units.find((u) => u.id === r.unitId)?.name ?? '',
      status: r.status,
      hasPhoto: !!r.photo,
    }));
  }

  /**
   * What each bindable field of a record shows on a card of `cardType` — the card context of the
   * render (core/render/context.ts), ID numbers masked — as plain text, so the canvas can show the
   * chosen sample record instead of field names. Zones as the compiled field shows them (codes),
   * options by their titles; photos and empty values are left out.
   */
  async sampleValues(
    eventCode: string,
    recordId: number,
    cardTypeCode: string,
  ): Promise<Record<string, string>> {
    const w = await this.working(eventCode);
    const cardType = w.cardTypes.find((t) => t.code === cardTypeCode);
    if (!cardType) throw new TesseraError('card_type_not_found', `证件类型 ${cardTypeCode} 不存在`, 404);
    const row = Number.isSafeInteger(recordId)
      ? await this.db.models.EventRecord.findOne({ where: { eventId: w.event.id, id: recordId } })
      : null;
    if (!row) throw new TesseraError('record_not_found', `记录 ${recordId} 不存在`, 404);
    const [record] = await this.cardRecords(w, [row]);
    const rk = (w.manifest.recordKinds ?? []).find((k) => k.kind === row.kind);
    const form = rk ? (w.bundle.files[rk.form] as unknown as FormSchema | undefined) : undefined;
    const ctx = cardContext(record ?? {}, {
      manifest: w.manifest,
      cardType,
      index: 0,
      issueDate: todayIn(w.manifest.event.timezone),
    });
    const labels = optionLabels(form);
    const photoFields = new Set(
      Object.entries(form?.properties ?? {})
        .filter(([, f]) => (f as { 'x-widget'?: string })['x-widget'] === 'photo')
        .map(([k]) => k),
    );
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(ctx)) {
      if (photoFields.has(key) || value === undefined || value === null || value === '') continue;
      const one = (v: unknown) => labels[key]?.get(String(v)) ?? String(v);
      const text =
        key === 'zones'
          ? zoneCodesOf(value).join(' ')
          : Array.isArray(value)
            ? value.map(one).join('、')
            : typeof value === 'object'
              ? ''
              : one(value);
      if (text) out[key] = text;
    }
    return out;
  }

  /**
   * Everything a render of the posted (unsaved) layout needs from the working copy. The layout is
   * checked first, like a save: a layout the plugin host refuses is not rendered.
   */
  private async renderInput(eventCode: string, layout: CardLayout, cardTypeCode: string) {
    if (!isObject(layout)) throw new TesseraError('invalid_request', '请求缺少 layout（版式内容）');
    const w = await this.working(eventCode);
    const code = typeof layout.code === 'string' ? layout.code : '';
    const file = w.layouts.get(code)?.file ?? `layouts/${LAYOUT_CODE.test(code) ? code : 'preview'}.json`;
    const { bundle } = withLayout(w.bundle, file, layout);
    const checked = checkBundle(bundle, file, layout);
    if (checked.errors.length > 0) throw layoutInvalid(checked.errors);
    const cardType = w.cardTypes.find((t) => t.code === cardTypeCode);
    if (!cardType) throw new TesseraError('card_type_not_found', `证件类型 ${cardTypeCode} 不存在`, 422);
    const rk = (w.manifest.recordKinds ?? []).find((k) => k.kind === layout.recordKind);
    const form = rk ? (w.bundle.files[rk.form] as unknown as FormSchema) : undefined;
    const assets: Record<string, { bytes: Uint8Array; mediaType: string }> = {};
    for (const [p, entry] of Object.entries(w.bundle.files)) {
      if (p.startsWith('assets/') && isObject(entry) && typeof entry.base64 === 'string')
        assets[p] = { bytes: Buffer.from(entry.base64, 'base64'), mediaType: String(entry.mediaType) };
    }
    return { w, cardType, form, assets };
  }

  /** Card data of stored records (ID numbers masked, as the designer may see them), in the given order. */
  private async cardRecords(w: WorkingCopy, rows: EventRecord[]) {
    const { plugin } = await this.events.find(w.event.code);
    return Promise.all(
      rows.map(async (r) => {
        const view = await this.records.view(r, plugin, true);
        return { ...view.values, unitCode: view.unit.code, unitName: view.unit.name };
      }),
    );
  }

  private photoLoader(actor: Actor) {
    return async (value: string) => {
      try {
        const { photo } = await this.photos.get(value, actor);
        return await this.photos.blobs.get(photo.sha256);
      } catch (error) {
        if (error instanceof TesseraError && error.status === 404) return null;
        throw error;
      }
    };
  }

  private async pickRecords(
    w: WorkingCopy,
    kind: string,
    ids: number[] | undefined,
    cardType: string,
    count: number,
  ): Promise<EventRecord[]> {
    const { EventRecord } = this.db.models;
    if (ids && ids.length > 0) {
      const rows = await EventRecord.findAll({ where: { eventId: w.event.id, kind, id: ids } });
      const missing = ids.filter((id) => !rows.some((r) => r.id === id));
      if (missing.length) {
        throw new TesseraError('record_not_found', `记录 ${missing.join('、')} 不存在或不是${kind}记录`, 404);
      }
      return ids.map((id) => rows.find((r) => r.id === id)!);
    }
    const preferred = await EventRecord.findAll({
      where: { eventId: w.event.id, kind, cardType },
      order: [['id', 'ASC']],
      limit: count,
    });
    if (preferred.length >= count) return preferred;
    const more = await EventRecord.findAll({
      where: { eventId: w.event.id, kind, id: { [Op.notIn]: [0, ...preferred.map((r) => r.id)] } },
      order: [['id', 'ASC']],
      limit: count - preferred.length,
    });
    return [...preferred, ...more];
  }

  /**
   * One face of the posted layout for one record (or the event's first record of the layout's
   * kind, or an empty card when there is none), as a PNG of the trimmed card at `dpi`.
   */
  async preview(
    eventCode: string,
    body: PreviewBody,
    actor: Actor,
    signal?: AbortSignal,
  ): Promise<{ png: Uint8Array; problems: PreviewProblem[]; recordId: number | null }> {
    return this.renders.run(() => this.renderPreview(eventCode, body, actor), signal);
  }

  private async renderPreview(
    eventCode: string,
    body: PreviewBody,
    actor: Actor,
  ): Promise<{ png: Uint8Array; problems: PreviewProblem[]; recordId: number | null }> {
    const face = body.face === 'back' ? 'back' : 'front';
    const dpi = Math.round(Math.min(600, Math.max(72, Number(body.dpi) || 200)));
    const { w, cardType, form, assets } = await this.renderInput(
      eventCode,
      body.layout,
      String(body.cardType),
    );
    const layout = body.layout;
    if (face === 'back' && !layout.back && !layout.template?.back)
      throw new TesseraError('no_back', '这个版式没有背面', 422);
    // Only the face asked for is rendered: the back becomes the only face of a copy.
    const single: CardLayout =
      face === 'front'
        ? {
            ...layout,
            back: undefined,
            template: layout.template ? { ...layout.template, back: undefined } : undefined,
          }
        : {
            ...layout,
            front: layout.back ?? { elements: [] },
            back: undefined,
            template: layout.template
              ? {
                  front: layout.template.back,
                  css: (layout.template.css ?? '').replace(/\bF-back\b/g, 'F-front'),
                }
              : undefined,
          };
    const recordId = Number.isSafeInteger(body.recordId) ? Number(body.recordId) : undefined;
    const rows = await this.pickRecords(
      w,
      layout.recordKind,
      recordId ? [recordId] : undefined,
      cardType.code,
      1,
    );
    const records = await this.cardRecords(w, rows);
    const result = await renderCards({
      manifest: w.manifest,
      cardType,
      layout: single,
      form,
      assets,
      records: records.length ? records : [{}],
      loadPhoto: this.photoLoader(actor),
      browser: await this.renderer.get(),
      output: { kind: 'cards', bleedMm: 0, marks: false },
      backs: false,
      png: { dpi },
    });
    const shot = result.png?.[0]?.png;
    if (!shot) throw new Error('preview rendered no image');
    // The screenshot's clip is rounded to whole CSS pixels before scaling, so it can be a pixel
    // or two off: the preview is exactly the card at the asked resolution.
    const px = (mm: number) => Math.round((mm / 25.4) * dpi);
    const png = await sharp(shot)
      .resize(px(layout.size.widthMm), px(layout.size.heightMm), { fit: 'fill' })
      .png()
      .toBuffer();
    return {
      png,
      recordId: rows[0]?.id ?? null,
      problems: result.report.problems.map((p) => ({
        face,
        element: p.element,
        code: p.code,
        message: p.message,
      })),
    };
  }

  /** A proof PDF of the posted layout with up to 20 real records: single cards at the exact size. */
  async proof(
    eventCode: string,
    body: ProofBody,
    actor: Actor,
    signal?: AbortSignal,
  ): Promise<{ pdf: Uint8Array; report: RenderReport }> {
    return this.renders.run(() => this.renderProof(eventCode, body, actor), signal);
  }

  private async renderProof(
    eventCode: string,
    body: ProofBody,
    actor: Actor,
  ): Promise<{ pdf: Uint8Array; report: RenderReport }> {
    const { w, cardType, form, assets } = await this.renderInput(
      eventCode,
      body.layout,
      String(body.cardType),
    );
    const ids = Array.isArray(body.recordIds)
      ? body.recordIds.map(Number).filter(Number.isSafeInteger)
      : undefined;
    if (ids && ids.length > PROOF_MAX_RECORDS) {
      throw new TesseraError('too_many_records', `校样最多 ${PROOF_MAX_RECORDS} 条记录，请少选一些`, 422);
    }
    const count = Math.min(PROOF_MAX_RECORDS, Math.max(1, Number(body.count) || 10));
    const rows = await this.pickRecords(w, body.layout.recordKind, ids, cardType.code, count);
    if (rows.length === 0) {
      throw new TesseraError(
        'no_records',
        `活动 ${eventCode} 还没有可用于校样的${body.layout.recordKind}记录`,
        422,
      );
    }
    const result = await renderCards({
      manifest: w.manifest,
      cardType,
      layout: body.layout,
      form,
      assets,
      records: await this.cardRecords(w, rows),
      loadPhoto: this.photoLoader(actor),
      browser: await this.renderer.get(),
      output: { kind: 'cards', bleedMm: 0, marks: false },
    });
    // Real people's cards leave the system as a PDF: audited like a print job's download.
    await this.audit?.record(
      'layout_proof',
      { userId: actor.id, username: actor.username, ip: actor.ip ?? null },
      { type: 'layout', id: body.layout.code, eventId: w.event.id },
      { cardType: cardType.code, records: rows.map((r) => r.id) },
    );
    return { pdf: result.pdf, report: result.report };
  }
}
