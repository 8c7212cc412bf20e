// The card designer's geometry and undo model without a browser: mm ↔ px, resizing (rotated boxes
// keep their opposite corner), rotation, snapping to grid / card / other elements with guides,
// align and distribute, nudging, marquee selection, history with merged drags, and plugin issues
// named by element and property.
import { describe, expect, it } from 'vitest';
import {
  alignBoxes,
  boxesInMarquee,
  distributeBoxes,
  extentOf,
  freeSpot,
  mmToPx,
  nudgeStep,
  pxToMm,
  resizeBox,
  rotationToward,
  rulerTicks,
  snapMove,
  snapResize,
  snapTargets,
  type Box,
} from '../../core/layout/geometry.ts';
import { History } from '../../core/layout/history.ts';
import { blankLayout, newElement, placeLayoutIssues, uniqueId } from '../../core/layout/model.ts';
import type { PluginIssue } from '../../core/plugins/plugin-issue.ts';

const close = (a: number, b: number, eps = 1e-6) => expect(Math.abs(a - b)).toBeLessThan(eps);
const card = { widthMm: 85.6, heightMm: 54, safeMarginMm: 3 };
const noSnap = { gridMm: 0, thresholdMm: 1, objects: false };

describe('units', () => {
  it('converts mm and CSS px at a zoom', () => {
    close(mmToPx(25.4, 1), 96);
    close(mmToPx(85.6, 2), (85.6 / 25.4) * 96 * 2);
    close(pxToMm(mmToPx(12.3, 3.5), 3.5), 12.3);
  });

  it('puts ruler labels every 10 mm and thins ticks when zoomed out', () => {
    const ticks = rulerTicks(0, 30, 1);
    expect(ticks.filter((t) => t.kind === 'major').map((t) => t.mm)).toEqual([0, 10, 20, 30]);
    expect(ticks).toHaveLength(31);
    expect(rulerTicks(0, 30, 0.5).length).toBeLessThan(31);
  });
});

describe('resize and rotate', () => {
  const box: Box = { xMm: 10, yMm: 10, widthMm: 20, heightMm: 10 };

  it('moves only the dragged edges of an unrotated box', () => {
    expect(resizeBox(box, 'se', 5, 2)).toMatchObject({ xMm: 10, yMm: 10, widthMm: 25, heightMm: 12 });
    expect(resizeBox(box, 'nw', 5, 2)).toMatchObject({ xMm: 15, yMm: 12, widthMm: 15, heightMm: 8 });
    expect(resizeBox(box, 'e', 5, 9)).toMatchObject({ xMm: 10, yMm: 10, widthMm: 25, heightMm: 10 });
  });

  it('never shrinks below the minimum and keeps the ratio with shift', () => {
    expect(resizeBox(box, 'w', 50, 0).widthMm).toBe(0.5);
    const r = resizeBox(box, 'se', 10, 0, { keepRatio: true });
    close(r.widthMm / r.heightMm, 2);
    close(r.widthMm, 30);
  });

  it('keeps the opposite corner of a rotated box where it is on the card', () => {
    const rotated: Box = { ...box, rotation: 90 };
    // Rotated 90° clockwise, the box's local north-west corner is on the card's north-east.
    const corner = (b: Box) => {
      const cx = b.xMm + b.widthMm / 2;
      const cy = b.yMm + b.heightMm / 2;
      const a = ((b.rotation ?? 0) * Math.PI) / 180;
      const lx = -b.widthMm / 2;
      const ly = -b.heightMm / 2;
      return [cx + lx * Math.cos(a) - ly * Math.sin(a), cy + lx * Math.sin(a) + ly * Math.cos(a)];
    };
    const before = corner(rotated);
    // Dragging the local south-east handle down on the card makes the box longer (local +x).
    const after = resizeBox(rotated, 'se', 0, 4);
    close(after.widthMm, 24);
    close(after.heightMm, 10);
    const c = corner(after);
    close(c[0]!, before[0]!);
    close(c[1]!, before[1]!);
  });

  it('measures extents of rotated boxes', () => {
    const e = extentOf({ xMm: 0, yMm: 0, widthMm: 20, heightMm: 10, rotation: 90 });
    close(e.left, 5);
    close(e.right, 15);
    close(e.top, -5);
    close(e.bottom, 15);
  });

  it('points the rotate handle at the pointer, in 15° steps with shift', () => {
    const b: Box = { xMm: 0, yMm: 0, widthMm: 10, heightMm: 10 };
    expect(rotationToward(b, 5, -10)).toBe(0);
    expect(rotationToward(b, 20, 5)).toBe(90);
    expect(rotationToward(b, -10, 5)).toBe(-90);
    expect(rotationToward(b, 15, -4, 15)).toBe(45);
  });
});

