import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bench, describe } from 'vitest';
import { queryRequestLog, requestStats, REQUEST_LOG, rotatedName } from '../../core/ops/logs/index.ts';

// The log viewer and the inspection read a day of request logs on each query: 200,000 lines (a busy
// day at ~2 requests a second), in four rotated files and the live one, about 45 MB.
const LINES = 200_000;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-log-bench-'));
const dir = path.join(dataDir, 'logs');
mkdirSync(dir, { recursive: true });
const start = Date.now() - 86_400_000;
const routes = ['/api/events/:event', '/api/events/:event/records/:kind', '/api/tasks/:id', '/api/auth/me'];
for (let f = 0; f < 5; f++) {
  const lines: string[] = [];
  for (let i = (f * LINES) / 5; i < ((f + 1) * LINES) / 5; i++) {
    const route = routes[i % routes.length]!;
    lines.push(
      JSON.stringify({
        at: new Date(start + (i * 86_400_000) / LINES).toISOString(),
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        method: i % 7 ? 'GET' : 'POST',
        path: route.replace(/:[a-z]+/g, String(i % 997)),
        route,
        status: i % 500 === 0 ? 500 : i % 50 === 0 ? 404 : 200,
        ms: (i % 97) * 1.3,
        user: `user${i % 40}`,
        ip: `10.0.${i % 5}.${i % 200}`,
      }),
    );
  }
  const name =
    f === 4 ? `${REQUEST_LOG}.jsonl` : rotatedName(REQUEST_LOG)(new Date(start + f * 3_600_000), 1);
  writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
}
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
console.log(`request log bench: ${LINES} lines in 5 files under ${dir}`);

describe('request log (200,000 lines)', () => {
  bench('log viewer: 5xx of the day, first page', async () => {
    await queryRequestLog(dataDir, { status: '5xx' }, { offset: 0, limit: 100, slowMs: 500 });
  });
  bench('log viewer: text search, page 10', async () => {
    await queryRequestLog(dataDir, { text: 'user7' }, { offset: 900, limit: 100, slowMs: 500 });
  });
  bench('inspection: percentiles and slow routes of the day', async () => {
    await requestStats(dataDir, new Date(start - 1000), new Date());
  });
});
