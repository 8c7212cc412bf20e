/**
 * A render job: records → card contexts → photos at print size → HTML documents of up to
 * `chunkSize` cards → PDF runs from the tab pool → one finished PDF (single cards or N-up sheets)
 * and a report. Runs are prepared ahead while earlier ones print, so Node's work (photos, codes,
 * templates) overlaps Chromium's.
 *
 * A broken record never stops the job: a missing or unreadable photo, a value a barcode cannot
 * encode, text that does not fit, even a template that fails on one record's data — the card is
 * printed with a visible red marker and the report lists it.
 */
import { eventLoopSlices } from '../concurrency.ts';
import { TesseraError } from '../errors.ts';
import type { CardLayout, CardType, FormSchema, PluginManifest } from '../types/generated/index.ts';
import { RENDER_ORIGIN, type RenderBrowser } from './browser.ts';
import { compileLayout, type CompiledLayout, type FaceName } from './compile.ts';
import { cardContext, eventZones, optionLabels, todayIn, type CardRecord } from './context.ts';
import { buildDocument, type CardDocument, type FaceHtml } from './document.ts';
import type { FitProblem } from './fit.ts';
import { fontFaceCss } from './fonts.ts';
import { CardsFinisher, planSheet, SheetImposer, SLUG_MM, type SheetName, type SheetPlan } from './impose.ts';
import { preparePhotos, type PhotoLoader } from './photos.ts';
import {
  createTemplateEnv,
  TemplateError,
  type CardProblem,
  type CardRenderData,
  type CardTemplate,
  type PhotoSlot,
} from './template.ts';

export type RenderOutput =
  | { kind: 'cards'; bleedMm: number; marks: boolean }
  | { kind: 'sheets'; sheet: SheetName; bleedMm?: number; duplex: boolean; marks: boolean };

export interface RenderJobOptions {
  manifest: PluginManifest;
  cardType: CardType;
  layout: CardLayout;
  /** The record kind's form (option titles, zone fields). */
  form?: FormSchema;
  /** The plugin's files under assets/, by path. */
  assets: Readonly<Record<string, { bytes: Uint8Array; mediaType: string }>>;
  records: readonly CardRecord[];
  loadPhoto: PhotoLoader;
  browser: RenderBrowser;
  output: RenderOutput;
  /** Print the backs (when the layout has one). Default true. */
  backs?: boolean;
  /** Also return a PNG of every face's trim box at this resolution. */
  png?: { dpi: number };
  /** Trim and safe-area guides on every face (proofs). */
  guides?: boolean;
  /** Issue date for records without one; default today in the event's time zone. */
  issueDate?: string;
  /** Cards per HTML document (per page.pdf()). */
  chunkSize?: number;
  /** Called after each run of cards has printed: cards done so far, of all. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the job between runs (a cancelled print job, a server shutting down): it rejects with the reason. */
  signal?: AbortSignal;
}

export interface RenderProblem {
  /** 0-based index of the record in the input. */
  index: number;
  cardNumber: string;
  /** Name (or plate) to find the record by. */
  label: string;
  face: FaceName;
  element?: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface RenderReport {
  event: string;
  cardType: string;
  layout: string;
  cards: number;
  /** Pages of the output PDF (faces, or sheets). */
  pages: number;
  pageSizeMm: { width: number; height: number };
  sheet?: SheetPlan & { sheets: number };
  /** Cards printed with a red marker (an error among their problems). */
  brokenCards: number;
  problems: RenderProblem[];
  notes: string[];
  bytes: number;
  timings: { compileMs: number; renderMs: number; finishMs: number; totalMs: number };
}

export interface RenderResult {
  pdf: Uint8Array;
  report: RenderReport;
  png?: Array<{ index: number; face: FaceName; cardNumber: string; png: Uint8Array }>;
}

const DEFAULT_CHUNK = 100;

const recordLabel = (r: CardRecord): string =>
  String(r.name ?? r.plateNumber ?? r.driverName ?? r.organization ?? '').slice(0, 40);

const FIT_MESSAGES: Record<FitProblem['code'], string> = {
  'text-overflow': '文字缩到最小字号仍放不下',
  'text-clipped': '文字超出框，已截断',
};

interface PreparedRun {
  doc: CardDocument;
  cards: number[];
  faceProblems: Array<{ card: number; face: FaceName; problems: CardProblem[] }>;
}

/** The pieces of a job that do not need the browser: used by the job itself and the benchmark. */
export class CardBatch {
  readonly compiled: CompiledLayout;
  readonly chunkSize: number;
  readonly contexts: CardRecord[];
  readonly faces: FaceName[];
  private readonly templates: Partial<Record<FaceName, { render: CardTemplate; photoSlots: PhotoSlot[] }>> =
    {};
  private css = '';
  private fontCss = '';
  readonly renderBleedMm: number;

