// Print-job throughput: 500 STAFF cards, front and back, A4 duplex sheets with bleed and crop marks,
// through the whole path (POST → numbers and cards in one transaction → pg-boss → worker → render →
// PDF in the blob store → cards printed) against a bare render job of the same cards with the same
// warm browser. Prints cards/s of both and what the queue and the bookkeeping add. One iteration.
import { bench, describe } from 'vitest';
import { residentId } from '../support/id-numbers.ts';
import { pngPhoto } from '../support/import-files.ts';
import { startTestServer } from '../support/harness.ts';
import { renderForEvent } from '../../core/render/index.ts';

const CARDS = Number(process.env.TESSERA_BENCH_CARDS ?? 500);
const EVENT = 'EXPO2026';
const OPTIONS = { sheet: 'A4', duplex: true, bleedMm: 3, marks: true, backs: true } as const;

describe('print jobs', () => {
  bench(
    `${CARDS} cards front and back on A4 duplex sheets: through the queue vs a bare render job`,
    async () => {
      const server = await startTestServer();
      try {
        const engine = server.engine;
        const actor = { ...(await engine.accounts.commandLineActor()), ip: '127.0.0.1' };
        await engine.units.add('BENCH', '压测单位');
        const photos = await Promise.all(
          Array.from({ length: 20 }, async (_, i) =>
            engine.photos.upload(
              EVENT,
              actor,
              await pngPhoto(390, 520, { r: 60 + i * 9, g: 140, b: 200 - i * 5 }),
            ),
          ),
        );
        const ids: number[] = [];
        for (let i = 0; i < CARDS; i++) {
          const record = await engine.records.create(EVENT, actor, {
            kind: 'person',
            unitCode: 'BENCH',
            values: {
              name: `压测人员${i}`,
              gender: 'F',
              idType: '1',
              idNumber: residentId(
                '310104',
                `1986${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`,
                String(100 + ((i * 2) % 900)).padStart(3, '0'),
              ),
              organization: '压测单位综合处',
              mobile: `136${String(10_000_000 + i).slice(-8)}`,
              cardType: 'STAFF',
              photo: photos[i % photos.length]!.id,
            },
          });
          ids.push(record.id);
        }
        const batch = await engine.review.submit(EVENT, { unitCode: 'BENCH', recordIds: ids }, actor);
        await engine.review.decide(
          batch.id,
          { decision: 'approve', all: true, overrideQuota: true, reason: '压测' },
          actor,
        );

        // The bare render job: the same records as card data, the same browser, no queue, no database writes.
        const { plugin } = await engine.events.find(EVENT);
        const rows = await engine.db.models.EventRecord.findAll({
          where: { id: ids },
          order: [['id', 'ASC']],
        });
        const data = await Promise.all(
          rows.map(async (r, i) => {
            const view = await engine.records.view(r, plugin, true);
            const token = engine.cards.signer.sign({
              eventCode: EVENT,
              cardId: 1_000_000 + i,
              cardVersion: 1,
              cardNumber: `EXPO2026-ST-${String(i + 1).padStart(5, '0')}`,
            });
            return {
              ...view.values,
              unitCode: 'BENCH',
              unitName: '压测单位',
              verifyToken: token,
              verifyUrl: token,
            };
          }),
        );
        const sha = new Map(photos.map((p) => [p.id, p.sha256]));
        const browser = await engine.renderer.get();
        const output = { kind: 'sheets', sheet: 'A4', bleedMm: 3, duplex: true, marks: true } as const;
        const loadPhoto = async (value: string) => engine.photos.blobs.get(sha.get(value)!);
        // Warm-up: fonts and tabs, as a server that has printed before.
        await renderForEvent({
          plugin,
          cardType: 'STAFF',
          records: data.slice(0, 20),
          browser,
          output,
          loadPhoto,
        });
        const bareStart = performance.now();
        const bare = await renderForEvent({
          plugin,
          cardType: 'STAFF',
          records: data,
          browser,
          output,
          loadPhoto,
        });
        const bareMs = performance.now() - bareStart;

        const queueStart = performance.now();
        const job = await engine.cards.printJobs.create(
          EVENT,
          { cardType: 'STAFF', units: ['BENCH'], options: { ...OPTIONS } },
          actor,
        );
        const acceptedMs = performance.now() - queueStart;
        let view = job;
        let startedMs = 0;
        while (view.status === 'queued' || view.status === 'running') {
          await new Promise((r) => setTimeout(r, 50));
          view = await engine.cards.printJobs.get(EVENT, job.id, actor);
          if (!startedMs && view.status !== 'queued') startedMs = performance.now() - queueStart;
        }
        const queueMs = performance.now() - queueStart;
        if (view.status !== 'succeeded') throw new Error(`print job ${job.id} ${view.status}: ${view.error}`);
        const printed = await engine.cards.lifecycle.list(EVENT, actor, { status: 'printed', limit: 1 });
        if (printed.total !== CARDS) throw new Error(`${printed.total} cards printed, expected ${CARDS}`);

        const perSec = (ms: number) => ((CARDS * 1000) / ms).toFixed(1);
        console.log(
          [
            `print job, ${CARDS} cards front+back, A4 duplex, bleed 3 mm, crop marks (${bare.report.pages} pages, ${(view.pdfBytes! / 1024 / 1024).toFixed(1)} MB)`,
            `  bare render job:        ${(bareMs / 1000).toFixed(2)} s  ${perSec(bareMs)} cards/s`,
            `  through the queue:      ${(queueMs / 1000).toFixed(2)} s  ${perSec(queueMs)} cards/s`,
            `    POST answered after   ${acceptedMs.toFixed(0)} ms (numbers, ${CARDS} cards, history, task, queue message)`,
            `    worker started after  ${startedMs.toFixed(0)} ms`,
            `  queue + bookkeeping overhead: ${((queueMs - bareMs) / 1000).toFixed(2)} s (${(((queueMs - bareMs) / bareMs) * 100).toFixed(1)} %)`,
          ].join('\n'),
        );
      } finally {
        await server.stop();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
