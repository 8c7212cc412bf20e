/**
 * A print document: card faces as pages of exactly trim + 2 × bleed, in order. Page geometry,
 * the trim box every template draws into, problem ribbons and proof guides live here; what is
 * on a face is the template's business (compile.ts, template.ts).
 */
import type { CompiledLayout, FaceName } from './compile.ts';
import { DEFAULT_FONT_FAMILY } from './font-families.ts';
import type { CardProblem } from './template.ts';

export interface FaceHtml {
  card: number;
  face: FaceName;
  /** The template's output. */
  html: string;
  /** The card type's colour, as `--ct` for bands. */
  cardTypeColor?: string;
  /** Problems found while rendering (shown on the face, listed in the report). */
  problems: CardProblem[];
}

export interface DocumentOptions {
  layout: CompiledLayout;
  /** The layout's stylesheet, already rendered. */
  css: string;
  fontCss: string;
  /** Bleed around the trim box on every page. */
  bleedMm: number;
  /** Draw trim and safe-area guides (proofs, never production). */
  guides?: boolean;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

/** The styles every card document shares: the face/trim boxes, element kinds, warnings. */
export function baseCss(o: Pick<DocumentOptions, 'layout' | 'bleedMm'>): string {
  const { widthMm: w, heightMm: h } = o.layout;
  const b = o.bleedMm;
  return `
@page { size: ${r3(w + 2 * b)}mm ${r3(h + 2 * b)}mm; margin: 0; }
html, body { margin: 0; padding: 0; background: #fff; }
body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.tf { display: block; box-sizing: border-box; width: ${r3(w + 2 * b)}mm; height: ${r3(h + 2 * b)}mm; padding: ${r3(b)}mm; break-after: page;
  font-family: "${DEFAULT_FONT_FAMILY}"; font-size: 9pt; line-height: 1.2; color: #000; background-color: #fff; }
.tf.clip { overflow: clip; }
.tc { position: relative; display: grid; grid-template-columns: ${r3(w)}mm; grid-template-rows: ${r3(h)}mm; width: ${r3(w)}mm; height: ${r3(h)}mm; }
.tc > .e, .tc > .tessera-warn { grid-area: 1 / 1; align-self: start; justify-self: start; box-sizing: border-box; }
.e-t { display: flex; flex-direction: column; justify-content: flex-start; }
.e-t > .t { flex: none; white-space: pre-wrap; overflow-wrap: anywhere; }
[data-lines="1"] > .t { white-space: pre; }
.e-clip { overflow: clip; }
.e-ph > .ph, .e-ph > .tessera-missing { display: block; width: 100%; height: 100%; box-sizing: border-box; }
.e-img { display: block; }
.e-qr > svg { display: block; width: 100%; height: 100%; }
.e-bc { display: flex; flex-direction: column; background: #fff; }
.e-bc > svg { display: block; flex: 1 1 auto; min-height: 0; width: 100%; }
.e-bc > .bc-t { flex: none; text-align: center; line-height: 1.15; letter-spacing: 0.08em; color: #000; }
.zones { display: inline-flex; gap: 0.6mm; }
.zone { display: inline-block; min-width: 1em; padding: 0 0.4mm; text-align: center; color: #fff; background: #555; border-radius: 0.6mm; }
.tessera-missing { display: flex; align-items: center; justify-content: center; background: repeating-linear-gradient(45deg, #f5b7b1 0 1.2mm, #fff 1.2mm 2.4mm);
  border: 0.4mm dashed #c0392b; color: #c0392b; font-size: 6pt; font-weight: 700; text-align: center; }
.tessera-missing > span { background: #fff; padding: 0.3mm 0.8mm; }
.tessera-bad { outline: 0.35mm dashed #e74c3c; outline-offset: 0.2mm; }
.tc > .tessera-warn { align-self: end; justify-self: stretch; margin: 0 1mm 1mm; padding: 0.6mm 1mm; background: #c0392b; color: #fff;
  font-size: 5.5pt; font-weight: 700; line-height: 1.3; border-radius: 0.6mm; opacity: 0.92; }
.tf.guides .tc { outline: 0.1mm solid #e91e63; }
.tf.guides .tc::before { content: ""; position: absolute; inset: ${r3(o.layout.safeMarginMm)}mm; border: 0.1mm dashed #0097e6; pointer-events: none; }
`;
}

function clipFace(o: DocumentOptions, face: FaceName): boolean {
  const compiled = o.layout[face];
  if (!compiled) return false;
  const { left, top, right, bottom } = compiled.extent;
  return Math.max(left, top, right, bottom) > o.bleedMm + 0.001;
}

export function faceSection(o: DocumentOptions, f: FaceHtml): string {
  const classes = ['tf', `F-${f.face}`];
  if (clipFace(o, f.face)) classes.push('clip');
  if (o.guides) classes.push('guides');
  const color = f.cardTypeColor && HEX.test(f.cardTypeColor) ? ` style="--ct:${f.cardTypeColor}"` : '';
  const ribbon = f.problems.filter((p) => p.severity === 'error').length
    ? `<div class="tessera-warn">${f.problems
        .filter((p) => p.severity === 'error')
        .map((p) => `<div>${esc(p.message)}</div>`)
        .join('')}</div>`
    : '';
  return `<section class="${classes.join(' ')}" data-card="${f.card}" data-face="${f.face}"${color}><div class="tc">${f.html}${ribbon}</div></section>`;
}

/**
 * A run of faces as a document: `head` holds only the @font-face rules, the same for every job,
 * so a tab keeps its fonts decoded from one run to the next (browser.ts); `body` brings its own
 * stylesheet and the faces.
 */
export interface CardDocument {
  head: string;
  body: string;
}

export function buildDocument(o: DocumentOptions, faces: readonly FaceHtml[]): CardDocument {
  return {
    head: o.fontCss,
    body: ['<style>', baseCss(o), o.css, '</style>', ...faces.map((f) => faceSection(o, f))].join('\n'),
  };
}

/** The same as one standalone HTML file (previews, the benchmark's bare baseline). */
export function documentHtml(doc: CardDocument): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>cards</title><style>${doc.head}</style></head><body>${doc.body}</body></html>`;
}