  constructor(private readonly o: RenderJobOptions) {
    this.compiled = compileLayout(o.layout, { form: o.form });
    this.chunkSize = Math.max(1, o.chunkSize ?? DEFAULT_CHUNK);
    const issueDate = o.issueDate ?? todayIn(o.manifest.event.timezone);
    this.contexts = o.records.map((record, index) =>
      cardContext(record, { manifest: o.manifest, cardType: o.cardType, index, issueDate }),
    );
    this.faces = this.compiled.back && o.backs !== false ? ['front', 'back'] : ['front'];
    this.renderBleedMm =
      o.output.kind === 'cards' ? o.output.bleedMm : (o.output.bleedMm ?? this.compiled.bleedMm);
    if (this.renderBleedMm > this.compiled.bleedMm) {
      this.compiled.notes.push(
        `版式 ${o.layout.code} 按 ${this.compiled.bleedMm} mm 出血设计，按 ${this.renderBleedMm} mm 输出时外圈可能露白`,
      );
    }
  }

  get chunks(): number {
    return Math.ceil(this.contexts.length / this.chunkSize);
  }

  /** Compiles the templates and stylesheet and registers the plugin's assets with the browser. */
  async init(browser: RenderBrowser | undefined): Promise<void> {
    const prefix = `/a/${encodeURIComponent(this.o.manifest.code)}/`;
    const env = createTemplateEnv({
      assetUrl: (p) => (this.o.assets[p] ? RENDER_ORIGIN + prefix + p : undefined),
      zones: eventZones(this.o.manifest),
      optionLabels: optionLabels(this.o.form),
    });
    for (const [p, asset] of Object.entries(this.o.assets)) browser?.addAsset(prefix + p, asset);
    try {
      for (const face of this.faces) {
        this.templates[face] = env.compile(this.compiled[face]!.template);
      }
      const css = env.compile(this.compiled.css);
      this.css = css.render(this.contexts[0] ?? {}, { photos: new Map(), problems: [] });
    } catch (error) {
      if (error instanceof TemplateError) {
        throw new TesseraError(
          'template_invalid',
          `版式 ${this.o.layout.code} 的模板有误${error.line ? `（第 ${error.line} 行）` : ''}：${error.message}`,
          422,
        );
      }
      throw error;
    }
    // Every weight, whatever this layout uses: the same head for every job keeps tabs' fonts warm.
    this.fontCss = await fontFaceCss(RENDER_ORIGIN, [100, 200, 300, 400, 500, 600, 700, 800, 900]);
  }

