/**
 * The layout compiler: a layout model (elements in mm) becomes one Handlebars template per face
 * plus one stylesheet, written in the same language a designer uses in advanced mode, so the
 * compiled source is also the starting point for hand editing.
 *
 * How a face is built, and why:
 * - The face is a one-cell CSS grid at the trimmed card's top-left corner; every element sits in
 *   that cell, placed by its margins. Absolutely positioned or z-indexed boxes each cost Chromium a
 *   paint layer when printing (≈0.25 ms per box per page, measured: a quarter of the time of a
 *   1,000-card job); grid items cost nearly nothing. Stacking order is therefore document order:
 *   elements are written sorted by `z`, ties in array order.
 * - Only rotated (and translucent) elements get a transform (opacity) and with it a layer.
 * - Text boxes carry `data-fit` and are fitted in the page after fonts load (fit.ts).
 * - Conditions and style rules become `{{#if}}` blocks and class switches, so the stylesheet is one
 *   per document and a card's HTML carries no inline styles.
 * No Node imports: the designer may compile in the browser to show the source.
 */
import type {
  CardFace,
  CardLayout,
  Condition,
  FormSchema,
  LayoutElement,
  Style,
} from '../types/generated/index.ts';
import { DEFAULT_FONT_FAMILY, knownFamily } from './font-families.ts';
import { TEMPLATE_HELPERS } from './helper-names.ts';

export type FaceName = 'front' | 'back';

export interface CompiledFace {
  /** Handlebars source of the face's content (inside the trim box). */
  template: string;
  /** Written by hand (advanced mode) rather than compiled from the model. */
  advanced: boolean;
  /** Furthest reach of the elements from the trim box, in mm (for deciding whether to clip). */
  extent: { left: number; top: number; right: number; bottom: number };
}

export interface CompiledLayout {
  code: string;
  widthMm: number;
  heightMm: number;
  /** The layout's own bleed (used for sheets when the job names none). */
  bleedMm: number;
  safeMarginMm: number;
  front: CompiledFace;
  back?: CompiledFace;
  /** Handlebars source of the stylesheet: rendered once per document (asset URLs, event values). */
  css: string;
  /** Font weights the faces use (and so the @font-face rules a document needs). */
  fontWeights: number[];
  /** Things the compiler had to assume (an unknown font, a condition value it cannot write). */
  notes: string[];
}

const PT_MM = 25.4 / 72;
const DEFAULT_FONT_PT = 9;
const DEFAULT_LINE_HEIGHT = 1.2;

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const mm = (n: number) => `${r3(n)}mm`;

