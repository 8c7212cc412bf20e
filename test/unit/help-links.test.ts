// The in-app manual's links: every 帮助 link of a screen (designer/src/lib/help-links.ts) and every
// cross-reference and picture in docs/manual must land on something that exists, and the HTML the
// manual is rendered to must never carry raw HTML or script links.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../core/roles.ts';
import {
  loadManual,
  MANUAL_DIR,
  MANUAL_PAGES,
  parsePage,
  renderPage,
  type Manual,
} from '../../core/manual/index.ts';

interface HelpTarget {
  page: string;
  anchor?: string;
}
/**
 * designer/src/lib/help-links.ts, loaded at run time: it is designer code (its types come from the
 * Svelte router), which the server-side type check does not compile; this is the shape it exports.
 */
const HELP_LINKS = '../../designer/src/lib/help-links.ts';
let allHelpTargets: (roles: readonly string[]) => Array<{ screen: string; target: HelpTarget }>;

let manual: Manual;

const anchorsOf = (slug: string) => new Set(manual.page(slug).sections.map((s) => s.id));

beforeAll(async () => {
  manual = await loadManual();
  ({ allHelpTargets } = (await import(HELP_LINKS)) as { allHelpTargets: typeof allHelpTargets });
});

describe('help links from the screens', () => {
  it('every screen, for every role, opens a page and a heading that exist in the manual', () => {
    const targets = allHelpTargets(ROLES);
    expect(targets.length).toBeGreaterThan(30);
    const broken = targets.filter(({ target }) => {
      if (!(MANUAL_PAGES as readonly string[]).includes(target.page)) return true;
      return target.anchor !== undefined && !anchorsOf(target.page).has(target.anchor);
    });
    expect(broken.map((b) => `${b.screen} → ${b.target.page}#${b.target.anchor}`)).toEqual([]);
  });

  it('gives each role its own section where the roles do different things', () => {
    const of = (screen: string) => allHelpTargets(ROLES).find((t) => t.screen === screen)?.target;
    expect(of('imports (unit)')).toEqual({ page: 'unit', anchor: 'upload' });
    expect(of('imports (clerk)')).toEqual({ page: 'clerk', anchor: 'import-for-unit' });
    expect(of('reviewBatch (reviewer)')).toEqual({ page: 'reviewer', anchor: 'decide' });
    expect(of('setup/card-types')).toEqual({ page: 'admin', anchor: 'setup-card-types' });
  });
});

describe('the manual itself', () => {
  it('has a page per role, operations and FAQ, each titled', () => {
    expect(manual.toc().pages.map((p) => p.title)).toEqual([
      '使用手册总览',
      '管理员',
      '申报单位',
      '采集员（数据整理）',
      '审核员',
      '设计员',
      '制证员',
      '运维指南',
      '常见问题',
    ]);
  });

  it('cross-references point at pages and headings that exist', () => {
    const broken: string[] = [];
    for (const page of manual.pages) {
      for (const m of page.markdown.matchAll(/\]\((?:([a-z]+)\.md)?(?:#([\w-]+))?\)/g)) {
        const slug = m[1] ?? page.slug;
        if (!(MANUAL_PAGES as readonly string[]).includes(slug)) broken.push(`${page.slug}: ${m[0]}`);
        else if (m[2] && !anchorsOf(slug).has(m[2])) broken.push(`${page.slug}: ${m[0]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('files of the installation it names (deploy/REDEPLOY.md …) exist', async () => {
    const missing: string[] = [];
    for (const page of manual.pages) {
      for (const m of page.markdown.matchAll(/\]\((\.\.\/\.\.\/[^)#]+)\)/g)) {
        const file = path.resolve(MANUAL_DIR, m[1]!);
        if (!(await stat(file).catch(() => null))) missing.push(`${page.slug}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every picture it shows is in docs/manual/images, and every picture there is shown', async () => {
    const referenced = new Set<string>();
    for (const page of manual.pages) {
      for (const m of page.markdown.matchAll(/!\[[^\]]*\]\(images\/([^)]+)\)/g)) referenced.add(m[1]!);
    }
    const files = new Set((await readdir(path.join(MANUAL_DIR, 'images'))).filter((f) => f.endsWith('.png')));
    expect(
      [...referenced].filter((f) => !files.has(f)),
      'shown but missing',
    ).toEqual([]);
    expect(
      [...files].filter((f) => !referenced.has(f)),
      'in the folder but never shown',
    ).toEqual([]);
  });

  it('search finds the section about GBK file names', () => {
    const hits = manual.search('乱码 GBK');
    expect(hits[0]).toMatchObject({ slug: 'faq', sectionId: 'zip-gbk' });
    expect(manual.search('   ')).toEqual([]);
  });
});

describe('rendering', () => {
  const page = parsePage(
    'faq',
    [
      '# 标题',
      '## 一节 {#one}',
      '<script>alert(1)</script>',
      '',
      '文字 <img src=x onerror=alert(1)> [坏链接](javascript:alert(1)) [另一页](unit.md#upload) [本页](#one)',
      '',
      '![截图](images/unit-imports.png)',
      '',
      '![别处](../../etc/passwd.png)',
    ].join('\n'),
  );

  it('escapes raw HTML and never links script URLs', () => {
    const html = renderPage(page, { image: (n) => `/img/${n}`, link: (s, a) => `#/help/${s}/${a ?? ''}` });
    expect(html).not.toMatch(/<script|<img src="x|<[^>]*\sonerror=|href="javascript/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<h2 id="one">一节</h2>');
    expect(html).toContain('<a href="#/help/unit/upload">另一页</a>');
    expect(html).toContain('<a href="#/help/faq/one">本页</a>');
    expect(html).toContain('<figure><img src="/img/unit-imports.png" alt="截图"');
    expect(html).not.toContain('passwd');
  });

  it('names cross-references without linking them when the target says so (the PDF)', () => {
    const html = renderPage(page, { image: () => undefined, link: () => null });
    expect(html).toContain('<span class="xref">另一页</span>');
    expect(html).not.toContain('<figure>');
  });

  it('refuses a page whose anchors repeat', () => {
    expect(() => parsePage('x', '# T\n## A {#a}\n## B {#a}\n')).toThrow(/锚点 "a" 重复/);
  });
});
