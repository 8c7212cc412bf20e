/**
 * Working with the layout model (schemas/layout.schema.json, types generated in
 * core/types/generated): a blank layout, new elements with sensible defaults, unique ids, and
 * plugin issues told in the designer's words — which element of which face, which property.
 * Browser-safe: the designer and the server both use it.
 */
import type { PluginIssue } from '../plugins/plugin-issue.ts';
import type { CardLayout, CardSize, LayoutElement } from '../types/generated/index.ts';
import { DEFAULT_FONT_FAMILY } from '../render/font-families.ts';

export type FaceName = 'front' | 'back';

export const FACE_LABELS: Record<FaceName, string> = { front: '正面', back: '背面' };

export type ElementType = LayoutElement['type'];

export const ELEMENT_LABELS: Record<ElementType, string> = {
  field: '绑定字段',
  text: '文字',
  photo: '照片',
  image: '图片',
  qrcode: '二维码',
  barcode: '条形码',
  rect: '矩形',
  ellipse: '椭圆',
  line: '直线',
  band: '色带',
};

/** Size presets (mm) as the layout schema names them; `custom` takes any size. */
export const SIZE_PRESETS: ReadonlyArray<{
  preset: CardSize['preset'];
  label: string;
  w: number;
  h: number;
}> = [
  { preset: 'CR80', label: 'CR80 横版 85.6×54', w: 85.6, h: 54 },
  { preset: 'CR80-PORTRAIT', label: 'CR80 竖版 54×85.6', w: 54, h: 85.6 },
  { preset: '90x54', label: '90×54', w: 90, h: 54 },
  { preset: 'A7', label: 'A7 74×105', w: 74, h: 105 },
  { preset: 'A6', label: 'A6 105×148', w: 105, h: 148 },
  { preset: 'VEHICLE-A5', label: '车辆通行证 A5 210×148', w: 210, h: 148 },
];

export const LAYOUT_CODE = /^[a-z][a-z0-9-]{0,39}$/;

/** A layout with an empty front and back on a white background. */
export function blankLayout(o: {
  code: string;
  name: string;
  recordKind: string;
  preset: CardSize['preset'];
  widthMm?: number;
  heightMm?: number;
}): CardLayout {
  const p = SIZE_PRESETS.find((s) => s.preset === o.preset);
  return {
    code: o.code,
    name: o.name,
    recordKind: o.recordKind,
    size: { preset: o.preset, widthMm: p?.w ?? o.widthMm ?? 85.6, heightMm: p?.h ?? o.heightMm ?? 54 },
    bleedMm: 2,
    safeMarginMm: 3,
    front: { background: { color: '#ffffff' }, elements: [] },
    back: { background: { color: '#ffffff' }, elements: [] },
  };
}

/** Every element id of both faces (ids are unique across the layout). */
export function elementIds(layout: CardLayout): Set<string> {
  return new Set([...(layout.front?.elements ?? []), ...(layout.back?.elements ?? [])].map((e) => e.id));
}

/** `photo`, `photo2`, … : the first id with this stem that the layout does not use yet. */
export function uniqueId(layout: CardLayout, stem: string): string {
  const used = elementIds(layout);
  const base = stem.replace(/[^A-Za-z0-9_-]/g, '') || 'el';
  const clean = /^[A-Za-z]/.test(base) ? base : `el${base}`;
  if (!used.has(clean)) return clean;
  for (let n = 2; ; n++) if (!used.has(`${clean}${n}`)) return `${clean}${n}`;
}

const TEXT_STYLE = { fontFamily: DEFAULT_FONT_FAMILY, fontSizePt: 9, color: '#17202a' };

/**
 * A new element of `type` placed at (x, y) with a size and style that print well at once;
 * `field` binds it (field text, photo, QR, barcode).
 */
