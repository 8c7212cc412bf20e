// The bench's collection package, made in a process of its own (the bench measures the
// server's memory, not the generator's): `node --import tsx test/perf/import-package.ts <zip> <rows>`
// writes a zip of one workbook (title row, header, <rows> people) and one ~50 KB photo per person,
// named by ID number, with GBK names as Chinese Windows packs them. Prints the photos' mean size.
import ExcelJS from 'exceljs';
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { residentId } from '../support/id-numbers.ts';
import { zipEntries } from '../support/import-files.ts';

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
        .jpeg({ quality: 85 })
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

/** Distinct valid ID numbers with a spread of birth dates. */
export function benchIds(rows: number): string[] {
  return Array.from({ length: rows }, (_, i) => {
    const day = new Date(Date.UTC(1960, 0, 1) + (i % 15000) * 86_400_000)
      .toISOString()
      .slice(0, 10)
      .replace(/-/g, '');
    return residentId('110101', day, String(100 + Math.floor(i / 15000) * 10 + (i % 7)).padStart(3, '0'));
  });
}

export async function writeImportPackage(
  file: string,
  rows: number,
): Promise<{ xlsx: Buffer; photoBytes: number }> {
  const ids = benchIds(rows);
  const xlsx = await workbook(ids);
  const bases = await photoBases();
  const photos = ids.map((id, i) => ({
    name: `照片/${id}.jpg`,
    data: uniqueJpeg(bases[i % bases.length]!, i),
  }));
  const photoBytes = photos.reduce((n, p) => n + p.data.length, 0);
  await writeFile(file, zipEntries([{ name: '人员信息.xlsx', data: xlsx }, ...photos], { gbkNames: true }));
  return { xlsx, photoBytes };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const [file, rows] = process.argv.slice(2);
  const { xlsx, photoBytes } = await writeImportPackage(file!, Number(rows));
  await writeFile(`${file}.xlsx`, xlsx);
  console.log(JSON.stringify({ photoBytes }));
}