  /** Photos, templates and the HTML document of cards [from, to). */
  async prepare(from: number, to: number): Promise<PreparedRun> {
    const cards = Array.from(
      { length: Math.max(0, Math.min(to, this.contexts.length) - from) },
      (_, i) => from + i,
    );
    const wanted: Parameters<typeof preparePhotos>[0] = [];
    for (const face of this.faces) {
      for (const slot of this.templates[face]!.photoSlots) {
        for (const i of cards) {
          const v = slot.path
            .split('.')
            .reduce<unknown>(
              (o, k) => (o && typeof o === 'object' ? (o as CardRecord)[k] : undefined),
              this.contexts[i],
            );
          if (typeof v === 'string' && v) wanted.push({ value: v, slot });
        }
      }
    }
    const photos = await preparePhotos(wanted, this.o.loadPhoto);
    const faces: FaceHtml[] = [];
    const faceProblems: PreparedRun['faceProblems'] = [];
    const pause = eventLoopSlices();
    for (const i of cards) {
      await pause();
      const ctx = this.contexts[i]!;
      for (const face of this.faces) {
        const data: CardRenderData = { photos, problems: [] };
        let html: string;
        try {
          html = this.templates[face]!.render(ctx, data);
        } catch (error) {
          // A helper or the template failed on this record's data: a marked card, not a failed job.
          html = '';
          data.problems.push({
            code: 'template-error',
            message: `模板无法处理此记录：${(error as Error).message.split('\n')[0]}`,
            severity: 'error',
          });
        }
        faces.push({
          card: i,
          face,
          html,
          cardTypeColor: String(ctx.cardTypeColor ?? ''),
          problems: data.problems,
        });
        if (data.problems.length) faceProblems.push({ card: i, face, problems: data.problems });
      }
    }
    const doc = buildDocument(
      {
        layout: this.compiled,
        css: this.css,
        fontCss: this.fontCss,
        bleedMm: this.renderBleedMm,
        guides: this.o.guides,
      },
      faces,
    );
    return { doc, cards, faceProblems };
  }

