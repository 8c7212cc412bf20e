// Issue 9, the load test. Contract: ≥ 50 concurrent users, every response ≤ 1 s. Target, on 2 cores
// with 1,000,000 person records: 200 users, p99 ≤ 200 ms, 0 errors.
//
// A real `tessera serve` (a child process: the load generator does not share its event loop) on a
// seeded database cached under .bench-cache/load-<persons>; signed-in users of four roles (unit
// users of several units, clerks, reviewers, operators — each signs in once, with a real session and
// CSRF token) run a mixed office workload in a closed loop with think time, while a collection
// package is imported and committed and a print job renders, at each level of users. Figures per
// request type go to the console and to .bench-cache/load-report.json.
//
// Knobs (environment): TESSERA_LOAD_PERSONS (1000000), TESSERA_LOAD_LEVELS ("50,200"),
// TESSERA_LOAD_SECONDS per level (30), TESSERA_LOAD_THINK_MS between a user's requests (1000; 0 = flat
// out), TESSERA_LOAD_IMPORT_ROWS (2000; 0 = no import), TESSERA_LOAD_PRINT_CARDS (300; 0 = no print job),
// TESSERA_LOAD_BACKGROUND (1; 0 = neither), TESSERA_LOAD_FRESH (1 = start from the database as seeded),
// TESSERA_LOAD_TRACE (a file name: each level's requests and background steps in time order go to <name>.<users>.json).
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { bench, describe } from 'vitest';
import { CONTRACT_MS, runUsers, Stats, type LoadClient, type TypeFigures } from './load-driver.ts';
import { CACHE_DIR, prepareDatabase, startLoadServer } from './load-server.ts';
import { prepareWorkload, type BackgroundFigures } from './load-workload.ts';

