/**
 * One Chromium per process, started on first use: a server that nobody previews or prints on never
 * pays for a browser, and every caller afterwards shares the same tabs (one per core) instead of
 * launching its own.
 */
import { RenderBrowser, type RenderBrowserOptions } from './browser.ts';

export class SharedRenderBrowser {
  private launching: Promise<RenderBrowser> | undefined;
  private closed = false;

  constructor(private readonly options: RenderBrowserOptions = {}) {}

  /** The browser, launched now if it is not running yet. A failed launch is tried again next time. */
  get(): Promise<RenderBrowser> {
    if (this.closed) return Promise.reject(new Error('renderer closed'));
    if (!this.launching) {
      const launching = RenderBrowser.launch(this.options);
      launching.catch(() => {
        if (this.launching === launching) this.launching = undefined;
      });
      this.launching = launching;
    }
    return this.launching;
  }

  /** Whether a browser has been started (for status pages and tests). */
  get started(): boolean {
    return this.launching !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const launching = this.launching;
    this.launching = undefined;
    const browser = await launching?.catch(() => undefined);
    await browser?.close();
  }
}
