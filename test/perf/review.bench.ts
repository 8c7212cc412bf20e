// Issue target: the review screen for a 500-record batch with its context (the unit's declaration
// summary, history, duplicate hints) opens in ≤ 300 ms server time with 1,000,000 records in the
// database. The million rows come from the seed (core/seed, spread over 2,000 units and two
// events); the batch's 500 are declared through the records service.
import { bench, describe } from 'vitest';
import { createEngine } from '../../core/engine.ts';
import { seed } from '../../core/seed/seed.ts';
import { residentId } from '../support/id-numbers.ts';
import { testConfig } from '../support/harness.ts';

const TOTAL = Number(process.env.TESSERA_BENCH_RECORDS ?? 1_000_000);
const BATCH = 500;
const RUNS = 20;

describe('review', () => {
  bench(
    `review screen of a ${BATCH}-record batch among ${TOTAL} records`,
    async () => {
      const engine = await createEngine(await testConfig(), { role: 'test', loadPlugins: true });
      try {
        const q = (sql: string, replacements: Record<string, unknown> = {}) =>
          engine.db.sequelize.query(sql, { replacements });
        const fillStart = performance.now();
        const [events] = (await q('SELECT code FROM events ORDER BY id')) as [{ code: string }[], unknown];
        const [expo, other] = events;
        // The bulk, through the one seeding path (core/seed): people in both events (four in five
        // in the reviewed one), every status, the plugin's card types, over 2,000 units.
        const bulk = TOTAL - BATCH;
        await seed(engine, {
          event: expo!.code,
          persons: other ? Math.round(bulk * 0.8) : bulk,
          units: 2000,
        });
        if (other)
          await seed(engine, { event: other.code, persons: bulk - Math.round(bulk * 0.8), units: 2000 });
        const fillMs = performance.now() - fillStart;

        // The unit's batch: 500 people declared properly, then submitted.
        const unit = await engine.units.add('REVIEWED', '被审核单位');
        const clerk = await engine.accounts.commandLineActor();
        for (let i = 0; i < BATCH; i++) {
          await engine.records.create('EXPO2026', clerk, {
            kind: 'person',
            unitCode: unit.code,
            values: {
              name: `审核${i}`,
              gender: 'F',
              idType: '1',
              idNumber: residentId(
                '310104',
                `1985${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`,
                String(100 + i * 2).slice(-3),
              ),
              organization: '被审核单位',
              mobile: `137${String(10_000_000 + i).slice(-8)}`,
              cardType: i % 10 === 0 ? 'VIP' : 'STAFF',
            },
          });
        }
        // Fifty of them declared by another unit too (cross-unit duplicates to find).
        await q(
          `INSERT INTO records (event_id, unit_id, kind, status, card_type, plugin_version_id, name, id_number_hash, data)
           SELECT event_id, (SELECT min(id) FROM units), kind, 'submitted', 'STAFF', plugin_version_id, name, id_number_hash, '{}'
             FROM records WHERE unit_id = :unitId ORDER BY id LIMIT 50`,
          { unitId: unit.id },
        );
        const batch = await engine.review.submit(
          'EXPO2026',
          { unitCode: unit.code },
          { ...clerk, role: 'clerk' },
        );
        const reviewer = { ...clerk, role: 'reviewer' as const };
        const [count] = (await q('SELECT count(*) AS n FROM records')) as [{ n: string }[], unknown];

        const times: number[] = [];
        let records = 0;
        let duplicates = 0;
        for (let i = 0; i < RUNS; i++) {
          const start = performance.now();
          const screen = await engine.review.screen(batch.id, reviewer);
          times.push(performance.now() - start);
          records = screen.records.length;
          duplicates = screen.records.filter((r) => r.duplicates.length > 0).length;
        }
        times.sort((a, b) => a - b);
        const listStart = performance.now();
        await engine.review.list('EXPO2026', reviewer, { status: 'open' });
        const listMs = performance.now() - listStart;
        console.log(
          [
            '',
            `review bench: ${Number(count[0]!.n).toLocaleString('en')} records in the database (filled in ${(fillMs / 1000).toFixed(1)} s)`,
            `  review screen, ${records} records + context + duplicate hints (${duplicates} flagged):`,
            `    median ${times[Math.floor(RUNS / 2)]!.toFixed(0)} ms, p90 ${times[Math.floor(RUNS * 0.9)]!.toFixed(0)} ms, max ${times[RUNS - 1]!.toFixed(0)} ms over ${RUNS} runs (target ≤ 300 ms)`,
            `  review batch list with dashboard counts: ${listMs.toFixed(0)} ms`,
            '',
          ].join('\n'),
        );
      } finally {
        await engine.close();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