const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got "${raw}"`);
  return value;
};
const PERSONS = num('TESSERA_LOAD_PERSONS', 1_000_000);
const LEVELS = (process.env.TESSERA_LOAD_LEVELS ?? '50,200')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const SECONDS = num('TESSERA_LOAD_SECONDS', 30);
const THINK_MS = num('TESSERA_LOAD_THINK_MS', 1000);
const IMPORT_ROWS = num('TESSERA_LOAD_IMPORT_ROWS', 2000);
const PRINT_CARDS = num('TESSERA_LOAD_PRINT_CARDS', 300);
const BACKGROUND = process.env.TESSERA_LOAD_BACKGROUND !== '0';
const FRESH = process.env.TESSERA_LOAD_FRESH === '1';
const TARGET_P99_MS = 200;

const ms = (n: number) => `${n.toFixed(0)}`.padStart(6);
const row = (f: TypeFigures) =>
  `  ${f.type.padEnd(20)} ${String(f.count).padStart(7)} ${ms(f.p50)} ${ms(f.p95)} ${ms(f.p99)} ${ms(f.max)} ${String(f.over1s).padStart(6)} ${String(f.conflicts).padStart(5)} ${String(f.errors).padStart(6)}${f.errors ? `  ${JSON.stringify(f.errorKinds)}` : ''}`;

interface LevelReport {
  users: number;
  seconds: number;
  requestsPerSecond: number;
  types: TypeFigures[];
  total: TypeFigures;
  background: BackgroundFigures | null;
  contractHolds: boolean;
  targetHolds: boolean;
  errorSamples: string[];
  /** The load generator's own event-loop delay in the level (ms): how late it may have noticed answers. */
  generatorLag: { p99: number; max: number };
  /** The server's event-loop delay in the level (ms, from its /metrics): how long its one thread was held. */
  serverLag: { p99: number; max: number };
}

/**
 * The server's event-loop delay since the last read (prom-client's default metrics start afresh at
 * each scrape), in ms.
 */
async function serverLoopDelay(admin: LoadClient): Promise<{ p99: number; max: number }> {
  const reply = await admin.request(null, 'GET', '/metrics');
  const value = (name: string) => {
    const m = new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(reply.text);
    return m ? Number(m[1]) * 1000 : NaN;
  };
  return { p99: value('nodejs_eventloop_lag_p99_seconds'), max: value('nodejs_eventloop_lag_max_seconds') };
}

describe('load', () => {
  bench(
    `mixed office workload at ${LEVELS.join(' and ')} users, ${PERSONS} persons`,
    async () => {
      const db = await prepareDatabase(
        { persons: PERSONS, vehicles: Math.round(PERSONS / 50), event: 'demo-expo' },
        FRESH,
      );
      const server = await startLoadServer(db.dataDir);
      const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
      const levels: LevelReport[] = [];
      const out: string[] = [];
      let closeUsers = () => undefined as void;
      try {
        const stats = new Stats();
        const users = Math.max(...LEVELS);
        const workload = await prepareWorkload(server.url, agent, stats, {
          users,
          importRows: IMPORT_ROWS,
          printCards: PRINT_CARDS,
        });
        closeUsers = workload.close;
        out.push(
          '',
          `load bench: ${PERSONS.toLocaleString('en')} persons + ${db.params.vehicles.toLocaleString('en')} vehicles (${db.seededSeconds ? `seeded in ${db.seededSeconds.toFixed(0)} s` : FRESH ? 'cached database, as seeded' : 'cached database'}), server pid ${server.pid} at ${server.url}`,
          `  ${users} users signed in and fixtures made in ${workload.setupSeconds.toFixed(0)} s; ${SECONDS} s per level, think time ${THINK_MS} ms (0.5–1.5×)${BACKGROUND ? `, background: import of ${IMPORT_ROWS} rows with photos + print job of ${PRINT_CARDS} cards` : ', no background work'}`,
        );
        for (const level of LEVELS) {
          // The clients record into one stats object: each level starts it empty.
          stats.reset();
          workload.freshConnections();
          const background = BACKGROUND ? workload.background(String(level)) : null;
          // The load generator shares the machine: its own event-loop delay is part of every time
          // it measures (on a real site the browsers are elsewhere), so it is reported beside them.
          const generatorDelay = monitorEventLoopDelay({ resolution: 10 });
          generatorDelay.enable();
          await serverLoopDelay(workload.admin); // read once: the server's figures start afresh
          const { measuredMs } = await runUsers(stats, workload.users.slice(0, level), {
            durationMs: SECONDS * 1000,
            rampMs: Math.min(5000, (SECONDS * 1000) / 4),
            thinkMs: THINK_MS,
          });
          generatorDelay.disable();
          const serverLag = await serverLoopDelay(workload.admin);
          const generatorLag = {
            p99: generatorDelay.percentile(99) / 1e6,
            max: generatorDelay.max / 1e6,
          };
          const { types, total } = stats.figures();
          // TESSERA_LOAD_TRACE=<file>: every request and background step of the level, to line up
          // the slow answers with what ran beside them.
          if (stats.trace && process.env.TESSERA_LOAD_TRACE) {
            const t0 = stats.trace[0]?.at ?? 0;
            await writeFile(
              `${process.env.TESSERA_LOAD_TRACE}.${level}.json`,
              JSON.stringify(
                [{ at: 0, event: `epoch ms ${Math.round(performance.timeOrigin + t0)}` }].concat(
                  [...stats.trace]
                    .sort((a, b) => a.at - b.at)
                    .map((e) => ({ ...e, at: Math.round(e.at - t0), ms: e.ms && Math.round(e.ms) })),
                ),
              ),
            );
          }
          const bg = background ? await background : null;
          const contractHolds = level >= 50 && total.over1s === 0 && total.errors === 0;
          const targetHolds = level >= 200 && total.p99 <= TARGET_P99_MS && total.errors === 0;
          levels.push({
            users: level,
            seconds: measuredMs / 1000,
            requestsPerSecond: total.count / (measuredMs / 1000),
            types,
            total,
            background: bg,
            contractHolds,
            targetHolds,
            errorSamples: [...stats.samples],
            generatorLag,
            serverLag,
          });
          out.push(
            '',
            `${level} users, ${(measuredMs / 1000).toFixed(0)} s measured, ${(total.count / (measuredMs / 1000)).toFixed(0)} requests/s (times in ms):`,
            `  ${'request type'.padEnd(20)} ${'count'.padStart(7)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)} ${'>1s'.padStart(6)} ${'409'.padStart(5)} ${'errors'.padStart(6)}`,
            ...types.map(row),
            row(total),
          );
          if (bg)
            out.push(
              `  background: import ${bg.importRows} rows staged in ${bg.importStagedSeconds?.toFixed(1) ?? '–'} s, committed ${bg.importCommitted ?? '–'} in ${bg.importCommittedSeconds?.toFixed(1) ?? '–'} s${bg.importError ? ` (${bg.importError})` : ''}; print job ${bg.printCards} cards ${bg.printStatus} in ${bg.printSeconds?.toFixed(1) ?? '–'} s`,
            );
          out.push(
            `  server's event-loop delay: p99 ${serverLag.p99.toFixed(0)} ms, max ${serverLag.max.toFixed(0)} ms`,
            `  load generator's own event-loop delay: p99 ${generatorLag.p99.toFixed(0)} ms, max ${generatorLag.max.toFixed(0)} ms (counted in the times above)`,
          );
          if (stats.samples.length) out.push('  first errors:', ...stats.samples.map((s) => `    ${s}`));
          out.push(
            level >= 50
              ? `  contract (≥ 50 users, every response ≤ ${CONTRACT_MS} ms, no errors): ${contractHolds ? 'holds' : `does NOT hold (${total.over1s} over 1 s, ${total.errors} errors)`}`
              : '  (below the contract’s 50 users)',
            level >= 200
              ? `  target (200 users, p99 ≤ ${TARGET_P99_MS} ms, 0 errors): ${targetHolds ? 'holds' : `does NOT hold (p99 ${total.p99.toFixed(0)} ms, ${total.errors} errors)`}`
              : '',
          );
        }
        const report = {
          at: new Date().toISOString(),
          persons: PERSONS,
          vehicles: db.params.vehicles,
          secondsPerLevel: SECONDS,
          thinkMs: THINK_MS,
          background: BACKGROUND ? { importRows: IMPORT_ROWS, printCards: PRINT_CARDS } : null,
          command: `TESSERA_LOAD_PERSONS=${PERSONS} TESSERA_LOAD_LEVELS=${LEVELS.join(',')} TESSERA_LOAD_SECONDS=${SECONDS} TESSERA_LOAD_THINK_MS=${THINK_MS} npm run bench:load`,
          levels,
        };
        const file = path.join(CACHE_DIR, 'load-report.json');
        await writeFile(file, JSON.stringify(report, null, 2));
        out.push(`  figures written to ${path.relative(process.cwd(), file)}`, '');
        console.log(out.join('\n'));
      } catch (error) {
        console.log(out.join('\n'));
        console.log(`server output (tail):\n${server.output().slice(-4000)}`);
        throw error;
      } finally {
        closeUsers();
        agent.destroy();
        await server.stop();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
