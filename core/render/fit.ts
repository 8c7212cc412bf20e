/**
 * Text fitting, run inside the render page after its fonts have loaded: the only way to know how
 * wide a name is in the font that will be printed is to lay it out in that font. The page itself
 * has JavaScript disabled (its HTML comes from untrusted templates); this script is ours and is
 * run through the DevTools protocol, which the setting does not block.
 *
 * Convention (also for advanced templates): a box with `data-fit="shrink"` or `data-fit="wrap"`
 * holds its text in one child element; `data-lines` is the most lines allowed, `data-min` the
 * smallest size in pt shrink may use (default half the size, not under 4.5 pt).
 * - shrink: the largest size (binary search, all boxes of the page in step) at which the text fits
 *   the box in at most `data-lines` lines; one that does not fit at the smallest size is clipped,
 *   outlined in red and reported.
 * - wrap: the text wraps at its size; if it overflows, it is clipped and reported.
 * The script then waits for every image to decode, and returns the problems found.
 *
 * Kept as source text rather than a function: a bundler's helpers (esbuild's `__name`) in a
 * serialised function would be undefined in the page.
 */

export interface FitProblem {
  card: number;
  face: 'front' | 'back';
  element: string;
  code: 'text-overflow' | 'text-clipped';
  /** The text that did not fit (shortened). */
  text: string;
}

export const FIT_SCRIPT = String.raw`(async () => {
  const PT = 96 / 72;
  const STEPS = 7;
  void document.body.offsetHeight;
  await document.fonts.ready;
  // Boxes with the same element, classes and text fit alike (the static texts of every card,
  // repeated values): one of each is measured, the rest copy its result.
  const items = [];
  const twins = new Map();
  const copies = [];
  for (const el of document.querySelectorAll('[data-fit]')) {
    const inner = el.firstElementChild;
    if (!inner) continue;
    const key = [el.dataset.el, el.className, el.getAttribute('style'), el.dataset.lines, el.dataset.min, inner.textContent].join('\u0000');
    const twin = twins.get(key);
    if (twin) { copies.push({ el, inner, twin }); continue; }
    const cs = getComputedStyle(el);
    const base = parseFloat(cs.fontSize);
    const lh = parseFloat(cs.lineHeight);
    const lines = Number(el.dataset.lines) || 0;
    const min = el.dataset.min ? Number(el.dataset.min) * PT : Math.max(base * 0.5, Math.min(base, 4.5 * PT));
    const it = { el, inner, mode: el.dataset.fit, base, ratio: Number.isFinite(lh) ? lh / base : 1.2, lines, min, lo: min, hi: base, size: base };
    twins.set(key, it);
    items.push(it);
  }
  const fits = (it) => {
    const w = it.el.clientWidth, h = it.el.clientHeight;
    const ih = it.inner.offsetHeight;
    if (it.inner.scrollWidth > w + 1 || ih > h + 1) return false;
    return !it.lines || ih <= it.lines * it.size * it.ratio + 1;
  };
  const set = (it, size) => { it.size = size; it.el.style.fontSize = size.toFixed(3) + 'px'; };
  // Every box is measured at its own size first; only those that overflow are worked on.
  const over = items.filter((it) => !fits(it));
  const shrink = over.filter((it) => it.mode === 'shrink' && it.min < it.base);
  const bad = over.filter((it) => !shrink.includes(it));
  // Smallest size first: whatever does not fit even there is reported, not searched.
  shrink.forEach((it) => set(it, it.min));
  const search = [];
  for (const it of shrink) (fits(it) ? search : bad).push(it);
  for (let step = 0; step < STEPS && search.length; step++) {
    search.forEach((it) => set(it, (it.lo + it.hi) / 2));
    for (const it of search) { if (fits(it)) it.lo = it.size; else it.hi = it.size; }
  }
  search.forEach((it) => set(it, it.lo));
  const problems = [];
  const flag = (it) => {
    it.el.style.overflow = 'clip';
    it.el.classList.add('tessera-bad');
    const face = it.el.closest('[data-card]');
    const trim = face && face.querySelector('.tc');
    if (trim) {
      let ribbon = trim.querySelector(':scope > .tessera-warn');
      if (!ribbon) {
        ribbon = document.createElement('div');
        ribbon.className = 'tessera-warn';
        trim.append(ribbon);
      }
      const line = document.createElement('div');
      line.textContent = (it.mode === 'shrink' ? '文字放不下：' : '文字被截断：') + (it.inner.textContent || '').trim().slice(0, 40);
      ribbon.append(line);
    }
    problems.push({
      card: face ? Number(face.dataset.card) : -1,
      face: face && face.dataset.face === 'back' ? 'back' : 'front',
      element: it.el.dataset.el || '',
      code: it.mode === 'shrink' ? 'text-overflow' : 'text-clipped',
      text: (it.inner.textContent || '').trim().slice(0, 80),
    });
  };
  bad.forEach(flag);
  const isBad = new Set(bad);
  for (const c of copies) {
    if (c.twin.size !== c.twin.base) c.el.style.fontSize = c.twin.size.toFixed(3) + 'px';
    if (isBad.has(c.twin)) flag({ ...c.twin, el: c.el, inner: c.inner });
  }
  await Promise.all([...document.images].map((img) => img.decode().catch(() => undefined)));
  await document.fonts.ready;
  return problems;
})()`;
