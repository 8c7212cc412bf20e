/**
 * Imposition and finishing, kept apart from card rendering: the renderer prints every face as a
 * page of trim + 2 × bleed; this module turns those pages into what a printer takes.
 *
 * - Card printers: one page per face at the exact card size (MediaBox = TrimBox), or with bleed
 *   (BleedBox) and crop marks in a slug around it. Chromium rounds page sizes to 1/300 in, so
 *   the boxes are set here from the layout's own millimetres, anchored at the page's top-left
 *   where Chromium starts drawing.
 * - Sheet printers: N-up on A4/A3, cards touching bleed to bleed, crop marks on the margins; the
 *   back of each card placed mirrored (x' = sheet width − x − card width) so that, printed
 *   duplex, each back lands behind its front.
 */
import { cmyk, PDFDocument, type PDFEmbeddedPage, type PDFPage } from 'pdf-lib';
import { backgroundTurn } from '../concurrency.ts';

export const MM = 72 / 25.4;
/** Crop marks: a gap after the bleed, then a 4 mm hairline; the slug holds both. */
const MARK_GAP_MM = 1;
const MARK_LENGTH_MM = 4;
export const SLUG_MM = MARK_GAP_MM + MARK_LENGTH_MM + 1;
const MARK_WIDTH_PT = 0.25;
const REGISTRATION = cmyk(1, 1, 1, 1);

export const SHEETS = {
  A4: { widthMm: 210, heightMm: 297 },
  A3: { widthMm: 297, heightMm: 420 },
} as const;
export type SheetName = keyof typeof SHEETS;

/** Printers cannot print to the edge: cards and marks stay this far inside the sheet. */
const SHEET_MARGIN_MM = 5;

export interface CardGeometry {
  widthMm: number;
  heightMm: number;
  /** Bleed the faces were rendered with. */
  bleedMm: number;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The rendered bleed box of a page in its own coordinates (pt), anchored top-left. */
function bleedBox(page: PDFPage, g: CardGeometry): Box {
  const { x, y, height } = page.getMediaBox();
  const w = (g.widthMm + 2 * g.bleedMm) * MM;
  const h = (g.heightMm + 2 * g.bleedMm) * MM;
  return { x, y: y + height - h, width: w, height: h };
}

function drawCropMarks(
  page: PDFPage,
  offsetMm: number,
  edges: { xs: number[]; ys: number[]; left: number; right: number; top: number; bottom: number },
): void {
  const gap = offsetMm * MM;
  const len = MARK_LENGTH_MM * MM;
  const line = (x1: number, y1: number, x2: number, y2: number) =>
    page.drawLine({
      start: { x: x1, y: y1 },
      end: { x: x2, y: y2 },
      thickness: MARK_WIDTH_PT,
      color: REGISTRATION,
    });
  for (const x of edges.xs) {
    line(x, edges.top + gap, x, edges.top + gap + len);
    line(x, edges.bottom - gap, x, edges.bottom - gap - len);
  }
  for (const y of edges.ys) {
    line(edges.left - gap, y, edges.left - gap - len, y);
    line(edges.right + gap, y, edges.right + gap + len, y);
  }
}

export interface CardsOutput {
  /** Bleed to keep around the trim box; 0 gives pages of exactly the card size. */
  bleedMm: number;
  /** Crop marks in a slug outside the bleed (only with bleed). */
  marks: boolean;
}

/**
 * Single cards with exact page boxes. The page is trim size, or trim + bleed, or trim + bleed +
 * slug with crop marks; TrimBox and BleedBox are always set, so a RIP knows where to cut. Runs
 * are added in order as they come from the renderer, so joining overlaps rendering.
 */
export class CardsFinisher {
  private constructor(
    private readonly doc: PDFDocument,
    private readonly g: CardGeometry,
    private readonly out: CardsOutput,
  ) {}

  static async create(g: CardGeometry, out: CardsOutput): Promise<CardsFinisher> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.setProducer('Tessera');
    doc.setCreator('Tessera 制证平台');
    return new CardsFinisher(doc, g, out);
  }

