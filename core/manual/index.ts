/**
 * The user manual (用户手册): Markdown files under docs/manual, one per role plus operations, FAQ
 * and an index. The same files are served inside the application (rendered HTML, searched) and
 * printed as a PDF (pdf.ts), so there is one text to keep right.
 *
 * Headings carry explicit anchors (`## 上传采集表 {#upload}`): help links from the screens
 * (designer/src/lib/help-links.ts) point at those, so rewording a heading never breaks a link.
 * The Markdown is ours, yet raw HTML in it is escaped rather than passed through, and links may
 * only be relative or http(s): the page the HTML lands in must never run anything from it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Marked, type Token, type Tokens } from 'marked';
import { repoRoot } from '../config.ts';
import { TesseraError } from '../errors.ts';
import type { HelpPageInfo, HelpPageView, HelpSearchHit, HelpSection, HelpToc } from './views.ts';

export type { HelpPageInfo, HelpPageView, HelpSearchHit, HelpSection, HelpToc } from './views.ts';

export const MANUAL_DIR = path.join(repoRoot, 'docs', 'manual');

/** The manual's pages in reading order (file name without `.md`). */
export const MANUAL_PAGES = [
  'index',
  'admin',
  'unit',
  'clerk',
  'reviewer',
  'designer',
  'operator',
  'operations',
  'faq',
] as const;

/** Screenshots the browser test writes: `images/<name>.png`, nothing else. */
export const IMAGE_NAME = /^[a-z0-9][a-z0-9-]*\.png$/;

const ANCHOR = /\s*\{#([A-Za-z][\w-]*)\}\s*$/;

interface Chunk {
  section: HelpSection | null;
  text: string;
}

export interface ManualPage extends HelpPageInfo {
  markdown: string;
  tokens: Token[];
  /** Heading token → its anchor. */
  anchors: WeakMap<Tokens.Heading, string>;
  /** The page cut at its headings, as plain text, for search. */
  chunks: Chunk[];
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Markdown inline syntax removed, for titles and search text. */
const plain = (s: string) =>
  s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_>#|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();

function headingAnchor(token: Tokens.Heading): string | null {
  const match = ANCHOR.exec(token.text);
  if (!match) return null;
  token.text = token.text.slice(0, match.index);
  const last = token.tokens[token.tokens.length - 1];
  if (last && last.type === 'text') {
    const t = last as Tokens.Text;
    t.text = t.text.replace(ANCHOR, '');
    t.raw = t.raw.replace(ANCHOR, '');
    if (t.tokens) {
      const inner = t.tokens[t.tokens.length - 1];
      if (inner && 'text' in inner) inner.text = (inner.text as string).replace(ANCHOR, '');
    }
  }
  return match[1]!;
}

/** Reads one page: title from its `#` heading, sections from its `##`/`###` headings. */
export function parsePage(slug: string, markdown: string): ManualPage {
  const marked = new Marked({ gfm: true });
  const tokens = marked.lexer(markdown);
  const anchors = new WeakMap<Tokens.Heading, string>();
  const sections: HelpSection[] = [];
  const chunks: Chunk[] = [{ section: null, text: '' }];
  let title = '';
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.type === 'heading') {
      const h = token as Tokens.Heading;
      const explicit = headingAnchor(h);
      const text = plain(h.text);
      const id = explicit ?? text.replace(/\s+/g, '-');
      if (seen.has(id)) {
        throw new TesseraError('manual_invalid', `手册 ${slug}.md 中锚点 "${id}" 重复`, 500);
      }
      seen.add(id);
      anchors.set(h, id);
      if (h.depth === 1 && !title) title = text;
      if (h.depth === 2 || h.depth === 3) {
        const section: HelpSection = { id, title: text, depth: h.depth };
        sections.push(section);
        chunks.push({ section, text: '' });
        continue;
      }
    }
    chunks[chunks.length - 1]!.text += ` ${plain(token.raw)}`;
  }
  if (!title) throw new TesseraError('manual_invalid', `手册 ${slug}.md 缺少一级标题`, 500);
  return { slug, title, sections, markdown, tokens, anchors, chunks };
}

export interface RenderOptions {
  /** Where an image `images/x.png` points: a URL, or undefined to drop the picture. */
  image: (name: string) => string | undefined;
  /** Where a link to another page (and anchor) points; null renders the link as plain text. */
  link: (slug: string, anchor: string | null) => string | null;
}

