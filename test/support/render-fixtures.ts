// Records and photos for render tests and the render benchmark: synthetic ID-style portraits
// (light background, face, hair, shoulders) so a rasterised card looks like a real one, and
// plausible Chinese names and organisations.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
  '欧阳',
  '司马',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '秀英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '平',
  '刚',
  '桂英',
  '晓东',
  '建华',
  '志强',
  '婷婷',
];
const ORGS = [
  '滨江市人民政府外事办公室',
  '滨江国际会展集团有限公司',
  '新华通讯社浙江分社',
  '国际数字经济合作组织秘书处',
  '滨江市公安局交通警察支队',
  '中国信息通信研究院',
  '滨江大学计算机科学与技术学院',
  '博览会组委会志愿者服务部',
];
const POSITIONS = ['主任', '副处长', '记者', '工程师', '项目经理', '志愿者', '', '研究员'];

export function chineseName(i: number): string {
  return SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7 + 3) % GIVEN.length]!;
}

/** A 3:4 ID-style portrait: pale background, shoulders in a jacket, face, hair. */
export async function portraitJpeg(i: number, width = 480, height = 640): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  const skin = [
    [241, 206, 178],
    [228, 188, 156],
    [214, 170, 136],
  ][i % 3]!;
  const jacket = [
    [38, 52, 80],
    [70, 70, 74],
    [30, 60, 110],
    [90, 40, 50],
  ][i % 4]!;
  const bg = [
    [236, 240, 245],
    [226, 236, 250],
    [245, 245, 245],
  ][i % 3]!;
  const hair = [
    [30, 26, 24],
    [52, 40, 32],
    [20, 20, 22],
  ][i % 3]!;
  const cx = width / 2;
  const faceY = height * 0.4;
  const fw = width * 0.2 + (i % 5) * 2;
  const fh = height * 0.21;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - cx) / fw;
      const dy = (y - faceY) / fh;
      let c = bg;
      const shoulder = y > height * 0.66 && Math.abs(x - cx) < (y - height * 0.6) * 1.6 + width * 0.12;
      const neck = y > faceY + fh * 0.6 && y < height * 0.72 && Math.abs(x - cx) < fw * 0.45;
      const hairCap =
        dx * dx + ((y - (faceY - fh * 0.25)) / (fh * 0.95)) ** 2 < 1.05 && y < faceY - fh * 0.15;
      if (shoulder) c = jacket;
      else if (neck) c = skin.map((v) => v - 18);
      if (dx * dx + dy * dy < 1) c = skin;
      if (hairCap) c = hair;
      const shade = (y / height) * 10;
      const o = (y * width + x) * 3;
      raw[o] = Math.max(0, c[0]! - shade);
      raw[o + 1] = Math.max(0, c[1]! - shade);
      raw[o + 2] = Math.max(0, c[2]! - shade);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

export interface PersonRecord {
  name: string;
  gender: 'M' | 'F';
  organization: string;
  position?: string;
  photo?: string;
  zones?: string[];
  unitName?: string;
  [key: string]: unknown;
}

/**
 * `n` person records with photos written under `dir/photos` (paths relative to `dir`). Photos are
 * made from a few dozen portraits; beyond those, each is recoloured so no two files are the same
 * (as a real batch: every card its own photo, nothing for a cache to share).
 */
export async function writePersonRecords(dir: string, n: number): Promise<PersonRecord[]> {
  await mkdir(path.join(dir, 'photos'), { recursive: true });
  const distinct = Math.min(n, 24);
  const bases = await Promise.all(Array.from({ length: distinct }, (_, i) => portraitJpeg(i)));
  const records: PersonRecord[] = [];
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    const file = `photos/${String(i + 1).padStart(5, '0')}.jpg`;
    const base = bases[i % distinct]!;
    writes.push(
      (i < distinct
        ? Promise.resolve(base)
        : sharp(base)
            .modulate({ hue: (i * 13) % 360, brightness: 1 + (i % 9) / 100 })
            .jpeg({ quality: 88 })
            .toBuffer()
      ).then((bytes) => writeFile(path.join(dir, file), bytes)),
    );
    if (writes.length >= 16) await Promise.all(writes.splice(0));
    records.push({
      name: chineseName(i),
      gender: i % 2 ? 'F' : 'M',
      organization: ORGS[i % ORGS.length]!,
      position: POSITIONS[i % POSITIONS.length],
      photo: file,
      unitName: ORGS[(i + 3) % ORGS.length],
    });
  }
  await Promise.all(writes);
  return records;
}
