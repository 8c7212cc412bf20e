// Chromium under SCHED_IDLE: the browser process and every process it forks (zygote, renderers —
// the ones that do the printing), every thread of them, so a print job takes only the CPU that the
// server and PostgreSQL leave while users wait; `normal` leaves them under the server's own policy.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RenderBrowser } from '../../core/render/browser.ts';
import { statFields } from '../support/proc.ts';

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

let browser: RenderBrowser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

/** The scheduling policy of every thread of a process and of all its descendants. */
function treePolicies(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    // Field 4 (ppid) is the second after the command.
    const fields = /^\d+$/.test(name) ? statFields(`/proc/${name}/stat`) : undefined;
    if (fields) parent.set(Number(name), Number(fields[1]));
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  const policies: number[] = [];
  for (const pid of [...parent.keys()].filter(inTree)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // a Chromium helper that ended since the listing
    }
    for (const tid of tids) {
      // Field 41 (policy) is the 39th after the command.
      const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
      if (fields) policies.push(Number(fields[38]));
    }
  }
  return policies;
}

async function printOnce(b: RenderBrowser): Promise<void> {
  const pdf = await b.printOnly({ head: '', body: '<p style="font-size:40px">优先级</p>' });
  expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
}

describe('Chromium scheduling', () => {
  it('low: the browser, its zygote and renderers and all their threads run under SCHED_IDLE', async () => {
    browser = await RenderBrowser.launch({ priority: 'low', tabs: 1 });
    await printOnce(browser);
    const policies = treePolicies(browser.pid!);
    // Several processes with several threads each.
    expect(policies.length).toBeGreaterThan(10);
    expect(new Set(policies)).toEqual(new Set([SCHED_IDLE]));
  });

  it('normal: under the server’s own policy', async () => {
    browser = await RenderBrowser.launch({ priority: 'normal', tabs: 1 });
    await printOnce(browser);
    const policies = treePolicies(browser.pid!);
    expect(policies.length).toBeGreaterThan(10);
    expect(new Set(policies)).toEqual(new Set([SCHED_OTHER]));
  });
});