/** HTML-escapes literal text written into a template; `{{` is broken up so it stays text. */
function escapeLiteral(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\{\{/g, '&#123;&#123;');
}

/**
 * Static text with `{{…}}` interpolation as template source: the mustaches are kept, the text
 * between them is escaped.
 */
function interpolated(s: string): string {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(/\{\{(?!\{)[^{}]*\}\}/g)) {
    out += escapeLiteral(s.slice(last, m.index));
    out += m[0];
    last = m.index + m[0].length;
  }
  return out + escapeLiteral(s.slice(last));
}

const RESERVED = new Set<string>([
  ...TEMPLATE_HELPERS,
  'if',
  'unless',
  'each',
  'with',
  'lookup',
  'log',
  'this',
  'true',
  'false',
  'null',
  'undefined',
  'else',
]);

/** A field as a template path: `this.` where the bare name would call a helper or be a keyword. */
function ref(key: string): string {
  return RESERVED.has(key) ? `this.${key}` : key;
}

/** A Handlebars literal; undefined when a string cannot be written as one (a backslash). */
function literal(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string' || v.includes('\\')) return undefined;
  return `"${v.replace(/"/g, '\\"')}"`;
}

function conditionExpr(c: Condition, notes: string[], where: string): string {
  const field = ref(c.field);
  if (c.op === 'empty' || c.op === 'notEmpty') return `(${c.op} ${field})`;
  const values = Array.isArray(c.value) ? c.value : [c.value];
  const lits = values.map(literal);
  if (lits.some((l) => l === undefined)) {
    notes.push(`${where}：条件值含反斜杠，无法写入模板，按不成立处理`);
    return '(and false)';
  }
  const single = c.op === 'eq' || c.op === 'ne';
  return `(${c.op} ${field} ${(single ? lits.slice(0, 1) : lits).join(' ')})`;
}

function fontWeight(w: Style['fontWeight']): number | undefined {
  if (w === undefined) return undefined;
  return w === 'bold' ? 700 : w === 'normal' ? 400 : w;
}

const JUSTIFY = { top: 'flex-start', middle: 'center', bottom: 'flex-end' } as const;

/** CSS declarations for a style (lines take their colour and width in elementBox). */
function styleDecls(style: Style | undefined, notes: string[], where: string): string[] {
  if (!style) return [];
  const d: string[] = [];
  if (style.fontFamily !== undefined) {
    const family = knownFamily(style.fontFamily);
    if (family.toLowerCase() !== style.fontFamily.trim().toLowerCase()) {
      notes.push(`${where}：字体 "${style.fontFamily}" 不可用，改用 ${DEFAULT_FONT_FAMILY}`);
    }
    d.push(`font-family: "${family}", "${DEFAULT_FONT_FAMILY}"`);
  }
  if (style.fontSizePt !== undefined) d.push(`font-size: ${style.fontSizePt}pt`);
  const weight = fontWeight(style.fontWeight);
  if (weight !== undefined) d.push(`font-weight: ${weight}`);
  if (style.color) d.push(`color: ${style.color}`);
  if (style.background) d.push(`background-color: ${style.background}`);
  if (style.align) d.push(`text-align: ${style.align}`);
  if (style.vAlign) d.push(`justify-content: ${JUSTIFY[style.vAlign]}`);
  if (style.letterSpacingMm !== undefined) d.push(`letter-spacing: ${mm(style.letterSpacingMm)}`);
  if (style.lineHeight !== undefined) d.push(`line-height: ${style.lineHeight}`);
  if (style.borderWidthMm !== undefined || style.borderColor) {
    d.push(`border: ${mm(style.borderWidthMm ?? 0.25)} solid ${style.borderColor ?? '#000'}`);
  }
  if (style.radiusMm !== undefined) d.push(`border-radius: ${mm(style.radiusMm)}`);
  if (style.opacity !== undefined) d.push(`opacity: ${style.opacity}`);
  return d;
}

interface FieldInfo {
  options: boolean;
  array: boolean;
  zones: boolean;
}

function fieldInfo(form: FormSchema | undefined, key: string): FieldInfo {
  const f = form?.properties[key] as
    { type?: string; enum?: unknown[]; oneOf?: unknown[]; 'x-widget'?: string; items?: unknown } | undefined;
  return {
    options: !!(f?.enum || f?.oneOf),
    array: f?.type === 'array',
    zones: key === 'zones' || key === 'zoneCodes' || f?.['x-widget'] === 'zones',
  };
}

function fieldValue(form: FormSchema | undefined, key: string): string {
  const info = fieldInfo(form, key);
  if (info.zones) return `{{zoneList ${ref(key)} show="code" sep=" "}}`;
  if (info.options || info.array) return `{{label "${key}"}}`;
  return `{{${ref(key)}}}`;
}

interface Ctx {
  css: string[];
  notes: string[];
  weights: Set<number>;
  form: FormSchema | undefined;
}

function elementBox(el: LayoutElement): string[] {
  if (el.type === 'line') {
    const t = el.style?.borderWidthMm ?? 0.3;
    const length = Math.hypot(el.widthMm, el.heightMm);
    const angle = (Math.atan2(el.heightMm, el.widthMm) * 180) / Math.PI + (el.rotation ?? 0);
    const d = [
      `margin: ${mm(el.yMm - t / 2)} 0 0 ${mm(el.xMm)}`,
      `width: ${mm(length)}`,
      `height: ${mm(t)}`,
      `background-color: ${el.style?.borderColor ?? el.style?.color ?? '#000'}`,
    ];
    if (Math.abs(angle) > 0.01) d.push(`transform-origin: 0 50%`, `transform: rotate(${r3(angle)}deg)`);
    if (el.style?.opacity !== undefined) d.push(`opacity: ${el.style.opacity}`);
    return d;
  }
  const d = [
    `margin: ${mm(el.yMm)} 0 0 ${mm(el.xMm)}`,
    `width: ${mm(el.widthMm)}`,
    `height: ${mm(el.heightMm)}`,
  ];
  if (el.rotation) d.push(`transform: rotate(${r3(el.rotation)}deg)`);
  return d;
}

function rule(selector: string, decls: string[]): string {
  return decls.length ? `${selector} { ${decls.join('; ')}; }` : '';
}

function defaultLines(el: { heightMm: number; style?: Style }): number {
  const size = el.style?.fontSizePt ?? DEFAULT_FONT_PT;
  const line = size * PT_MM * (el.style?.lineHeight ?? DEFAULT_LINE_HEIGHT);
  return Math.max(1, Math.floor((el.heightMm + 0.01) / line));
}

function compileElement(el: LayoutElement, face: FaceName, ctx: Ctx): string {
  const where = `${face}/${el.id}`;
  const sel = `.tc .el-${el.id}`;
  const decls = [...elementBox(el)];
  if (el.type !== 'line') decls.push(...styleDecls(el.style, ctx.notes, where));
  for (const s of [el.style, ...(el.styleRules ?? []).map((r) => r.style)]) {
    const w = fontWeight(s?.fontWeight);
    if (w !== undefined) ctx.weights.add(w);
  }
  const rules = (el.styleRules ?? [])
    .map((r, i) => `{{#if ${conditionExpr(r.when, ctx.notes, where)}}} r${i}{{/if}}`)
    .join('');
  (el.styleRules ?? []).forEach((r, i) => {
    const rd =
      el.type === 'line'
        ? r.style.borderColor || r.style.color
          ? [`background-color: ${r.style.borderColor ?? r.style.color}`]
          : []
        : styleDecls(r.style, ctx.notes, where);
    const css = rule(`${sel}.r${i}`, rd);
    if (css) ctx.css.push(css);
  });

  let html: string;
  const cls = (...c: string[]) => `class="${['e', ...c, `el-${el.id}`].join(' ')}${rules}"`;
  switch (el.type) {
    case 'field':
    case 'text': {
      const fit = el.fit ?? 'shrink';
      const lines = el.maxLines ?? defaultLines(el);
      const attrs =
        fit === 'clip'
          ? ` data-lines="${lines}"`
          : ` data-fit="${fit}" data-lines="${lines}"${el.minFontSizePt ? ` data-min="${el.minFontSizePt}"` : ''}`;
      const content = el.type === 'field' ? fieldValue(ctx.form, el.field) : interpolated(el.text);
      html = `<div ${cls('e-t', ...(fit === 'clip' ? ['e-clip'] : []))} data-el="${el.id}"${attrs}><div class="t">${content}</div></div>`;
      break;
    }
    case 'photo': {
      const field = el.field ?? 'photo';
      const fit = el.fit ?? 'cover';
      html = `<div ${cls('e-ph')}>{{photo ${ref(field)} widthMm=${r3(el.widthMm)} heightMm=${r3(el.heightMm)} fit="${fit}" el="${el.id}"}}</div>`;
      break;
    }
    case 'image': {
      const fit = el.fit === 'stretch' ? 'fill' : (el.fit ?? 'contain');
      decls.push(`object-fit: ${fit}`);
      html = `<img ${cls('e-img')} alt="" src="{{asset "${el.src}"}}">`;
      break;
    }
    case 'qrcode': {
      const ecl = el.errorCorrection ?? 'M';
      html =
        el.field !== undefined
          ? `<div ${cls('e-qr')}>{{qr ${ref(el.field)} ecl="${ecl}" el="${el.id}"}}</div>`
          : `<div ${cls('e-qr')}>{{#qr ecl="${ecl}" el="${el.id}"}}${interpolated(el.value ?? '')}{{/qr}}</div>`;
      break;
    }
    case 'barcode': {
      const textPt = Math.min(8, Math.max(4, (el.heightMm * 0.22) / PT_MM));
      if (el.showText) ctx.css.push(rule(`${sel} > .bc-t`, [`font-size: ${r3(textPt)}pt`]));
      html = `<div ${cls('e-bc')}>{{barcode ${ref(el.field)} type="${el.symbology}"${el.showText ? ' text=true' : ''} el="${el.id}"}}</div>`;
      break;
    }
    case 'band':
      decls.push(`background-color: ${el.color === 'cardType' ? 'var(--ct, #7f8c8d)' : el.color}`);
      html = `<div ${cls('e-band')}></div>`;
      break;
    case 'ellipse':
      decls.push('border-radius: 50%');
      html = `<div ${cls('e-shape')}></div>`;
      break;
    case 'rect':
    case 'line':
      html = `<div ${cls('e-shape')}></div>`;
      break;
  }
  ctx.css.unshift(rule(sel, decls));
  if (el.visibleIf) html = `{{#if ${conditionExpr(el.visibleIf, ctx.notes, where)}}}${html}{{/if}}`;
  return html;
}

function extentOf(
  elements: readonly LayoutElement[],
  widthMm: number,
  heightMm: number,
): CompiledFace['extent'] {
  const e = { left: 0, top: 0, right: 0, bottom: 0 };
  for (const el of elements) {
    // A rotated box reaches at most half its diagonal from its centre.
    const spin = el.rotation || el.type === 'line' ? Math.hypot(el.widthMm, el.heightMm) / 2 : 0;
    const cx = el.xMm + el.widthMm / 2;
    const cy = el.yMm + el.heightMm / 2;
    const hw = spin || el.widthMm / 2;
    const hh = spin || el.heightMm / 2;
    const t = el.type === 'line' ? (el.style?.borderWidthMm ?? 0.3) : 0;
    e.left = Math.max(e.left, -(cx - hw - t));
    e.top = Math.max(e.top, -(cy - hh - t));
    e.right = Math.max(e.right, cx + hw + t - widthMm);
    e.bottom = Math.max(e.bottom, cy + hh + t - heightMm);
  }
  return e;
}

function faceBackground(face: CardFace | undefined, name: FaceName): string {
  const bg = face?.background;
  if (!bg) return '';
  const d: string[] = [];
  if (bg.color) d.push(`background-color: ${bg.color}`);
  if (bg.image) {
    const size = bg.fit === 'contain' ? 'contain' : bg.fit === 'stretch' ? '100% 100%' : 'cover';
    d.push(`background-image: url("{{asset "${bg.image}"}}")`, `background-size: ${size}`);
    d.push('background-position: center', 'background-repeat: no-repeat');
  }
  return rule(`.tf.F-${name}`, d);
}

export interface CompileOptions {
  /** The record kind's form: option fields print their titles, zone lists their codes. */
  form?: FormSchema;
}

/** Compiles a layout (model or advanced template) into face templates and a stylesheet. */
export function compileLayout(layout: CardLayout, options: CompileOptions = {}): CompiledLayout {
  const { widthMm, heightMm } = layout.size;
  const notes: string[] = [];
  const weights = new Set<number>([400, 700]);
  const css: string[] = [];

  const compileFace = (name: FaceName): CompiledFace | undefined => {
    const face = layout[name];
    const own = layout.template?.[name];
    if (own !== undefined) {
      // Advanced mode: any weight may be named in the author's CSS.
      [100, 300, 500, 900].forEach((w) => weights.add(w));
      const reach = Math.max(widthMm, heightMm);
      return {
        template: own,
        advanced: true,
        extent: { left: reach, top: reach, right: reach, bottom: reach },
      };
    }
    if (!face) return undefined;
    const ctx: Ctx = { css: [], notes, weights, form: options.form };
    const ordered = face.elements
      .map((el, i) => ({ el, i }))
      .sort((a, b) => (a.el.z ?? 0) - (b.el.z ?? 0) || a.i - b.i)
      .map(({ el }) => el);
    const parts = ordered.map((el) => compileElement(el, name, ctx));
    // Cutting drifts by a millimetre or two: text and codes belong inside the safe area.
    const safe = layout.safeMarginMm ?? 3;
    for (const el of face.elements) {
      if (!['text', 'field', 'photo', 'qrcode', 'barcode'].includes(el.type)) continue;
      const eps = 0.001;
      if (
        el.xMm < safe - eps ||
        el.yMm < safe - eps ||
        el.xMm + el.widthMm > widthMm - safe + eps ||
        el.yMm + el.heightMm > heightMm - safe + eps
      ) {
        notes.push(`${name}/${el.id}：超出 ${safe} mm 安全区，裁切时可能被切到`);
      }
    }
    css.push(`/* ${name} */`, ...ctx.css.filter(Boolean));
    return {
      template: parts.join('\n'),
      advanced: false,
      extent: extentOf(face.elements, widthMm, heightMm),
    };
  };

  const front = compileFace('front');
  if (!front) throw new Error(`版式 ${layout.code} 没有正面`);
  const back = compileFace('back');
  const backgrounds = [faceBackground(layout.front, 'front'), faceBackground(layout.back, 'back')].filter(
    Boolean,
  );
  return {
    code: layout.code,
    widthMm,
    heightMm,
    bleedMm: layout.bleedMm ?? 2,
    safeMarginMm: layout.safeMarginMm ?? 3,
    front,
    back,
    css: [...backgrounds, ...css, layout.template?.css ?? ''].filter(Boolean).join('\n'),
    fontWeights: [...weights].sort((a, b) => a - b),
    notes,
  };
}
