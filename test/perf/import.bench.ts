// Issue target: a 10,000-row workbook zipped with 10,000 photos (~50 KB each) is staged in ≤ 20 s
// and committed in ≤ 10 s on this 2-core machine, peak memory ≤ 1 GB; printed beside a bare
// exceljs read of the same workbook. One iteration: the figures are printed, not averaged.
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { bench, describe } from 'vitest';
import { createEngine } from '../../core/engine.ts';
import { residentId } from '../support/id-numbers.ts';
import { testConfig } from '../support/harness.ts';
import { zipEntries } from '../support/import-files.ts';

const ROWS = Number(process.env.TESSERA_BENCH_ROWS ?? 10_000);
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英';

/** ~50 KB 3:4 JPEGs: a few noisy bases, each copy made unique by a JPEG comment (as real photos are). */
async function photoBases(): Promise<Buffer[]> {
  const bases: Buffer[] = [];
  for (let i = 0; i < 8; i++) {
    const noise = Buffer.alloc(480 * 640 * 3);
    for (let j = 0; j < noise.length; j++) noise[j] = (j * (i + 7) * 2654435761) >>> 24;
    bases.push(
      await sharp(noise, { raw: { width: 480, height: 640, channels: 3 } })
        .blur(1.2)
        .jpeg({ quality: 70 })
        .toBuffer(),
    );
  }
  return bases;
}

function uniqueJpeg(base: Buffer, n: number): Buffer {
  const text = Buffer.from(`tessera-bench-${n}`);
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([base.subarray(0, 2), com, text, base.subarray(2)]);
}

async function workbook(ids: string[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('人员信息');
  ws.addRow(['2026数博会人员证件申报表']);
  ws.addRow([
    '序号',
    '姓名',
    '性别',
    '民族',
    '身份证件类型',
    '身份证号码',
    '工作单位',
    '职务',
    '手机号码',
    '申请证件',
    '照片文件名',
    '备注',
  ]);
  ids.forEach((id, i) => {
    const name =
      SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + GIVEN[(i * 13) % GIVEN.length]!;
    ws.addRow([
      i + 1,
      name,
      Number(id[16]) % 2 ? '男' : '女',
      '汉族',
      '居民身份证',
      id,
      `滨江市第${(i % 40) + 1}工作单位`,
      '工作人员',
      `139${String(10_000_000 + i).slice(-8)}`,
      '工作证',
      `${id}.jpg`,
      '',
    ]);
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('import', () => {
  bench(
    `stage and commit ${ROWS} rows with ${ROWS} photos`,
    async () => {
      const ids = Array.from({ length: ROWS }, (_, i) => {
        const day = new Date(Date.UTC(1960, 0, 1) + (i % 15000) * 86_400_000)
          .toISOString()
          .slice(0, 10)
          .replace(/-/g, '');
        return residentId('110101', day, String(100 + Math.floor(i / 15000) * 10 + (i % 7)).padStart(3, '0'));
      });
      const xlsx = await workbook(ids);
      const bases = await photoBases();
      const photos = ids.map((id, i) => ({
        name: `照片/${id}.jpg`,
        data: uniqueJpeg(bases[i % bases.length]!, i),
      }));
      const zip = zipEntries([{ name: '人员信息.xlsx', data: xlsx }, ...photos], { gbkNames: true });
      const photoBytes = photos.reduce((n, p) => n + p.data.length, 0);

      const bareStart = performance.now();
      await new ExcelJS.Workbook().xlsx.load(xlsx as unknown as ArrayBuffer);
      const bareMs = performance.now() - bareStart;

      const engine = await createEngine(await testConfig(), { role: 'test', loadPlugins: true });
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        await engine.units.add('BENCH', '压测单位');
        const actor = await engine.accounts.commandLineActor();
        const stageStart = performance.now();
        const { batch, task } = await engine.imports.startStaging(
          { eventCode: 'EXPO2026', kind: 'person', unitCode: 'BENCH', fileName: '人员.zip', bytes: zip },
          actor,
        );
        const staged = await engine.tasks.waitFor(task.id);
        const stageMs = performance.now() - stageStart;
        if (staged.status !== 'succeeded') throw new Error(`staging failed: ${JSON.stringify(staged.error)}`);
        const view = await engine.imports.batch(batch.id, actor);
        const commitStart = performance.now();
        const report = await engine.imports.commit(batch.id, actor);
        const commitMs = performance.now() - commitStart;
        clearInterval(sampler);
        console.log(
          [
            '',
            `import bench: ${ROWS} rows, ${ROWS} photos (${(photoBytes / ROWS / 1024).toFixed(1)} KB each), zip ${(zip.length / 1048576).toFixed(0)} MB`,
            `  bare exceljs read of the workbook : ${(bareMs / 1000).toFixed(2)} s`,
            `  staging (read, map, check, photos): ${(stageMs / 1000).toFixed(2)} s   (target ≤ 20 s; ${(stageMs / bareMs).toFixed(1)}× the bare read)`,
            `  commit                            : ${(commitMs / 1000).toFixed(2)} s   (target ≤ 10 s)`,
            `  peak RSS                          : ${(peak / 1048576).toFixed(0)} MB  (target ≤ 1024 MB)`,
            `  rows valid/invalid ${view.counts.valid}/${view.counts.invalid}, photos matched ${view.counts.photosMatched}, committed ${report.totals.committed}, reconciled ${report.totals.reconciled}`,
            '',
          ].join('\n'),
        );
      } finally {
        clearInterval(sampler);
        await engine.close();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
