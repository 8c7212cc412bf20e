/**
 * One long-lived Chromium for rendering, with a small pool of tabs (one per core: printing is
 * CPU-bound in each tab's renderer process). Each tab lives in its own browser context, so each is
 * a foreground page: a background tab may never finish decoding images.
 *
 * Every tab has JavaScript disabled (card HTML comes from user templates) and intercepts every
 * request: the document, font files and plugin assets are answered from memory on a private
 * origin; everything else — file://, the network, other schemes — is refused, and a strict
 * Content-Security-Policy on the document says the same to the browser itself.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import type { BackgroundPriority } from '../config.ts';
import { TesseraError } from '../errors.ts';
import { FIT_SCRIPT, type FitProblem } from './fit.ts';
import { documentHtml, type CardDocument } from './document.ts';
import { readFontFile } from './fonts.ts';

/** Runs a tab prints before its shell page is loaded afresh. */
const SHELL_RUNS = 50;

/** The renderer's private origin; `.invalid` can never resolve to a real host (RFC 2606). */
export const RENDER_ORIGIN = 'https://tessera.invalid';

const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `font-src ${RENDER_ORIGIN}`,
  `img-src data: ${RENDER_ORIGIN}`,
].join('; ');

/** Chromium: CHROME_PATH, else the usual system paths. */
export function findChrome(): string {
  const candidates = [
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new TesseraError(
      'chromium_missing',
      '找不到 Chromium：请安装 (apt-get install -y chromium) 或设置 CHROME_PATH',
      500,
    );
  }
  return found;
}

export interface Asset {
  bytes: Uint8Array;
  mediaType: string;
}

export interface PageResult {
  pdf: Uint8Array;
  problems: FitProblem[];
  /** Trim-box screenshots per face, when asked for. */
  png?: Array<{ card: number; face: 'front' | 'back'; png: Uint8Array }>;
}

export interface RenderBrowserOptions {
  executablePath?: string;
  /** Tabs rendering at once; default one per CPU core. */
  tabs?: number;
  /**
   * `low`: Chromium and every process it starts run under Linux's SCHED_IDLE policy — a print job
   * renders flat out on a quiet machine but yields the CPU to the server and PostgreSQL while users
   * wait for answers. `normal` (default): the server's own priority.
   */
  priority?: BackgroundPriority;
}

/** util-linux's `chrt`, which starts a program (and so everything it forks) under a policy. */
function findChrt(): string | undefined {
  return ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p));
}

/**
 * How to start Chromium: directly, or through `chrt --idle 0` so that its zygote and every renderer
 * forked from it inherit the policy. Not nice(1): Chromium sets its processes' nice values itself
 * (renderers 0 or 5, the browser -8 when it may), which undoes a nice it was started with; the
 * scheduling policy it leaves alone.
 */
function launchCommand(chrome: string, args: string[], priority: BackgroundPriority) {
  const chrt = priority === 'low' ? findChrt() : undefined;
  if (!chrt) return { executablePath: chrome, args };
  // puppeteer then adds only its pipe and profile arguments, after these (they reach Chromium).
  const chromiumArgs = puppeteer.defaultArgs({ headless: true, args });
  return { executablePath: chrt, ignoreDefaultArgs: true, args: ['--idle', '0', chrome, ...chromiumArgs] };
}

export class RenderBrowser {
  private readonly idle: Page[] = [];
  private readonly waiters: Array<(page: Page) => void> = [];
  private created = 0;
  private readonly documents = new Map<string, string>();
  private readonly assets = new Map<string, Asset>();
  private docSeq = 0;
  private closed = false;

  private constructor(
    private readonly browser: Browser,
    readonly tabs: number,
  ) {}

  static async launch(options: RenderBrowserOptions = {}): Promise<RenderBrowser> {
    const command = launchCommand(
      options.executablePath ?? findChrome(),
      [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--disable-extensions',
        // Text metrics without hinting: what the fit pass measures is what the PDF prints.
        '--font-render-hinting=none',
      ],
      options.priority ?? 'normal',
    );
    const browser = await puppeteer.launch({
      ...command,
      headless: true,
      // Talk over a pipe, not a WebSocket: Chromium then exits when this process dies, even by
      // SIGKILL (otherwise every crash of the server leaves a Chromium running; fault drills).
      pipe: true,
      protocolTimeout: 600_000,
    });
    const tabs = Math.max(1, options.tabs ?? os.availableParallelism());
    return new RenderBrowser(browser, tabs);
  }

  /** Chromium's browser process (its renderers are its descendants). */
  get pid(): number | undefined {
    return this.browser.process()?.pid;
  }

  /** Serves these bytes at `RENDER_ORIGIN + urlPath` to every tab (plugin assets). */
  addAsset(urlPath: string, asset: Asset): void {
    this.assets.set(urlPath, asset);
  }

