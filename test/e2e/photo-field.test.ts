import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Browser, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import { Photo } from '../../core/photos/model.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser } from '../support/browser.ts';
import { startTestServer } from '../support/harness.ts';

/**
 * PhotoField on a page of its own (the record form wires it in elsewhere): a tiny Svelte app
 * built with Vite and served by the real server in place of the designer.
 */
const harnessDir = path.join(repoRoot, 'test', '.tmp', 'photo-field-harness');
const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const component = path.join(repoRoot, 'designer', 'src', 'components', 'PhotoField.svelte');

let running: RunningServer;
let browser: Browser;
let page: Page;
let files: string;
let builtDir: string;

async function buildHarness(): Promise<string> {
  await rm(harnessDir, { recursive: true, force: true });
  await mkdir(harnessDir, { recursive: true });
  await writeFile(
    path.join(harnessDir, 'index.html'),
    '<!doctype html><html lang="zh-CN"><head><meta charset="UTF-8" /><link rel="icon" href="data:," /></head>' +
      '<body><div id="app"></div><script type="module" src="/main.ts"></script></body></html>',
  );
  await writeFile(
    path.join(harnessDir, 'Harness.svelte'),
    `<script lang="ts">
  import PhotoField from ${JSON.stringify(component)};
  let value = $state<string | null>(null);
</script>
<div style="padding: 24px; width: 520px">
  <PhotoField eventCode="EXPO2026" {value} aspectRatio={0.75} minWidth={358} minHeight={441} maxBytes={2000000}
    onchange={(id) => (value = id)} />
  <output id="value">{value ?? ''}</output>
</div>
`,
  );
  await writeFile(
    path.join(harnessDir, 'main.ts'),
    `import { mount } from 'svelte';
import ${JSON.stringify(path.join(repoRoot, 'designer', 'src', 'app.css'))};
import Harness from './Harness.svelte';
mount(Harness, { target: document.getElementById('app')! });
`,
  );
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-photo-field-'));
  await build({
    configFile: false,
    root: harnessDir,
    logLevel: 'error',
    plugins: [svelte()],
    resolve: { alias: { '@core': path.join(repoRoot, 'core') } },
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  });
  return outDir;
}

const value = () => page.$eval('#value', (el) => el.textContent ?? '');

async function choose(file: string): Promise<void> {
  const input = await page.waitForSelector('input[type="file"]');
  await input!.uploadFile(file);
}

beforeAll(async () => {
  builtDir = await buildHarness();
  running = await startTestServer({ designerDistDir: builtDir });
  await running.engine.accounts.createUser({ username: 'clerk1', password: 'Passw0rd-123', role: 'clerk' });
  files = await mkdtemp(path.join(os.tmpdir(), 'tessera-photo-files-'));
  // 800×1000 upright, red top half, stored sideways with EXIF orientation 6.
  const raw = Buffer.alloc(1000 * 800 * 3);
  for (let i = 0; i < 1000 * 800; i++) raw[i * 3 + (i % 1000 < 500 ? 0 : 2)] = 255;
  await writeFile(
    path.join(files, 'portrait.jpg'),
    await sharp(raw, { raw: { width: 1000, height: 800, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  await writeFile(
    path.join(files, 'small.jpg'),
    await sharp({ create: { width: 300, height: 400, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer(),
  );
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await mkdir(screenshots, { recursive: true });
  await page.goto(`${running.url}/`);
  const login = await page.evaluate(async (password) => {
    const res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'clerk1', password }),
    });
    return res.status;
  }, 'Passw0rd-123');
  expect(login).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  for (const dir of [files, builtDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('PhotoField in Chromium', () => {
  it('crops an EXIF-rotated photo in upright pixels, uploads it and shows the thumbnail', async () => {
    await page.waitForSelector('.photo-frame');
    expect(await page.$eval('.photo-frame', (el) => el.textContent)).toContain('暂无照片');
    await choose(path.join(files, 'portrait.jpg'));
    await page.waitForSelector('dialog.photo-dialog[open]');
    await page.waitForFunction(
      () => document.querySelector('.photo-crop-info b')?.textContent === '750×1000',
    );
    expect(await page.$eval('.photo-crop-info', (el) => el.textContent)).toContain('原图 800×1000');
    await page.screenshot({ path: path.join(screenshots, 'photo-crop.png') });
    const confirm = await page.waitForSelector('.photo-dialog .btn-primary:not([disabled])');
    await confirm!.click();
    await page.waitForFunction(() => (document.querySelector('#value')?.textContent ?? '') !== '');
    const id = await value();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.photo-frame img');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    const photo = await Photo.findByPk(id);
    expect([photo!.width, photo!.height]).toEqual([717, 956]);
    await page.screenshot({ path: path.join(screenshots, 'photo-field.png') });
  });

  it('warns in red and disables 确定 when the crop is below the minimum resolution', async () => {
    await choose(path.join(files, 'small.jpg'));
    await page.waitForSelector('dialog.photo-dialog[open]');
    await page.waitForFunction(() => document.querySelector('.photo-crop-info b')?.textContent === '300×400');
    const warning = await page.waitForSelector('.photo-dialog .field-error');
    expect(await warning!.evaluate((el) => el.textContent)).toContain('至少需要 358×441 像素');
    expect(await page.$eval('.photo-dialog .btn-primary', (el) => (el as HTMLButtonElement).disabled)).toBe(
      true,
    );
    expect(await page.$eval('.photo-crop-info b', (el) => getComputedStyle(el).color)).toBe(
      'rgb(198, 40, 40)',
    );
    await page.click('.photo-dialog .btn:not(.btn-primary)');
    await page.waitForFunction(() => !document.querySelector('dialog.photo-dialog'));
  });

  it('removes the photo', async () => {
    const before = await value();
    expect(before).not.toBe('');
    const remove = await page.$$('.photo-actions button');
    await remove[1]!.click();
    await page.waitForFunction(() => (document.querySelector('#value')?.textContent ?? '') === '');
    expect(await page.$eval('.photo-frame', (el) => el.textContent)).toContain('暂无照片');
  });
});