/** A page as HTML: raw HTML escaped, images and manual links through `options`, heading ids set. */
export function renderPage(page: ManualPage, options: RenderOptions): string {
  const marked = new Marked({ gfm: true });
  const pages = new Set<string>(MANUAL_PAGES);
  marked.use({
    renderer: {
      html(token) {
        return escapeHtml(token.text);
      },
      paragraph(token) {
        // A picture alone in its paragraph is a figure (a <figure> may not sit inside a <p>).
        const only = token.tokens.length === 1 ? token.tokens[0] : undefined;
        if (only?.type === 'image') return `${this.parser.parseInline(token.tokens)}\n`;
        return `<p>${this.parser.parseInline(token.tokens)}</p>\n`;
      },
      heading(token) {
        const id = page.anchors.get(token);
        const inner = this.parser.parseInline(token.tokens);
        return `<h${token.depth}${id ? ` id="${escapeHtml(id)}"` : ''}>${inner}</h${token.depth}>\n`;
      },
      image(token) {
        const name = /^images\/(.+)$/.exec(token.href)?.[1];
        const src = name && IMAGE_NAME.test(name) ? options.image(name) : undefined;
        if (!src) return escapeHtml(token.text);
        const alt = escapeHtml(token.text);
        return `<figure><img src="${escapeHtml(src)}" alt="${alt}" loading="lazy"><figcaption>${alt}</figcaption></figure>`;
      },
      link(token) {
        const inner = this.parser.parseInline(token.tokens);
        const href = token.href;
        const local = /^(?:([a-z]+)\.md)?(?:#([\w-]+))?$/.exec(href);
        if (local && (local[1] || local[2])) {
          const slug = local[1] ?? page.slug;
          if (!pages.has(slug)) return inner;
          const target = options.link(slug, local[2] ?? null);
          return target === null
            ? `<span class="xref">${inner}</span>`
            : `<a href="${escapeHtml(target)}">${inner}</a>`;
        }
        if (/^https?:\/\//.test(href)) {
          return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>`;
        }
        // Anything else (a file of the installation such as deploy/REDEPLOY.md): named, not linked.
        const file = href.replace(/^(\.\.\/)+/, '');
        return token.text === file
          ? `<code>${escapeHtml(file)}</code>`
          : `${inner}（<code>${escapeHtml(file)}</code>）`;
      },
    },
  });
  return marked.parser(page.tokens);
}

export class Manual {
  constructor(readonly pages: readonly ManualPage[]) {}

  toc(): HelpToc {
    return { pages: this.pages.map(({ slug, title, sections }) => ({ slug, title, sections })) };
  }

  page(slug: string): ManualPage {
    const page = this.pages.find((p) => p.slug === slug);
    if (!page) throw new TesseraError('not_found', `帮助中没有页面 "${slug}"`, 404);
    return page;
  }

  /** The page for the browser: images under `imageBase`, manual links as `#/help/<page>[/<anchor>]`. */
  view(slug: string, imageBase: string): HelpPageView {
    const page = this.page(slug);
    const html = renderPage(page, {
      image: (name) => `${imageBase}${name}`,
      link: (target, anchor) => `#/help/${target}${anchor ? `/${anchor}` : ''}`,
    });
    return { slug: page.slug, title: page.title, sections: page.sections, html };
  }

  /** Sections holding every word of `query` (case-insensitive); heading matches first. */
  search(query: string, limit = 30): HelpSearchHit[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const hits: Array<HelpSearchHit & { rank: number }> = [];
    for (const page of this.pages) {
      for (const chunk of page.chunks) {
        const heading = chunk.section?.title ?? page.title;
        const hay = `${heading} ${chunk.text}`.toLowerCase();
        if (!words.every((w) => hay.includes(w))) continue;
        const inTitle = words.every((w) => heading.toLowerCase().includes(w));
        const at = Math.max(0, chunk.text.toLowerCase().indexOf(words[0]!));
        const start = Math.max(0, at - 30);
        const snippet = `${start > 0 ? '…' : ''}${chunk.text.slice(start, start + 90).trim()}${chunk.text.length > start + 90 ? '…' : ''}`;
        hits.push({
          slug: page.slug,
          pageTitle: page.title,
          sectionId: chunk.section?.id ?? null,
          sectionTitle: heading,
          snippet,
          rank: inTitle ? 0 : 1,
        });
      }
    }
    return hits
      .sort((a, b) => a.rank - b.rank)
      .slice(0, limit)
      .map(({ rank: _rank, ...hit }) => hit);
  }
}

/** Reads every page of the manual from `dir` (docs/manual by default). */
export async function loadManual(dir = MANUAL_DIR): Promise<Manual> {
  const pages = await Promise.all(
    MANUAL_PAGES.map(async (slug) => {
      const file = path.join(dir, `${slug}.md`);
      const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new TesseraError('manual_missing', `找不到手册文件 ${file}：${error.message}`, 500);
      });
      return parsePage(slug, text);
    }),
  );
  return new Manual(pages);
}

/** The bytes of a screenshot named in the manual, or undefined for any other name. */
export async function readManualImage(name: string, dir = MANUAL_DIR): Promise<Buffer | undefined> {
  if (!IMAGE_NAME.test(name)) return undefined;
  return readFile(path.join(dir, 'images', name)).catch(() => undefined);
}
