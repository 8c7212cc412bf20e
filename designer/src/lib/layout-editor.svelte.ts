// The card designer's editing state: the layout as edited (the schema's model, nothing added), the
// face shown, the selection, zoom and snapping settings, and the undo history. Every change goes
// through `commit`, so undo/redo covers all of them; the geometry is core/layout/geometry.ts.
import {
  alignBoxes,
  distributeBoxes,
  freeSpot,
  roundMm,
  type AlignMode,
  type Guide,
} from '@core/layout/geometry.ts';
import { History } from '@core/layout/history.ts';
import { newElement, uniqueId, type ElementType, type FaceName } from '@core/layout/model.ts';
import type { CardLayout, LayoutElement, Style } from '@core/types/generated/index.ts';

/** How far a paste or duplicate lands from the original (mm), so the copy is seen at once. */
const PASTE_OFFSET_MM = 2;

const EDITABLE_BOX = ['xMm', 'yMm', 'widthMm', 'heightMm'] as const;

/** Room around the trimmed card on the canvas: the bleed and a margin to grab elements that stick out. */
export const canvasPadMm = (card: { bleedMm: number }): number => card.bleedMm + 6;

/** Elements of a face in stacking order (as the compiler writes them: by z, ties in array order). */
export function stackOrder(elements: readonly LayoutElement[]): LayoutElement[] {
  return elements
    .map((el, i) => ({ el, i }))
    .sort((a, b) => (a.el.z ?? 0) - (b.el.z ?? 0) || a.i - b.i)
    .map(({ el }) => el);
}

export class LayoutEditor {
  layout = $state<CardLayout>(null as unknown as CardLayout);
  face = $state<FaceName>('front');
  selection = $state<string[]>([]);
  zoom = $state(3);
  gridMm = $state(1);
  showGrid = $state(true);
  snapObjects = $state(true);
  snapGrid = $state(true);
  guides = $state<Guide[]>([]);
  /** Hidden on the canvas only (the layout model has no such property: hidden elements still print). */
  hidden = $state<string[]>([]);
  canUndo = $state(false);
  canRedo = $state(false);
  /** The layout as last saved (JSON), for “unsaved changes”. */
  saved = $state('');
  /** Elements copied with Ctrl+C / Ctrl+X (kept in the editor: they paste on either face). */
  clipboard = $state<LayoutElement[]>([]);
  private pasteCount = 0;
  private history: History<CardLayout>;

  constructor(layout: CardLayout) {
    this.layout = structuredClone(layout);
    this.history = new History(layout);
    this.saved = JSON.stringify(layout);
  }

  get dirty(): boolean {
    return JSON.stringify(this.layout) !== this.saved;
  }

  get card() {
    return {
      widthMm: this.layout.size.widthMm,
      heightMm: this.layout.size.heightMm,
      safeMarginMm: this.layout.safeMarginMm ?? 3,
      bleedMm: this.layout.bleedMm ?? 2,
    };
  }

  get elements(): LayoutElement[] {
    return this.layout[this.face]?.elements ?? [];
  }

  get selected(): LayoutElement[] {
    return this.elements.filter((e) => this.selection.includes(e.id));
  }

  get advanced(): boolean {
    return this.layout.template?.[this.face] !== undefined;
  }

  private syncFlags(): void {
    this.canUndo = this.history.canUndo;
    this.canRedo = this.history.canRedo;
  }

  /** Makes `next` the layout and records it; same `mergeKey` in a row = one undo step. */
  commit(next: CardLayout, mergeKey?: string): void {
    this.layout = next;
    this.history.push(next, mergeKey);
    this.syncFlags();
  }

  /** Ends a run of merged edits (pointer up, key up, leaving a field). */
  seal(): void {
    this.history.seal();
  }

  undo(): void {
    const prev = this.history.undo();
    if (prev) this.restore(prev);
  }

  redo(): void {
    const next = this.history.redo();
    if (next) this.restore(next);
  }

  private restore(state: CardLayout): void {
    this.layout = state;
    const ids = this.elements.map((e) => e.id);
    this.selection = this.selection.filter((id) => ids.includes(id));
    this.syncFlags();
  }

  /** After saving: the saved state becomes the baseline (history is kept). */
  markSaved(layout: CardLayout): void {
    this.saved = JSON.stringify(layout);
  }