  async add(run: Uint8Array): Promise<void> {
    // Parsing and copying a run's pages is synchronous work of up to a few hundred ms: others first.
    await backgroundTurn();
    const { doc, g, out } = this;
    const bleed = Math.min(out.bleedMm, g.bleedMm) * MM;
    const src = await PDFDocument.load(run, { updateMetadata: false });
    const pages = await doc.copyPages(src, src.getPageIndices());
    for (const page of pages) {
      doc.addPage(page);
      const rendered = bleedBox(page, g);
      const trim: Box = {
        x: rendered.x + g.bleedMm * MM,
        y: rendered.y + g.bleedMm * MM,
        width: g.widthMm * MM,
        height: g.heightMm * MM,
      };
      const bleedBoxOut: Box = {
        x: trim.x - bleed,
        y: trim.y - bleed,
        width: trim.width + 2 * bleed,
        height: trim.height + 2 * bleed,
      };
      const slug = out.marks && out.bleedMm > 0 ? SLUG_MM * MM : 0;
      const media: Box = {
        x: bleedBoxOut.x - slug,
        y: bleedBoxOut.y - slug,
        width: bleedBoxOut.width + 2 * slug,
        height: bleedBoxOut.height + 2 * slug,
      };
      page.setMediaBox(media.x, media.y, media.width, media.height);
      page.setCropBox(media.x, media.y, media.width, media.height);
      page.setBleedBox(bleedBoxOut.x, bleedBoxOut.y, bleedBoxOut.width, bleedBoxOut.height);
      page.setTrimBox(trim.x, trim.y, trim.width, trim.height);
      if (slug) {
        drawCropMarks(page, out.bleedMm + MARK_GAP_MM, {
          xs: [trim.x, trim.x + trim.width],
          ys: [trim.y, trim.y + trim.height],
          left: trim.x,
          right: trim.x + trim.width,
          top: trim.y + trim.height,
          bottom: trim.y,
        });
      }
    }
  }

  save(): Promise<Uint8Array> {
    return this.doc.save({ useObjectStreams: false });
  }
}

export async function finishCards(
  runs: readonly Uint8Array[],
  g: CardGeometry,
  out: CardsOutput,
): Promise<Uint8Array> {
  const finisher = await CardsFinisher.create(g, out);
  for (const run of runs) await finisher.add(run);
  return finisher.save();
}

export interface SheetOutput {
  sheet: SheetName;
  /** Bleed around each card on the sheet (cards touch bleed to bleed). */
  bleedMm: number;
  /** Back sheets straight after their front sheet (duplex printer); else all fronts, then all backs. */
  duplex: boolean;
  marks: boolean;
}

export interface SheetPlan {
  sheetWidthMm: number;
  sheetHeightMm: number;
  orientation: 'portrait' | 'landscape';
  columns: number;
  rows: number;
  perSheet: number;
  /** Where each cell's trim box starts (mm from the sheet's top-left), row by row. */
  cells: Array<{ xMm: number; yMm: number }>;
  /** How to turn the paper for the backs when printing duplex. */
  flip: 'long-edge' | 'short-edge';
}

/** The best grid of cards (with bleed) on a sheet, portrait or landscape, centred. */
export function planSheet(
  card: { widthMm: number; heightMm: number },
  out: Pick<SheetOutput, 'sheet' | 'bleedMm' | 'marks'>,
): SheetPlan {
  const base = SHEETS[out.sheet];
  const cellW = card.widthMm + 2 * out.bleedMm;
  const cellH = card.heightMm + 2 * out.bleedMm;
  const reserve = SHEET_MARGIN_MM + (out.marks ? MARK_GAP_MM + MARK_LENGTH_MM : 0);
  const fit = (w: number, h: number) => ({
    columns: Math.floor((w - 2 * reserve + 1e-6) / cellW),
    rows: Math.floor((h - 2 * reserve + 1e-6) / cellH),
  });
  const portrait = fit(base.widthMm, base.heightMm);
  const landscape = fit(base.heightMm, base.widthMm);
  const pCount = Math.max(0, portrait.columns) * Math.max(0, portrait.rows);
  const lCount = Math.max(0, landscape.columns) * Math.max(0, landscape.rows);
  // Portrait on a tie: duplex printers flip portrait sheets on the long edge by default.
  const useLandscape = lCount > pCount;
  const chosen = useLandscape ? landscape : portrait;
  const sheetWidthMm = useLandscape ? base.heightMm : base.widthMm;
  const sheetHeightMm = useLandscape ? base.widthMm : base.heightMm;
  const perSheet = Math.max(0, chosen.columns) * Math.max(0, chosen.rows);
  const gridW = chosen.columns * cellW;
  const gridH = chosen.rows * cellH;
  const left = (sheetWidthMm - gridW) / 2;
  const top = (sheetHeightMm - gridH) / 2;
  const cells: SheetPlan['cells'] = [];
  for (let r = 0; r < chosen.rows; r++) {
    for (let c = 0; c < chosen.columns; c++) {
      cells.push({ xMm: left + c * cellW + out.bleedMm, yMm: top + r * cellH + out.bleedMm });
    }
  }
  return {
    sheetWidthMm,
    sheetHeightMm,
    orientation: useLandscape ? 'landscape' : 'portrait',
    columns: chosen.columns,
    rows: chosen.rows,
    perSheet,
    cells,
    flip: useLandscape ? 'short-edge' : 'long-edge',
  };
}

/**
 * N-up sheets. Runs hold the rendered faces in card order (front, back, front, back … when
 * `hasBack`); each back is drawn at the mirrored column of its front.
 */
