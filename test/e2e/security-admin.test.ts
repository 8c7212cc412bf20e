// The account screens in Chromium against the real server and PostgreSQL: 用户管理 shows a locked
// account and unlocks it, resets a password; 审计日志 lists sign-ins with their addresses, filters by
// group and user, pages with the keyboard and shows a whole entry; 修改密码 from the top bar refuses
// a wrong current password and then changes it, ending the user's other session. Screenshots at
// 1440×900 go to test/.tmp/screenshots.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { launchBrowser, signInThroughPage } from '../support/browser.ts';
import { buildDesigner } from '../support/designer-build.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

const PASSWORD = 'Passw0rd-123';
let running: RunningServer;
let browser: Browser;
let page: Page;

const screenshots = path.join(repoRoot, 'test', '.tmp', 'screenshots');
const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
const text = (selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());

async function openFromNav(label: string, hash: string): Promise<void> {
  const link = await page.waitForSelector(`xpath///nav//a[normalize-space()="${label}"]`);
  await link!.click();
  await page.waitForFunction((h) => location.hash === h, {}, hash);
}

const trustProxyBefore = process.env.TESSERA_TRUST_PROXY;

beforeAll(async () => {
  process.env.TESSERA_TRUST_PROXY = '1';
  const designerDistDir = await buildDesigner();
  running = await startTestServer({ designerDistDir });
  const admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  for (const [username, role, unitCode] of [
    ['zhangwei', 'clerk', ''],
    ['lina', 'reviewer', ''],
    ['unit-a', 'unit', 'UA'],
  ] as const) {
    await admin.request('POST', '/api/users', {
      username,
      password: PASSWORD,
      role,
      displayName: { zhangwei: '张伟', lina: '李娜', 'unit-a': '甲单位填报' }[username],
      ...(unitCode ? { unitCode } : {}),
    });
  }
  // zhangwei forgot his password: five tries lock the account.
  const guesser = new ApiClient(running.url);
  for (let i = 0; i < 5; i++) await guesser.login('zhangwei', `guess-${i}`);
  await new ApiClient(running.url).login('lina', PASSWORD);
  // Enough sign-in entries for a second page (100 a page), from addresses of their own (behind a
  // trusted proxy) so that the browser's address is not throttled.
  for (let i = 0; i < 110; i++) {
    const from = new ApiClient(running.url, { 'x-forwarded-for': `10.8.${Math.floor(i / 10)}.1` });
    expect((await from.login(`nobody${i}`, 'x')).status).toBe(401);
  }

  await mkdir(screenshots, { recursive: true });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  await signInThroughPage(page, running.url, 'admin', ADMIN_PASSWORD);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  if (trustProxyBefore === undefined) delete process.env.TESSERA_TRUST_PROXY;
  else process.env.TESSERA_TRUST_PROXY = trustProxyBefore;
});

describe('account screens', () => {
  it('用户管理: shows the locked account, unlocks it and resets a password', async () => {
    await openFromNav('用户管理', '#/admin/users');
    await page.waitForSelector('tr[data-username="zhangwei"]');
    expect(await text('tr[data-username="zhangwei"]')).toMatch(/锁定至 .*\s5\s/);
    expect(await text('tr[data-username="lina"]')).toContain('初始密码');
    await shot('security-users');

    await page.click('tr[data-username="zhangwei"]');
    await page.click('#user-unlock');
    await page.waitForSelector('dialog[open]');
    expect(await text('dialog[open]')).toContain('连续 5 次密码错误');
    await page.click('dialog[open] .btn-confirm');
    await page.waitForFunction(() =>
      document.querySelector('#users-notice')?.textContent?.includes('已解锁'),
    );
    expect(await text('tr[data-username="zhangwei"]')).toContain('正常');
    expect((await new ApiClient(running.url).login('zhangwei', PASSWORD)).status).toBe(200);

    await page.click('tr[data-username="lina"]');
    await page.click('#user-reset');
    await page.waitForSelector('#reset-dialog[open] #reset-password');
    await page.type('#reset-password', 'Reset-By-Admin-7');
    await shot('security-users-reset');
    await page.click('#reset-dialog .btn-confirm');
    await page.waitForFunction(() =>
      document.querySelector('#users-notice')?.textContent?.includes('已重设'),
    );
    expect((await new ApiClient(running.url).login('lina', 'Reset-By-Admin-7')).status).toBe(200);
  });

  it('审计日志: sign-ins with addresses, group and user filters, paging, the whole entry', async () => {
    await openFromNav('审计日志', '#/admin/audit');
    await page.waitForSelector('tr[data-action="login"]');
    expect(await text('.audit-page')).toContain('登录失败');
    await shot('security-audit');

    await page.select('#audit-action', 'group:auth');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('tr[data-action]')).some(
        (r) => r.getAttribute('data-action') === 'account_unlock',
      ),
    );
    // Keyboard paging: the list has more than one page.
    await page.waitForSelector('#audit-next:not([disabled])');
    expect(await text('.audit-page')).toMatch(/共 1\d\d 条，第 1–100 条/);
    await page.focus('table');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.body.innerText.includes('第 101–'));
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.body.innerText.includes('第 1–'));

    await page.type('#audit-user', 'zhangwei');
    await page.click('#audit-search');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('tr[data-action]')).every((r) =>
        (r as HTMLElement).innerText.includes('zhangwei'),
      ),
    );
    const actions = await page.$$eval('tr[data-action]', (rows) =>
      rows.map((r) => r.getAttribute('data-action')),
    );
    expect(new Set(actions)).toEqual(new Set(['login', 'login_failed', 'account_lock']));
    await page.click('tr[data-action="account_lock"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#audit-detail');
    expect(await text('#audit-detail')).toContain('"failures": 5');
    await shot('security-audit-filtered');
  });

  it('修改密码: refuses a wrong current password, then changes it and signs out the other session', async () => {
    const other = new ApiClient(running.url);
    expect((await other.login('admin', ADMIN_PASSWORD)).status).toBe(200);

    await page.click('#change-password');
    await page.waitForSelector('#password-dialog[open] #pw-old');
    await page.type('#pw-old', 'not-the-password');
    await page.type('#pw-new', 'Changed-Pass-2026');
    await page.type('#pw-repeat', 'Changed-Pass-2026');
    await page.click('#pw-submit');
    await page.waitForFunction(() =>
      document.querySelector('#password-dialog')?.textContent?.includes('原密码不正确'),
    );
    await shot('security-password-dialog');

    await page.focus('#pw-old');
    await page.keyboard.down('Control');
    await page.keyboard.press('a');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.type('#pw-old', ADMIN_PASSWORD);
    await page.click('#pw-submit');
    await page.waitForSelector('#password-changed');
    expect(await text('#password-changed')).toContain('其他电脑和浏览器上的登录已全部退出');
    // This browser goes on (its new CSRF token works for a write); the other session has ended.
    await openFromNav('用户管理', '#/admin/users');
    await page.waitForSelector('tr[data-username="zhangwei"]');
    await page.click('tr[data-username="zhangwei"]');
    await page.click('#user-disable');
    await page.click('dialog[open] .btn-confirm');
    await page.waitForFunction(() =>
      document.querySelector('#users-notice')?.textContent?.includes('已停用'),
    );
    expect((await other.request('GET', '/api/auth/me')).status).toBe(401);
    expect((await new ApiClient(running.url).login('admin', 'Changed-Pass-2026')).status).toBe(200);
  });
});