  /** A copy of the layout with the current face's elements changed by `change`. */
  withElements(change: (elements: LayoutElement[]) => LayoutElement[]): CardLayout {
    const next = structuredClone($state.snapshot(this.layout)) as CardLayout;
    const face = next[this.face] ?? { elements: [] };
    face.elements = change(face.elements);
    next[this.face] = face;
    return next;
  }

  /** Changes one element (a partial patch; `undefined` values remove a property). */
  updateElement(id: string, patch: Record<string, unknown>, mergeKey?: string): void {
    this.commit(
      this.withElements((els) =>
        els.map((el) => {
          if (el.id !== id) return el;
          const out = { ...el } as Record<string, unknown>;
          for (const [k, v] of Object.entries(patch)) {
            if (v === undefined) delete out[k];
            else out[k] = v;
          }
          for (const k of EDITABLE_BOX) if (typeof out[k] === 'number') out[k] = roundMm(out[k] as number);
          return out as unknown as LayoutElement;
        }),
      ),
      mergeKey,
    );
  }

  /** Changes the whole layout (size, bleed, backgrounds, template …). */
  updateLayout(change: (layout: CardLayout) => void, mergeKey?: string): void {
    const next = structuredClone($state.snapshot(this.layout)) as CardLayout;
    change(next);
    this.commit(next, mergeKey);
  }

  /** Sets new boxes for elements by id (moves, resizes, align). */
  placeBoxes(
    boxes: ReadonlyArray<{
      id: string;
      xMm: number;
      yMm: number;
      widthMm?: number;
      heightMm?: number;
      rotation?: number;
    }>,
    mergeKey?: string,
  ): void {
    const byId = Object.fromEntries(boxes.map((b) => [b.id, b]));
    this.commit(
      this.withElements((els) =>
        els.map((el) => {
          const b = byId[el.id];
          if (!b) return el;
          const out = { ...el, xMm: roundMm(b.xMm), yMm: roundMm(b.yMm) };
          if (b.widthMm !== undefined) out.widthMm = roundMm(b.widthMm);
          if (b.heightMm !== undefined) out.heightMm = roundMm(b.heightMm);
          if (b.rotation !== undefined) {
            if (b.rotation) out.rotation = b.rotation;
            else delete out.rotation;
          }
          return out;
        }),
      ),
      mergeKey,
    );
  }

  add(type: ElementType, field?: string): LayoutElement {
    const { widthMm } = this.card;
    const el = newElement(this.layout, type, { xMm: 0, yMm: 0 }, field);
    if (type === 'band') {
      el.xMm = -this.card.bleedMm;
      el.widthMm = roundMm(widthMm + 2 * this.card.bleedMm);
      el.yMm = 0;
    } else {
      // The first free place in the safe area, so elements added one after another do not stack.
      const at = freeSpot(this.card, el, this.elements);
      el.xMm = at.xMm;
      el.yMm = at.yMm;
    }
    const top = Math.max(0, ...this.elements.map((e) => e.z ?? 0));
    if (type !== 'band') el.z = top + 1;
    this.commit(this.withElements((els) => [...els, el]));
    this.selection = [el.id];
    return el;
  }

  /** Ctrl+C: the selected elements (in stacking order) go to the editor's clipboard. */
  copySelected(): number {
    const picked = stackOrder(this.selected);
    if (picked.length === 0) return 0;
    this.clipboard = picked.map((e) => structuredClone($state.snapshot(e)) as LayoutElement);
    this.pasteCount = 0;
    return picked.length;
  }

  /** Ctrl+X: copy, then remove (locked elements stay). */
  cutSelected(): number {
    const n = this.copySelected();
    this.removeSelected();
    return n;
  }

  /**
   * Ctrl+V: the clipboard onto the face shown, each paste 2 mm further down and right, with new
   * ids, on top of the stack, unlocked and selected — one undo step.
   */
  paste(): void {
    if (this.clipboard.length === 0) return;
    this.pasteCount++;
    this.insertCopies(this.clipboard, PASTE_OFFSET_MM * this.pasteCount);
  }

  /** Ctrl+D: copies of the selection next to it, without touching the clipboard. */
  duplicate(): void {
    const picked = stackOrder(this.selected);
    if (picked.length) this.insertCopies(picked, PASTE_OFFSET_MM);
  }

