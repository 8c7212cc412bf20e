import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's Chromium (CHROME_PATH first). A missing browser fails the test run: it is not skipped. */
export function chromePath(): string {
  const candidates = [
    process.env.CHROME_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error('找不到 Chromium：请安装 (apt-get install -y chromium) 或设置 CHROME_PATH');
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromePath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Signs in through the login page as a user does (signing out first when someone is signed in);
 * resolves when the events list shows.
 */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
): Promise<void> {
  const logout = await page.$('#logout');
  if (logout) await logout.click();
  else await page.goto(`${baseUrl}/#/login`);
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', password);
  await page.click('button[type="submit"]');
  await page.waitForFunction(() => location.hash === '#/events');
}