describe('snapping', () => {
  const others = [{ id: 'photo', xMm: 50, yMm: 20, widthMm: 20, heightMm: 25 }];
  const targets = snapTargets(card, others);

  it('jumps to another element’s edge within the threshold and shows the guide', () => {
    const r = snapMove({ xMm: 49.6, yMm: 5, widthMm: 10, heightMm: 5 }, targets, {
      gridMm: 0,
      thresholdMm: 0.5,
      objects: true,
    });
    close(r.box.xMm, 50);
    const g = r.guides.find((x) => x.axis === 'x')!;
    close(g.at, 50);
    // The guide spans from the moving box down to the photo.
    expect(g.from).toBeLessThanOrEqual(5);
    expect(g.to).toBeGreaterThanOrEqual(45);
  });

  it('aligns centres and the card centre', () => {
    const r = snapMove({ xMm: 37.7, yMm: 30, widthMm: 10, heightMm: 4 }, targets, {
      gridMm: 0,
      thresholdMm: 0.5,
      objects: true,
    });
    close(r.box.xMm + 5, 42.8);
  });

  it('falls back to the grid and leaves far boxes alone', () => {
    const g = snapMove({ xMm: 21.2, yMm: 11.9, widthMm: 3, heightMm: 3 }, targets, {
      gridMm: 1,
      thresholdMm: 0.5,
      objects: true,
    });
    close(g.box.xMm, 21);
    close(g.box.yMm, 12);
    expect(g.guides).toEqual([]);
    const none = snapMove({ xMm: 21.2, yMm: 11.7, widthMm: 3, heightMm: 3 }, targets, noSnap);
    expect(none.box).toMatchObject({ xMm: 21.2, yMm: 11.7 });
  });

  it('snaps the moving edge of a resize to the safe area', () => {
    const r = snapResize({ xMm: 10, yMm: 10, widthMm: 72.3, heightMm: 5 }, 'e', targets, {
      gridMm: 0,
      thresholdMm: 0.5,
      objects: true,
    });
    close(r.box.xMm + r.box.widthMm, 85.6 - 3);
    close(r.box.xMm, 10);
    expect(r.guides[0]?.axis).toBe('x');
  });
});

describe('align and distribute', () => {
  const boxes = [
    { id: 'a', xMm: 5, yMm: 5, widthMm: 10, heightMm: 5 },
    { id: 'b', xMm: 30, yMm: 12, widthMm: 20, heightMm: 6 },
    { id: 'c', xMm: 12, yMm: 30, widthMm: 4, heightMm: 4 },
  ];

  it('aligns a selection to its own extent', () => {
    expect(alignBoxes(boxes, 'left', card).map((b) => b.xMm)).toEqual([5, 5, 5]);
    expect(alignBoxes(boxes, 'right', card).map((b) => b.xMm + b.widthMm)).toEqual([50, 50, 50]);
    expect(alignBoxes(boxes, 'vcenter', card).map((b) => b.yMm + b.heightMm / 2)).toEqual([19.5, 19.5, 19.5]);
    expect(alignBoxes(boxes, 'top', card).map((b) => b.id)).toEqual(['a', 'b', 'c']);
  });

  it('aligns a single element to the card', () => {
    const [one] = alignBoxes([boxes[1]!], 'hcenter', card);
    close(one!.xMm + one!.widthMm / 2, 42.8);
  });

  it('spreads three boxes with equal gaps, the outer two fixed', () => {
    const out = distributeBoxes(boxes, 'x');
    const sorted = [...out].sort((p, q) => p.xMm - q.xMm);
    const gaps = [
      sorted[1]!.xMm - (sorted[0]!.xMm + sorted[0]!.widthMm),
      sorted[2]!.xMm - (sorted[1]!.xMm + sorted[1]!.widthMm),
    ];
    close(gaps[0]!, gaps[1]!, 0.011);
    expect(out[0]!.xMm).toBe(5);
    expect(out[1]!.xMm).toBe(30);
    expect(distributeBoxes(boxes.slice(0, 2), 'x')).toEqual(boxes.slice(0, 2));
  });

  it('nudges 0.1 mm, 1 mm with shift', () => {
    expect(nudgeStep('ArrowLeft', false)).toEqual({ dx: -0.1, dy: 0 });
    expect(nudgeStep('ArrowDown', true)).toEqual({ dx: 0, dy: 1 });
    expect(nudgeStep('a', false)).toBeNull();
  });

  it('selects what a marquee touches', () => {
    expect(boxesInMarquee(boxes, { x: 0, y: 0 }, { x: 20, y: 20 })).toEqual(['a']);
    expect(boxesInMarquee(boxes, { x: 60, y: 40 }, { x: 11, y: 11 })).toEqual(['b', 'c']);
  });
});