export class SheetImposer {
  private readonly fronts: PDFEmbeddedPage[] = [];
  private readonly backs: PDFEmbeddedPage[] = [];
  readonly plan: SheetPlan;
  private readonly bleed: number;

  private constructor(
    private readonly doc: PDFDocument,
    private readonly g: CardGeometry,
    private readonly hasBack: boolean,
    private readonly out: SheetOutput,
  ) {
    this.bleed = Math.min(out.bleedMm, g.bleedMm);
    this.plan = planSheet(g, { ...out, bleedMm: this.bleed });
  }

  static async create(g: CardGeometry, hasBack: boolean, out: SheetOutput): Promise<SheetImposer> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.setProducer('Tessera');
    doc.setCreator('Tessera 制证平台');
    return new SheetImposer(doc, g, hasBack, out);
  }

  async add(run: Uint8Array): Promise<void> {
    // Parsing and copying a run's pages is synchronous work of up to a few hundred ms: others first.
    await backgroundTurn();
    const { g } = this;
    const src = await PDFDocument.load(run, { updateMetadata: false });
    const pages = src.getPages();
    const inset = (g.bleedMm - this.bleed) * MM;
    const boxes = pages.map((p) => {
      const b = bleedBox(p, g);
      return {
        left: b.x + inset,
        bottom: b.y + inset,
        right: b.x + b.width - inset,
        top: b.y + b.height - inset,
      };
    });
    const embedded = await this.doc.embedPages(pages, boxes);
    embedded.forEach((e, i) => (this.hasBack && i % 2 === 1 ? this.backs : this.fronts).push(e));
  }

  get sheets(): number {
    return Math.ceil(this.fronts.length / this.plan.perSheet);
  }

  async save(): Promise<Uint8Array> {
    const { doc, g, plan, out, bleed, fronts, backs } = this;
    const W = plan.sheetWidthMm * MM;
    const H = plan.sheetHeightMm * MM;
    const cellW = (g.widthMm + 2 * bleed) * MM;
    const cellH = (g.heightMm + 2 * bleed) * MM;
    const sheetCount = this.sheets;
    const frontSheets: PDFPage[] = [];
    const backSheets: PDFPage[] = [];
    const marks = (page: PDFPage) => {
      if (!out.marks) return;
      const x0 = plan.cells[0]!.xMm - bleed;
      const y0 = plan.cells[0]!.yMm - bleed;
      const gridW = plan.columns * (g.widthMm + 2 * bleed);
      const gridH = plan.rows * (g.heightMm + 2 * bleed);
      const xs: number[] = [];
      const ys: number[] = [];
      for (let c = 0; c < plan.columns; c++) {
        const x = x0 + c * (g.widthMm + 2 * bleed) + bleed;
        xs.push(x * MM, (x + g.widthMm) * MM);
      }
      for (let r = 0; r < plan.rows; r++) {
        const y = y0 + r * (g.heightMm + 2 * bleed) + bleed;
        ys.push(H - y * MM, H - (y + g.heightMm) * MM);
      }
      drawCropMarks(page, MARK_GAP_MM, {
        xs,
        ys,
        left: x0 * MM,
        right: (x0 + gridW) * MM,
        top: H - y0 * MM,
        bottom: H - (y0 + gridH) * MM,
      });
    };
    for (let s = 0; s < sheetCount; s++) {
      frontSheets.push(doc.addPage([W, H]));
      if (this.hasBack && out.duplex) backSheets.push(doc.addPage([W, H]));
    }
    // Without a duplex printer: print all fronts, turn the stack over, feed it again for the backs.
    if (this.hasBack && !out.duplex)
      for (let s = 0; s < sheetCount; s++) backSheets.push(doc.addPage([W, H]));
    for (let s = 0; s < sheetCount; s++) {
      const front = frontSheets[s]!;
      const back = backSheets[s];
      for (let k = 0; k < plan.perSheet; k++) {
        const i = s * plan.perSheet + k;
        if (i >= fronts.length) break;
        const cell = plan.cells[k]!;
        const x = (cell.xMm - bleed) * MM;
        const y = H - (cell.yMm - bleed) * MM - cellH;
        front.drawPage(fronts[i]!, { x, y });
        if (back && backs[i]) back.drawPage(backs[i]!, { x: W - x - cellW, y });
      }
      marks(front);
      if (back) marks(back);
    }
    return doc.save({ useObjectStreams: false });
  }
}

export async function imposeSheets(
  runs: readonly Uint8Array[],
  g: CardGeometry,
  hasBack: boolean,
  out: SheetOutput,
): Promise<{ pdf: Uint8Array; plan: SheetPlan; sheets: number }> {
  const imposer = await SheetImposer.create(g, hasBack, out);
  for (const run of runs) await imposer.add(run);
  return { pdf: await imposer.save(), plan: imposer.plan, sheets: imposer.sheets };
}