  problem(
    card: number,
    face: FaceName,
    p: Omit<RenderProblem, 'index' | 'cardNumber' | 'label' | 'face'>,
  ): RenderProblem {
    const ctx = this.contexts[card] ?? {};
    return { index: card, cardNumber: String(ctx.cardNumber ?? ''), label: recordLabel(ctx), face, ...p };
  }
}

/** Renders the records with the layout into one print-ready PDF and a report. */
export async function renderCards(o: RenderJobOptions): Promise<RenderResult> {
  const started = performance.now();
  const batch = new CardBatch(o);
  if (o.output.kind === 'sheets') {
    const plan = planSheet(batch.compiled, {
      sheet: o.output.sheet,
      bleedMm: batch.renderBleedMm,
      marks: o.output.marks,
    });
    if (plan.perSheet === 0) {
      throw new TesseraError(
        'card_too_large',
        `${batch.compiled.widthMm}×${batch.compiled.heightMm} mm 的证件（含 ${batch.renderBleedMm} mm 出血）放不进 ${o.output.sheet} 纸，请换大一号的纸或减小出血`,
        422,
      );
    }
  }
  await batch.init(o.browser);
  const compiled = performance.now();
  const geometry = {
    widthMm: batch.compiled.widthMm,
    heightMm: batch.compiled.heightMm,
    bleedMm: batch.renderBleedMm,
  };
  const output = o.output;
  const finisher =
    output.kind === 'cards'
      ? await CardsFinisher.create(geometry, { bleedMm: output.bleedMm, marks: output.marks })
      : await SheetImposer.create(geometry, batch.faces.length === 2, {
          sheet: output.sheet,
          bleedMm: batch.renderBleedMm,
          duplex: output.duplex,
          marks: output.marks,
        });
  // Runs are joined in order as they arrive, while later runs are still printing.
  const runs: Array<Uint8Array | undefined> = new Array(batch.chunks);
  let joined = 0;
  let joining: Promise<void> = Promise.resolve();
  const join = () => {
    joining = joining.then(async () => {
      while (joined < runs.length && runs[joined]) {
        const run = runs[joined]!;
        runs[joined++] = undefined;
        await finisher.add(run);
      }
    });
  };
  const problems: RenderProblem[] = [];
  const pngs: NonNullable<RenderResult['png']> = [];
  const preparing = new Map<number, Promise<PreparedRun>>();
  const prepare = (k: number) => {
    let p = preparing.get(k);
    if (!p) {
      p = batch.prepare(k * batch.chunkSize, (k + 1) * batch.chunkSize);
      // Awaited later; until then a failure must not count as unhandled.
      p.catch(() => undefined);
      preparing.set(k, p);
    }
    return p;
  };
  let next = 0;
  let cardsDone = 0;
  const worker = async () => {
    while (next < batch.chunks) {
      o.signal?.throwIfAborted();
      const k = next++;
      // Keep one run ahead per tab, so Node prepares while Chromium prints.
      for (let j = k + 1; j < Math.min(batch.chunks, k + 1 + o.browser.tabs); j++) prepare(j);
      const run = await prepare(k);
      preparing.delete(k);
      let result: Awaited<ReturnType<RenderBrowser['render']>>;
      try {
        result = await o.browser.render(run.doc, { png: o.png });
      } catch {
        // A tab can crash on a big document; one retry in a fresh tab, then the job fails.
        result = await o.browser.render(run.doc, { png: o.png });
      }
      runs[k] = result.pdf;
      join();
      cardsDone += run.cards.length;
      o.onProgress?.(cardsDone, batch.contexts.length);
      for (const fp of run.faceProblems) {
        for (const p of fp.problems) problems.push(batch.problem(fp.card, fp.face, p));
      }
      for (const fp of result.problems) {
        problems.push(
          batch.problem(fp.card, fp.face, {
            element: fp.element || undefined,
            code: fp.code,
            message: `${FIT_MESSAGES[fp.code]}：${fp.text}`,
            severity: 'error',
          }),
        );
      }
      for (const shot of result.png ?? []) {
        pngs.push({
          index: shot.card,
          face: shot.face,
          cardNumber: String(batch.contexts[shot.card]?.cardNumber ?? ''),
          png: shot.png,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.browser.tabs, batch.chunks) }, worker));
  await joining;
  o.signal?.throwIfAborted();
  const rendered = performance.now();

  const pdf = await finisher.save();
  let pages: number;
  let pageSizeMm: RenderReport['pageSizeMm'];
  let sheet: RenderReport['sheet'];
  if (finisher instanceof SheetImposer) {
    pages = finisher.sheets * batch.faces.length;
    pageSizeMm = { width: finisher.plan.sheetWidthMm, height: finisher.plan.sheetHeightMm };
    sheet = { ...finisher.plan, sheets: finisher.sheets };
  } else {
    const out = o.output as Extract<RenderOutput, { kind: 'cards' }>;
    pages = batch.contexts.length * batch.faces.length;
    const slug = out.marks && out.bleedMm > 0 ? 2 * SLUG_MM : 0;
    pageSizeMm = {
      width: batch.compiled.widthMm + 2 * out.bleedMm + slug,
      height: batch.compiled.heightMm + 2 * out.bleedMm + slug,
    };
  }
  const finished = performance.now();

  problems.sort((a, b) => a.index - b.index || (a.face === b.face ? 0 : a.face === 'front' ? -1 : 1));
  const broken = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.index));
  pngs.sort((a, b) => a.index - b.index || (a.face === 'front' ? -1 : 1));
  return {
    pdf,
    png: o.png ? pngs : undefined,
    report: {
      event: o.manifest.event.code,
      cardType: o.cardType.code,
      layout: o.layout.code,
      cards: batch.contexts.length,
      pages,
      pageSizeMm,
      sheet,
      brokenCards: broken.size,
      problems,
      notes: batch.compiled.notes,
      bytes: pdf.byteLength,
      timings: {
        compileMs: Math.round(compiled - started),
        renderMs: Math.round(rendered - compiled),
        finishMs: Math.round(finished - rendered),
        totalMs: Math.round(finished - started),
      },
    },
  };
}
