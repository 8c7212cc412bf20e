import { promises as fs } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { toExcelCsv } from '../export/sheet-safety.ts';
import type { MigrationProblemRows } from './migration.ts';
import type { LegacyReport } from './views.ts';

const SOURCE_NAMES = { unit: '单位', person: '人员', vehicle: '车辆' } as const;

/** The readable summary: what a person checks before and after the real run. */
export function reportMarkdown(r: LegacyReport): string {
  const lines: string[] = [];
  const yes = (b: boolean) => (b ? '✓' : '✗');
  lines.push(`# 旧系统数据迁移报告：${r.name}`, '');
  lines.push(
    `- 活动：${r.event}`,
    `- 映射文件：${r.mappingFile}（SHA-256 ${r.mappingSha256.slice(0, 16)}…）`,
    `- ${r.dryRun ? '**试运行**：未写入任何数据' : `正式迁移，批次 ${r.runId}`}`,
    `- 时间：${r.startedAt} — ${r.finishedAt}`,
    `- 对账结果：**${r.reconciled ? '全部一致' : '有不一致，见下文'}**`,
    '',
  );
  lines.push(
    '## 各源文件行数核对',
    '',
    '| 类别 | 文件 | 工作表 | 表头行 | 数据行 | 新建 | 已迁入 | 拒绝 | 跳过的非数据行 | 核对 |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of r.sources)
    lines.push(
      `| ${SOURCE_NAMES[s.source]} | ${s.file} | ${s.sheet} | ${s.headerRow} | ${s.rows} | ${s.created} | ${s.existing} | ${s.rejected} | ${s.skipped.length} | ${yes(s.reconciled)} |`,
    );
  lines.push('', `数据行 = 新建 + 已迁入 + 拒绝。`, '');
  const c = r.created;
  lines.push(
    `## ${r.dryRun ? '将要' : '已'}写入`,
    '',
    `- 单位 ${c.units}，人员 ${c.records.person ?? 0}，车辆 ${c.records.vehicle ?? 0}`,
    `- 证件 ${c.cards}，证件流转记录 ${c.cardHistory}，照片 ${c.photos}`,
    '',
  );
  lines.push(
    '## 校验和',
    '',
    `- 记录：核对 ${r.checksums.records.checked}，一致 ${r.checksums.records.equal}`,
    `- 照片：核对 ${r.checksums.photos.checked}，一致 ${r.checksums.photos.equal}`,
  );
  for (const m of r.checksums.mismatches)
    lines.push(`  - ✗ ${m.file} 第 ${m.row} 行（${m.what === 'photo' ? '照片' : '记录'}）：${m.detail}`);
  lines.push('');
  if (r.problems.length) {
    lines.push(
      `## 拒绝的行（${r.problems.length} 处问题，详见 问题行.xlsx / 问题行.csv）`,
      '',
      '| 文件 | 行 | 字段 | 原因 |',
      '|---|---|---|---|',
    );
    for (const p of r.problems)
      lines.push(`| ${p.file} | ${p.row} | ${p.field} | ${p.reason.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  if (r.duplicates.length) {
    lines.push('## 重复', '');
    const kinds = {
      'same-unit': '同一单位重复（后者已拒绝）',
      'across-units': '多个单位申报同一人（均已迁入）',
      'existing-record': '系统中已有（已拒绝）',
    };
    for (const d of r.duplicates)
      lines.push(
        `- ${kinds[d.kind]} ${d.key}：${d.rows.map((x) => `${x.file} 第 ${x.row} 行（${x.unit}）`).join('；')}`,
      );
    lines.push('');
  }
  if (r.changedSinceMigrated.length) {
    lines.push('## 上次迁入后源数据有变化（未覆盖）', '');
    for (const x of r.changedSinceMigrated) lines.push(`- ${x.file} 第 ${x.row} 行（${x.key}）`);
    lines.push('');
  }
  const p = r.photos;
  lines.push(
    '## 照片',
    '',
    `- 文件 ${p.files}，匹配 ${p.matched}，没有照片的行 ${p.rowsWithoutPhoto.length}，无主照片 ${p.orphaned.length}，不可用 ${p.unusable.length}`,
  );
  for (const x of p.rowsWithoutPhoto) lines.push(`  - 没有照片：${x.file} 第 ${x.row} 行 ${x.name ?? ''}`);
  for (const f of p.orphaned) lines.push(`  - 无主照片：${f}`);
  for (const a of p.ambiguous)
    lines.push(`  - 无法确定：${a.file} 第 ${a.row} 行：${a.reason}（${a.files.join('、')}）`);
  for (const u of p.unusable) lines.push(`  - 不可用：${u.photo}（${u.file} 第 ${u.row} 行）：${u.reason}`);
  lines.push('');
  const n = r.cardNumbers;
  lines.push('## 证件编号', '');
  for (const x of n.counters)
    lines.push(
      `- ${x.cardType}：编号计数器 ${x.before ?? '（无）'} → ${x.after}，新证件从 ${x.after + 1} 起编`,
    );
  for (const x of n.clashes) lines.push(`- ✗ 冲突 ${x.cardNumber}（${x.file} 第 ${x.row} 行）：${x.note}`);
  for (const x of n.nonMatching)
    lines.push(`- 不符合编号规则，原样保留 ${x.cardNumber}（${x.cardType}，${x.file} 第 ${x.row} 行）`);
  for (const x of n.numbered) lines.push(`- 续编 ${x.cardNumber}（${x.file} 第 ${x.row} 行）：${x.note}`);
  lines.push('');
  return lines.join('\n');
}

/** Writes report.json, report.md and the problem rows (xlsx with text cells, CSV neutralised). */
export async function writeReportFiles(
  dir: string,
  report: LegacyReport,
  problemRows: MigrationProblemRows,
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'report.json'),
    md: path.join(dir, 'report.md'),
    csv: path.join(dir, '问题行.csv'),
    xlsx: path.join(dir, '问题行.xlsx'),
  };
  await fs.writeFile(files.json, JSON.stringify(report, null, 2));
  await fs.writeFile(files.md, reportMarkdown(report));
  const table: string[][] = [['类别', '文件', '工作表', '原表行号', '问题说明', '原始内容']];
  for (const p of problemRows)
    table.push([
      SOURCE_NAMES[p.source],
      p.file,
      p.sheet,
      String(p.row),
      p.reasons.join('；'),
      p.headers
        .map((h, i) => (p.cells[i] ? `${h || `第${i + 1}列`}=${p.cells[i]}` : ''))
        .filter(Boolean)
        .join('，'),
    ]);
  await fs.writeFile(files.csv, toExcelCsv(table));
  const wb = new ExcelJS.Workbook();
  // One sheet per source file, its own columns first, so a fixed sheet can be migrated again.
  const byFile = new Map<string, MigrationProblemRows>();
  for (const p of problemRows) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  if (byFile.size === 0) wb.addWorksheet('问题行').addRow(['没有问题行']);
  for (const [file, rows] of byFile) {
    const name = path
      .basename(file)
      .replace(/[\\/*?:[\]]/g, '_')
      .slice(0, 31);
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    const headers = rows[0]!.headers.map((h, i) => h || `第${i + 1}列`);
    ws.addRow([...headers, '原表行号', '问题说明']).font = { bold: true };
    for (const r of rows)
      ws.addRow([...headers.map((_, i) => r.cells[i] ?? ''), String(r.row), r.reasons.join('；')]);
    ws.columns.forEach((column) => {
      column.numFmt = '@';
      column.width = 16;
    });
  }
  await fs.writeFile(files.xlsx, Buffer.from(await wb.xlsx.writeBuffer()));
  return Object.values(files);
}
