/**
 * Geometry of the card designer, in millimetres: screen ↔ card units, moving and resizing boxes
 * (rotated ones too), snapping to the grid and to other elements' edges and centres with the
 * guides to draw, align and distribute. Framework-free and browser-safe: the designer's canvas
 * calls it, the unit tests check it without a browser.
 *
 * A box is an element's `xMm/yMm/widthMm/heightMm` with its `rotation` (degrees clockwise about
 * the box's centre, as the compiler writes `transform: rotate()`).
 */

/** CSS pixels per millimetre at 100 % zoom (96 px per inch). */
export const PX_PER_MM = 96 / 25.4;

export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 4;

export interface Box {
  xMm: number;
  yMm: number;
  widthMm: number;
  heightMm: number;
  rotation?: number;
}

export type Handle = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw';

export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export const clampZoom = (zoom: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));

export const mmToPx = (mm: number, zoom: number): number => mm * PX_PER_MM * zoom;

export const pxToMm = (px: number, zoom: number): number => px / (PX_PER_MM * zoom);

/** A length rounded to 0.01 mm: what a layout file keeps (no 12.300000000000001). */
export const roundMm = (mm: number): number => Math.round(mm * 100) / 100;

/** Ruler ticks in mm for a length: every mm a minor tick, every 5 a mid tick, every 10 a label. */
export function rulerTicks(
  fromMm: number,
  toMm: number,
  zoom: number,
): Array<{ mm: number; kind: 'minor' | 'mid' | 'major' }> {
  // At small zoom a tick per millimetre would be a grey smear: thin out to 2 or 5 mm.
  const step = mmToPx(1, zoom) >= 3 ? 1 : mmToPx(2, zoom) >= 3 ? 2 : 5;
  const ticks: Array<{ mm: number; kind: 'minor' | 'mid' | 'major' }> = [];
  for (let mm = Math.ceil(fromMm / step) * step; mm <= toMm + 1e-9; mm += step) {
    const kind = mm % 10 === 0 ? 'major' : mm % 5 === 0 ? 'mid' : 'minor';
    ticks.push({ mm, kind });
  }
  return ticks;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

function rotate(x: number, y: number, deg: number): [number, number] {
  const c = Math.cos(rad(deg));
  const s = Math.sin(rad(deg));
  return [x * c - y * s, x * s + y * c];
}

/** The axis-aligned extent of a box on the card, rotation included. */
export function extentOf(b: Box): { left: number; top: number; right: number; bottom: number } {
  const cx = b.xMm + b.widthMm / 2;
  const cy = b.yMm + b.heightMm / 2;
  const r = b.rotation ?? 0;
  if (!r) return { left: b.xMm, top: b.yMm, right: b.xMm + b.widthMm, bottom: b.yMm + b.heightMm };
  const corners = [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ].map(([sx, sy]) => rotate((sx! * b.widthMm) / 2, (sy! * b.heightMm) / 2, r));
  const xs = corners.map(([x]) => cx + x);
  const ys = corners.map(([, y]) => cy + y);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

/**
 * Resizes a box by dragging one of its handles by (dxMm, dyMm) on the card. The handle moves with
 * the pointer in the box's own (rotated) frame and the opposite edge or corner stays where it is
 * on the card. `keepRatio` (shift) keeps the proportions for corner handles.
 */
export function resizeBox(
  start: Box,
  handle: Handle,
  dxMm: number,
  dyMm: number,
  opts: { keepRatio?: boolean; minMm?: number } = {},
): Box {
  const min = opts.minMm ?? 0.5;
  const r = start.rotation ?? 0;
  const [lx, ly] = rotate(dxMm, dyMm, -r);
  const sx = handle.includes('e') ? 1 : handle.includes('w') ? -1 : 0;
  const sy = handle.includes('s') ? 1 : handle.includes('n') ? -1 : 0;
  let w = Math.max(min, start.widthMm + sx * lx);
  let h = Math.max(min, start.heightMm + sy * ly);
  if (opts.keepRatio && sx !== 0 && sy !== 0 && start.widthMm > 0 && start.heightMm > 0) {
    const scale = Math.max(w / start.widthMm, h / start.heightMm);
    w = Math.max(min, start.widthMm * scale);
    h = Math.max(min, start.heightMm * scale);
  }
  // The fixed point (opposite handle) in the box frame relative to its centre, before and after.
  const [ax, ay] = rotate((-sx * start.widthMm) / 2, (-sy * start.heightMm) / 2, r);
  const cx0 = start.xMm + start.widthMm / 2;
  const cy0 = start.yMm + start.heightMm / 2;
  const fixedX = cx0 + ax;
  const fixedY = cy0 + ay;
  const [bx, by] = rotate((-sx * w) / 2, (-sy * h) / 2, r);
  const cx = fixedX - bx;
  const cy = fixedY - by;
  return { ...start, xMm: cx - w / 2, yMm: cy - h / 2, widthMm: w, heightMm: h };
}

/**
 * The rotation (degrees clockwise, −180…180) that points the rotate handle — drawn above the
 * box — at the pointer. `stepDeg` snaps to multiples (15° with shift).
 */
export function rotationToward(b: Box, pointerXMm: number, pointerYMm: number, stepDeg = 0): number {
  const cx = b.xMm + b.widthMm / 2;
  const cy = b.yMm + b.heightMm / 2;
  let deg = (Math.atan2(pointerYMm - cy, pointerXMm - cx) * 180) / Math.PI + 90;
  if (stepDeg > 0) deg = Math.round(deg / stepDeg) * stepDeg;
  deg = ((((deg + 180) % 360) + 360) % 360) - 180;
  return Math.round(deg * 10) / 10 || 0;
}

// ---------------------------------------------------------------------------------------------
// Snapping

export interface SnapTarget {
  /** Position on the axis, mm. */
  at: number;
  /** Where the guide line runs on the other axis (for drawing it). */
  from: number;
  to: number;
  /** What it is: an element's id, or `card`, `safe`. */
  source: string;
}

export interface SnapTargets {
  x: SnapTarget[];
  y: SnapTarget[];
}

export interface Guide {
  axis: 'x' | 'y';
  /** Position of the line on its axis, mm. */
  at: number;
  from: number;
  to: number;
}

export interface SnapOptions {
  /** Grid pitch in mm; 0 = no grid snapping. */
  gridMm: number;
  /** How close (mm) a box edge must come to a target to jump to it. */
  thresholdMm: number;
  /** Snap to other elements and the card's edges, centre and safe area. */
  objects: boolean;
}

/**
 * Lines a moving box may snap to: the card's edges, centre lines and safe area, and every other
 * element's edges and centres (by its extent on the card).
 */
export function snapTargets(
  card: { widthMm: number; heightMm: number; safeMarginMm: number },
  others: ReadonlyArray<Box & { id: string }>,
): SnapTargets {
  const { widthMm: W, heightMm: H, safeMarginMm: s } = card;
  const x: SnapTarget[] = [0, W / 2, W].map((at) => ({ at, from: 0, to: H, source: 'card' }));
  const y: SnapTarget[] = [0, H / 2, H].map((at) => ({ at, from: 0, to: W, source: 'card' }));
  if (s > 0) {
    x.push({ at: s, from: 0, to: H, source: 'safe' }, { at: W - s, from: 0, to: H, source: 'safe' });
    y.push({ at: s, from: 0, to: W, source: 'safe' }, { at: H - s, from: 0, to: W, source: 'safe' });
  }
  for (const o of others) {
    const e = extentOf(o);
    for (const at of [e.left, (e.left + e.right) / 2, e.right])
      x.push({ at, from: e.top, to: e.bottom, source: o.id });
    for (const at of [e.top, (e.top + e.bottom) / 2, e.bottom])
      y.push({ at, from: e.left, to: e.right, source: o.id });
  }
  return { x, y };
}

interface AxisSnap {
  delta: number;
  guides: Guide[];
}

/**
 * The shift along one axis that brings one of `points` (edges and centre of the moving box) onto
 * the nearest target within the threshold; object targets beat the grid at equal distance.
 */
function snapAxis(
  axis: 'x' | 'y',
  points: number[],
  span: [number, number],
  targets: SnapTarget[],
  o: SnapOptions,
): AxisSnap {
  let best: { delta: number; dist: number; target?: SnapTarget } | undefined;
  if (o.objects) {
    for (const t of targets) {
      for (const p of points) {
        const d = t.at - p;
        if (Math.abs(d) <= o.thresholdMm && (!best || Math.abs(d) < best.dist - 1e-9))
          best = { delta: d, dist: Math.abs(d), target: t };
      }
    }
  }
  if (o.gridMm > 0) {
    // The grid moves the box's leading edge (left/top) onto a grid line.
    const p = points[0]!;
    const d = Math.round(p / o.gridMm) * o.gridMm - p;
    if (Math.abs(d) <= o.thresholdMm && (!best || Math.abs(d) < best.dist - 1e-9))
      best = { delta: d, dist: Math.abs(d) };
  }
  if (!best) return { delta: 0, guides: [] };
  const guides: Guide[] = [];
  if (best.target) {
    // Every target on the same line gets its guide drawn, spanning the box and the target.
    const at = best.target.at;
    for (const t of targets) {
      if (Math.abs(t.at - at) > 1e-6) continue;
      guides.push({ axis, at, from: Math.min(t.from, span[0]), to: Math.max(t.to, span[1]) });
    }
  }
  return { delta: best.delta, guides: mergeGuides(guides) };
}

function mergeGuides(guides: Guide[]): Guide[] {
  if (guides.length <= 1) return guides;
  return [
    {
      axis: guides[0]!.axis,
      at: guides[0]!.at,
      from: Math.min(...guides.map((g) => g.from)),
      to: Math.max(...guides.map((g) => g.to)),
    },
  ];
}

/**
 * Snaps a box being moved: returns the corrected position and the guides to show. `box` is where
 * the pointer put it.
 */
export function snapMove(box: Box, targets: SnapTargets, o: SnapOptions): { box: Box; guides: Guide[] } {
  const e = extentOf(box);
  const sx = snapAxis('x', [e.left, (e.left + e.right) / 2, e.right], [e.top, e.bottom], targets.x, o);
  const sy = snapAxis('y', [e.top, (e.top + e.bottom) / 2, e.bottom], [e.left, e.right], targets.y, o);
  return {
    box: { ...box, xMm: box.xMm + sx.delta, yMm: box.yMm + sy.delta },
    guides: [...sx.guides, ...sy.guides],
  };
}

/**
 * Snaps the edges a resize handle moves (unrotated boxes only: a rotated box's edges are not on
 * the axes, so it is left as the pointer put it).
 */
export function snapResize(
  box: Box,
  handle: Handle,
  targets: SnapTargets,
  o: SnapOptions,
  minMm = 0.5,
): { box: Box; guides: Guide[] } {
  if (box.rotation) return { box, guides: [] };
  const out = { ...box };
  const guides: Guide[] = [];
  const right = box.xMm + box.widthMm;
  const bottom = box.yMm + box.heightMm;
  if (handle.includes('e') || handle.includes('w')) {
    const east = handle.includes('e');
    const edge = east ? right : box.xMm;
    const s = snapAxis('x', [edge], [box.yMm, bottom], targets.x, o);
    const moved = edge + s.delta;
    if (east && moved - box.xMm >= minMm) out.widthMm = moved - box.xMm;
    else if (!east && right - moved >= minMm) {
      out.xMm = moved;
      out.widthMm = right - moved;
    }
    guides.push(...s.guides);
  }
  if (handle.includes('n') || handle.includes('s')) {
    const south = handle.includes('s');
    const edge = south ? bottom : box.yMm;
    const s = snapAxis('y', [edge], [box.xMm, right], targets.y, o);
    const moved = edge + s.delta;
    if (south && moved - box.yMm >= minMm) out.heightMm = moved - box.yMm;
    else if (!south && bottom - moved >= minMm) {
      out.yMm = moved;
      out.heightMm = bottom - moved;
    }
    guides.push(...s.guides);
  }
  return { box: out, guides };
}

// ---------------------------------------------------------------------------------------------
// Align and distribute

export type AlignMode = 'left' | 'hcenter' | 'right' | 'top' | 'vcenter' | 'bottom';

/**
 * Aligns boxes to each other (the extent of the selection) or, for a single box, to the card.
 * Returns the new positions in the same order; rotated boxes align by their extent on the card.
 */
export function alignBoxes<T extends Box>(
  boxes: readonly T[],
  mode: AlignMode,
  card: { widthMm: number; heightMm: number },
): T[] {
  if (boxes.length === 0) return [];
  const extents = boxes.map(extentOf);
  const frame =
    boxes.length === 1
      ? { left: 0, top: 0, right: card.widthMm, bottom: card.heightMm }
      : {
          left: Math.min(...extents.map((e) => e.left)),
          top: Math.min(...extents.map((e) => e.top)),
          right: Math.max(...extents.map((e) => e.right)),
          bottom: Math.max(...extents.map((e) => e.bottom)),
        };
  return boxes.map((b, i) => {
    const e = extents[i]!;
    let dx = 0;
    let dy = 0;
    if (mode === 'left') dx = frame.left - e.left;
    if (mode === 'right') dx = frame.right - e.right;
    if (mode === 'hcenter') dx = (frame.left + frame.right) / 2 - (e.left + e.right) / 2;
    if (mode === 'top') dy = frame.top - e.top;
    if (mode === 'bottom') dy = frame.bottom - e.bottom;
    if (mode === 'vcenter') dy = (frame.top + frame.bottom) / 2 - (e.top + e.bottom) / 2;
    return { ...b, xMm: roundMm(b.xMm + dx), yMm: roundMm(b.yMm + dy) };
  });
}

/**
 * Spreads three or more boxes so the gaps between them are equal along an axis; the outermost two
 * stay put. Returns positions in the input order (fewer than three: unchanged).
 */
export function distributeBoxes<T extends Box>(boxes: readonly T[], axis: 'x' | 'y'): T[] {
  if (boxes.length < 3) return boxes.map((b) => ({ ...b }));
  const items = boxes.map((b, i) => {
    const e = extentOf(b);
    return axis === 'x'
      ? { i, start: e.left, size: e.right - e.left }
      : { i, start: e.top, size: e.bottom - e.top };
  });
  const sorted = [...items].sort((a, b) => a.start - b.start);
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const total = sorted.reduce((n, it) => n + it.size, 0);
  const gap = (last.start + last.size - first.start - total) / (sorted.length - 1);
  const out = boxes.map((b) => ({ ...b }));
  let at = first.start;
  for (const it of sorted) {
    const shift = at - it.start;
    const b = out[it.i]!;
    if (axis === 'x') b.xMm = roundMm(b.xMm + shift);
    else b.yMm = roundMm(b.yMm + shift);
    at += it.size + gap;
  }
  return out;
}

/** Keyboard nudge: arrows move 0.1 mm, with shift 1 mm. */
export function nudgeStep(key: string, shift: boolean): { dx: number; dy: number } | null {
  const step = shift ? 1 : 0.1;
  switch (key) {
    case 'ArrowLeft':
      return { dx: -step, dy: 0 };
    case 'ArrowRight':
      return { dx: step, dy: 0 };
    case 'ArrowUp':
      return { dx: 0, dy: -step };
    case 'ArrowDown':
      return { dx: 0, dy: step };
    default:
      return null;
  }
}

/** Ids of the boxes whose extent meets a marquee rectangle (mm, any corner order). */
export function boxesInMarquee<T extends Box & { id: string }>(
  boxes: readonly T[],
  a: { x: number; y: number },
  b: { x: number; y: number },
): string[] {
  const left = Math.min(a.x, b.x);
  const right = Math.max(a.x, b.x);
  const top = Math.min(a.y, b.y);
  const bottom = Math.max(a.y, b.y);
  return boxes
    .filter((bx) => {
      const e = extentOf(bx);
      return e.left < right && e.right > left && e.top < bottom && e.bottom > top;
    })
    .map((bx) => bx.id);
}

/**
 * Where a new box of `widthMm × heightMm` goes: the first place, reading from the top-left of the
 * safe area on a 1 mm grid, where it meets no other element's extent (with `gapMm` between them),
 * so elements added one after another lie side by side instead of on top of each other. When the
 * card is full, the card's centre, shifted 2 mm further for each element already on the face.
 */
export function freeSpot(
  card: { widthMm: number; heightMm: number; safeMarginMm: number },
  size: { widthMm: number; heightMm: number },
  others: readonly Box[],
  gapMm = 1,
): { xMm: number; yMm: number } {
  const s = Math.max(0, card.safeMarginMm);
  const taken = others.map(extentOf);
  const fits = (x: number, y: number) =>
    taken.every(
      (e) =>
        x + size.widthMm + gapMm <= e.left ||
        x >= e.right + gapMm ||
        y + size.heightMm + gapMm <= e.top ||
        y >= e.bottom + gapMm,
    );
  for (let y = s; y + size.heightMm <= card.heightMm - s + 1e-9; y += 1) {
    for (let x = s; x + size.widthMm <= card.widthMm - s + 1e-9; x += 1) {
      if (fits(x, y)) return { xMm: roundMm(x), yMm: roundMm(y) };
    }
  }
  const shift = (others.length % 6) * 2;
  return {
    xMm: roundMm(Math.max(0, (card.widthMm - size.widthMm) / 2 + shift)),
    yMm: roundMm(Math.max(0, (card.heightMm - size.heightMm) / 2 + shift)),
  };
}