export function newElement(
  layout: CardLayout,
  type: ElementType,
  at: { xMm: number; yMm: number },
  field?: string,
): LayoutElement {
  const base = { xMm: at.xMm, yMm: at.yMm };
  const id = (stem: string) => uniqueId(layout, stem);
  switch (type) {
    case 'field':
      return {
        id: id(field ?? 'field'),
        type,
        ...base,
        widthMm: 40,
        heightMm: 6,
        field: field ?? 'name',
        fit: 'shrink',
        style: { ...TEXT_STYLE, fontSizePt: 12, fontWeight: 'bold' },
      };
    case 'text':
      return {
        id: id('text'),
        type,
        ...base,
        widthMm: 30,
        heightMm: 5,
        text: '文字',
        style: { ...TEXT_STYLE },
      };
    case 'photo':
      return {
        id: id('photo'),
        type,
        ...base,
        widthMm: 22,
        heightMm: 29.3,
        field: field ?? 'photo',
        fit: 'cover',
      };
    case 'image':
      return { id: id('image'), type, ...base, widthMm: 15, heightMm: 15, src: field ?? '', fit: 'contain' };
    case 'qrcode':
      return {
        id: id('qr'),
        type,
        ...base,
        widthMm: 14,
        heightMm: 14,
        field: field ?? 'verifyToken',
        errorCorrection: 'M',
      };
    case 'barcode':
      return {
        id: id('barcode'),
        type,
        ...base,
        widthMm: 40,
        heightMm: 10,
        symbology: 'code128',
        field: field ?? 'cardNumber',
        showText: true,
      };
    case 'rect':
      return {
        id: id('rect'),
        type,
        ...base,
        widthMm: 20,
        heightMm: 10,
        style: { borderColor: '#17202a', borderWidthMm: 0.3 },
      };
    case 'ellipse':
      return {
        id: id('ellipse'),
        type,
        ...base,
        widthMm: 12,
        heightMm: 12,
        style: { background: '#d5dbdb' },
      };
    case 'line':
      return {
        id: id('line'),
        type,
        ...base,
        widthMm: 30,
        heightMm: 0,
        style: { borderColor: '#17202a', borderWidthMm: 0.3 },
      };
    case 'band':
      return { id: id('band'), type, ...base, widthMm: 30, heightMm: 8, color: 'cardType' };
  }
}

/** A plugin issue placed on the layout: which face and element, which property (dotted path). */
export interface LayoutIssue extends PluginIssue {
  face?: FaceName;
  element?: string;
  property?: string;
}

/**
 * Names the element and property of issues about a layout file (`/front/elements/3/style/color`
 * → front, element id, `style.color`) and says so at the start of the message, so an error reads
 * “正面元素 name（姓名）的 style.fontSizePt：…” instead of a JSON pointer.
 */
export function placeLayoutIssues(layout: unknown, issues: readonly PluginIssue[]): LayoutIssue[] {
  const l = layout as Partial<CardLayout> | undefined;
  return issues.map((issue) => {
    const m = /^\/(front|back)\/elements\/(\d+)(?:\/(.*))?$/.exec(issue.pointer);
    if (!m) {
      const top = /^\/([^/]+)(?:\/(.*))?$/.exec(issue.pointer);
      if (!top) return { ...issue };
      const property = [top[1], ...(top[2] ? top[2].split('/') : [])].join('.');
      return { ...issue, property, message: `${property}：${issue.message}` };
    }
    const face = m[1] as FaceName;
    const el = l?.[face]?.elements?.[Number(m[2])] as Partial<LayoutElement> | undefined;
    const element = typeof el?.id === 'string' ? el.id : `#${Number(m[2]) + 1}`;
    const property = m[3] ? m[3].split('/').join('.') : undefined;
    const named = el?.name ? `${element}（${el.name}）` : element;
    const where = `${FACE_LABELS[face]}元素 ${named}${property ? ` 的 ${property}` : ''}`;
    return { ...issue, face, element, property, message: `${where}：${issue.message}` };
  });
}