  private async newPage(): Promise<Page> {
    const context = await this.browser.createBrowserContext();
    const page = await context.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (req) => void this.answer(req));
    return page;
  }

  private async answer(req: HTTPRequest): Promise<void> {
    try {
      const url = new URL(req.url());
      const doc = url.origin === RENDER_ORIGIN ? this.documents.get(url.pathname) : undefined;
      // A template's <meta http-equiv="refresh"> (or <form>) navigates the tab: refused, the tab
      // would show an error page and the print in progress would fail. A 204 answer keeps the
      // page where it is (iframes stay empty).
      if (req.isNavigationRequest() && (doc === undefined || req.method() !== 'GET'))
        return await req.respond({ status: 204, body: '' });
      if (url.origin !== RENDER_ORIGIN || req.method() !== 'GET') return await req.abort('blockedbyclient');
      if (doc !== undefined) {
        return await req.respond({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          headers: { 'Content-Security-Policy': CSP },
          body: doc,
        });
      }
      const font = readFontFile(url.pathname);
      if (font) {
        return await req.respond({ status: 200, contentType: 'font/woff2', body: Buffer.from(await font) });
      }
      const asset = this.assets.get(decodeURIComponent(url.pathname));
      if (asset) {
        return await req.respond({
          status: 200,
          contentType: asset.mediaType,
          body: Buffer.from(asset.bytes),
        });
      }
      await req.abort('blockedbyclient');
    } catch {
      // The page went away while we answered, or the font file could not be read: the
      // request fails and the fit pass reports what is missing.
      await req.abort('failed').catch(() => undefined);
    }
  }

  private async acquire(): Promise<Page> {
    if (this.closed) throw new Error('renderer closed');
    const page = this.idle.pop();
    if (page) return page;
    if (this.created < this.tabs) {
      this.created++;
      try {
        return await this.newPage();
      } catch (error) {
        this.created--;
        throw error;
      }
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(page: Page, broken: boolean): void {
    if (broken) {
      this.created--;
      void page
        .browserContext()
        .close()
        .catch(() => undefined);
      // Someone waiting gets a fresh tab instead.
      const next = this.waiters.shift();
      if (next) {
        this.created++;
        this.newPage().then(next, () => {
          this.created--;
        });
      }
      return;
    }
    const next = this.waiters.shift();
    if (next) next(page);
    else this.idle.push(page);
  }

  /** Shell documents (fonts only) a tab has loaded, and how many runs it has printed since. */
  private readonly shells = new WeakMap<Page, { head: string; runs: number }>();

  /**
   * Puts a document in a tab. The tab keeps a shell page whose head holds the @font-face rules;
   * each run only replaces the body, so fonts decoded for one run serve the next (loading them
   * again costs about as much as printing a hundred cards). The shell is reloaded when the fonts
   * differ, and now and then to start from a clean renderer.
   */
  private async load(page: Page, doc: CardDocument): Promise<void> {
    const shell = this.shells.get(page);
    if (!shell || shell.head !== doc.head || shell.runs >= SHELL_RUNS) {
      const docPath = `/doc/${++this.docSeq}`;
      this.documents.set(docPath, documentHtml({ head: doc.head, body: '' }));
      try {
        await page.goto(RENDER_ORIGIN + docPath, { waitUntil: 'load', timeout: 120_000 });
      } finally {
        this.documents.delete(docPath);
      }
      this.shells.set(page, { head: doc.head, runs: 0 });
    }
    this.shells.get(page)!.runs++;
    // innerHTML never runs scripts, and the page has JavaScript disabled besides.
    await page.evaluate((body: string) => {
      document.body.innerHTML = body;
    }, doc.body);
  }

  /**
   * Renders one document in a tab: fits its text, waits for fonts and images, prints it to PDF
   * and, if asked, screenshots every face's trim box. A tab that fails is replaced.
   */
  async render(doc: CardDocument, options: { png?: { dpi: number } } = {}): Promise<PageResult> {
    const page = await this.acquire();
    let broken = true;
    try {
      await this.load(page, doc);
      const problems = (await page.evaluate(FIT_SCRIPT)) as FitProblem[];
      const pdf = await page.pdf({
        preferCSSPageSize: true,
        printBackground: true,
        tagged: false,
        outline: false,
        timeout: 0,
      });
      const png = options.png ? await this.screenshots(page, options.png.dpi) : undefined;
      broken = false;
      return { pdf, problems, png };
    } finally {
      this.release(page, broken);
    }
  }

  /**
   * Only load and print, nothing else: no fitting, no waiting for fonts and images. For the
   * benchmark's baseline (what a bare page.pdf() of the same HTML costs), not for cards.
   */
  async printOnly(doc: CardDocument): Promise<Uint8Array> {
    const page = await this.acquire();
    const docPath = `/doc/${++this.docSeq}`;
    this.documents.set(docPath, documentHtml(doc));
    this.shells.delete(page);
    let broken = true;
    try {
      await page.goto(RENDER_ORIGIN + docPath, { waitUntil: 'load', timeout: 300_000 });
      const pdf = await page.pdf({
        preferCSSPageSize: true,
        printBackground: true,
        tagged: false,
        outline: false,
        timeout: 0,
      });
      broken = false;
      return pdf;
    } finally {
      this.documents.delete(docPath);
      this.release(page, broken);
    }
  }

  private async screenshots(page: Page, dpi: number): Promise<PageResult['png']> {
    const boxes = (await page.evaluate(`[...document.querySelectorAll('section[data-card]')].map((s) => {
      const r = s.querySelector('.tc').getBoundingClientRect();
      return { card: Number(s.dataset.card), face: s.dataset.face, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
    })`)) as Array<{
      card: number;
      face: 'front' | 'back';
      x: number;
      y: number;
      width: number;
      height: number;
    }>;
    const out: NonNullable<PageResult['png']> = [];
    for (const b of boxes) {
      const png = await page.screenshot({
        type: 'png',
        clip: { x: b.x, y: b.y, width: b.width, height: b.height, scale: dpi / 96 },
        captureBeyondViewport: true,
      });
      out.push({ card: b.card, face: b.face, png });
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.browser.close().catch(() => undefined);
  }
}