  private insertCopies(originals: readonly LayoutElement[], offsetMm: number): void {
    const next = structuredClone($state.snapshot(this.layout)) as CardLayout;
    const face = next[this.face] ?? { elements: [] };
    next[this.face] = face;
    let top = Math.max(0, ...face.elements.map((e) => e.z ?? 0));
    const ids: string[] = [];
    for (const original of originals) {
      const copy = structuredClone($state.snapshot(original)) as LayoutElement;
      // uniqueId sees the copies already added, because they are in `next`.
      copy.id = uniqueId(next, original.id.replace(/\d+$/, '') || original.type);
      copy.xMm = roundMm(copy.xMm + offsetMm);
      copy.yMm = roundMm(copy.yMm + offsetMm);
      delete copy.locked;
      copy.z = ++top;
      face.elements.push(copy);
      ids.push(copy.id);
    }
    this.commit(next);
    this.selection = ids;
  }

  /**
   * One text style property (font, size, weight, colour …) of every selected, unlocked text and
   * field element at once; `undefined` removes it. One undo step per property while it is edited.
   */
  setSelectedStyle(name: keyof Style, value: unknown): void {
    const ids = this.selected
      .filter((e) => !e.locked && (e.type === 'field' || e.type === 'text'))
      .map((e) => e.id);
    if (ids.length === 0) return;
    this.commit(
      this.withElements((els) =>
        els.map((el) => {
          if (!ids.includes(el.id)) return el;
          const style = { ...(el.style ?? {}) } as Record<string, unknown>;
          if (value === undefined || value === '') delete style[name];
          else style[name] = value;
          const out = { ...el } as LayoutElement & { style?: Style };
          if (Object.keys(style).length === 0) delete out.style;
          else out.style = style as Style;
          return out;
        }),
      ),
      `multi:${ids.join(',')}:style.${name}`,
    );
  }

  removeSelected(): void {
    const gone = this.selected.filter((e) => !e.locked).map((e) => e.id);
    if (gone.length === 0) return;
    this.commit(this.withElements((els) => els.filter((e) => !gone.includes(e.id))));
    this.selection = this.selection.filter((id) => !gone.includes(id));
  }

  /** Moves the unlocked selected elements by (dx, dy) mm. */
  nudge(dx: number, dy: number, mergeKey?: string): void {
    const boxes = this.selected
      .filter((e) => !e.locked)
      .map((e) => ({ id: e.id, xMm: e.xMm + dx, yMm: e.yMm + dy }));
    if (boxes.length) this.placeBoxes(boxes, mergeKey);
  }

  align(mode: AlignMode): void {
    const movable = this.selected.filter((e) => !e.locked);
    if (movable.length === 0) return;
    this.placeBoxes(alignBoxes(movable, mode, this.card));
  }

  distribute(axis: 'x' | 'y'): void {
    const movable = this.selected.filter((e) => !e.locked);
    if (movable.length < 3) return;
    this.placeBoxes(distributeBoxes(movable, axis));
  }

  /**
   * Moves an element one step up or down the stack (or to the top / bottom). The face's `z` values
   * are renumbered in stacking order so the layers panel and the print agree.
   */
  restack(id: string, to: 'up' | 'down' | 'top' | 'bottom'): void {
    const order = stackOrder(this.elements).map((e) => e.id);
    const i = order.indexOf(id);
    if (i < 0) return;
    order.splice(i, 1);
    const j =
      to === 'top'
        ? order.length
        : to === 'bottom'
          ? 0
          : Math.max(0, Math.min(order.length, i + (to === 'up' ? 1 : -1)));
    order.splice(j, 0, id);
    this.commit(this.withElements((els) => els.map((e) => ({ ...e, z: order.indexOf(e.id) + 1 }))));
  }

  toggleHidden(id: string): void {
    this.hidden = this.hidden.includes(id) ? this.hidden.filter((h) => h !== id) : [...this.hidden, id];
  }

  setFace(face: FaceName): void {
    if (face === this.face) return;
    if (face === 'back' && !this.layout.back) {
      this.updateLayout((l) => {
        l.back = { background: { color: '#ffffff' }, elements: [] };
      });
    }
    this.face = face;
    this.selection = [];
    this.guides = [];
  }
}