describe('history', () => {
  it('undoes and redoes whole states, merging a drag into one step', () => {
    const h = new History({ x: 0 });
    h.push({ x: 1 }, 'drag:a');
    h.push({ x: 2 }, 'drag:a');
    h.push({ x: 3 }, 'drag:a');
    h.seal();
    h.push({ x: 4 }, 'drag:a');
    expect(h.size.past).toBe(2);
    expect(h.undo()).toEqual({ x: 3 });
    expect(h.undo()).toEqual({ x: 0 });
    expect(h.undo()).toBeUndefined();
    expect(h.redo()).toEqual({ x: 3 });
    h.push({ x: 9 });
    expect(h.canRedo).toBe(false);
    expect(h.current).toEqual({ x: 9 });
  });

  it('ignores a push that changes nothing and keeps its own copies', () => {
    const state = { x: 1 };
    const h = new History(state);
    h.push({ x: 1 });
    expect(h.canUndo).toBe(false);
    state.x = 5;
    expect(h.current).toEqual({ x: 1 });
  });

  it('forgets the oldest steps beyond its limit', () => {
    const h = new History(0, 3);
    for (let i = 1; i <= 5; i++) h.push(i);
    expect(h.size.past).toBe(3);
  });
});

describe('layout model', () => {
  it('gives new elements unique ids and printable defaults', () => {
    const layout = blankLayout({ code: 'vip2', name: '贵宾', recordKind: 'person', preset: 'CR80' });
    expect(layout.size).toEqual({ preset: 'CR80', widthMm: 85.6, heightMm: 54 });
    const photo = newElement(layout, 'photo', { xMm: 3, yMm: 3 });
    layout.front.elements.push(photo);
    expect(uniqueId(layout, 'photo')).toBe('photo2');
    expect(newElement(layout, 'field', { xMm: 0, yMm: 0 }, 'name')).toMatchObject({
      id: 'name',
      field: 'name',
    });
    expect(newElement(layout, 'band', { xMm: 0, yMm: 0 })).toMatchObject({ color: 'cardType' });
  });

  it('names the element and property of a plugin issue', () => {
    const layout = blankLayout({ code: 'x', name: 'x', recordKind: 'person', preset: 'CR80' });
    layout.back!.elements.push({ ...newElement(layout, 'field', { xMm: 1, yMm: 1 }, 'name'), name: '姓名' });
    const issue: PluginIssue = {
      plugin: 'p',
      file: 'layouts/x.json',
      pointer: '/back/elements/0/style/fontSizePt',
      code: 'out-of-range',
      message: '值 1 超出范围',
      severity: 'error',
    };
    const [placed] = placeLayoutIssues(layout, [issue, { ...issue, pointer: '/size' }]);
    expect(placed).toMatchObject({ face: 'back', element: 'name', property: 'style.fontSizePt' });
    expect(placed!.message).toBe('背面元素 name（姓名） 的 style.fontSizePt：值 1 超出范围');
    expect(placeLayoutIssues(layout, [{ ...issue, pointer: '/size' }])[0]!.property).toBe('size');
  });
});

describe('where a new element goes', () => {
  const card = { widthMm: 85.6, heightMm: 54, safeMarginMm: 3 };

  it('takes the top-left of the safe area on an empty face', () => {
    expect(freeSpot(card, { widthMm: 40, heightMm: 6 }, [])).toEqual({ xMm: 3, yMm: 3 });
  });

  it('puts elements added one after another beside or below each other, never on top', () => {
    const placed: Box[] = [{ xMm: -2, yMm: -2, widthMm: 89.6, heightMm: 12 }];
    for (const size of [
      { widthMm: 40, heightMm: 6 },
      { widthMm: 22, heightMm: 29.3 },
      { widthMm: 40, heightMm: 6 },
      { widthMm: 14, heightMm: 14 },
    ]) {
      const at = freeSpot(card, size, placed);
      const box = { ...at, ...size };
      for (const other of placed)
        expect(
          boxesInMarquee(
            [{ ...other, id: 'o' }],
            { x: box.xMm, y: box.yMm },
            { x: box.xMm + box.widthMm, y: box.yMm + box.heightMm },
          ),
        ).toEqual([]);
      expect(box.xMm + box.widthMm).toBeLessThanOrEqual(card.widthMm - card.safeMarginMm);
      expect(box.yMm + box.heightMm).toBeLessThanOrEqual(card.heightMm - card.safeMarginMm);
      placed.push(box);
    }
    // Below the band (12 mm − 2 mm bleed) with the 1 mm gap.
    expect(placed[1]!.yMm).toBe(11);
  });

  it('avoids a rotated element by its extent on the card', () => {
    const rotated: Box = { xMm: 3, yMm: 3, widthMm: 20, heightMm: 4, rotation: 90 };
    const at = freeSpot(card, { widthMm: 10, heightMm: 10 }, [rotated]);
    const e = extentOf(rotated);
    expect(at.xMm >= e.right + 1 || at.yMm >= e.bottom + 1).toBe(true);
  });

  it('falls back to the centre, shifted per element, when the card is full', () => {
    const full: Box[] = [{ xMm: 0, yMm: 0, widthMm: 85.6, heightMm: 54 }];
    expect(freeSpot(card, { widthMm: 20, heightMm: 10 }, full)).toEqual({ xMm: 34.8, yMm: 24 });
  });
});
