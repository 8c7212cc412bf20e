import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { createEngine } from '../core/engine.ts';
import { LegacyMigration } from '../core/legacy/migration.ts';
import { writeReportFiles } from '../core/legacy/report-files.ts';

/** `tessera migrate-legacy`: the previous system's exports into an event (core/legacy). */
export function registerLegacyCommand(program: Command): void {
  program
    .command('migrate-legacy')
    .requiredOption('--mapping <file.json>', '迁移映射文件（schemas/legacy-migration.schema.json）')
    .option('--dry-run', '试运行：读取、校验、列出将要写入的内容和问题行，不写入任何数据')
    .option(
      '--report <dir>',
      '报告目录：report.json、report.md、问题行.xlsx、问题行.csv（默认 ./迁移报告-时间）',
    )
    .option('--json', '结束时输出报告 JSON')
    .description('从旧系统迁移数据：单位、人员、车辆、证件类型、证件状态和编号、照片；对账行数和校验和')
    .action(async (options: { mapping: string; dryRun?: boolean; report?: string; json?: boolean }) => {
      const engine = await createEngine(loadConfig(), { role: 'cli', loadPlugins: true });
      const started = Date.now();
      let last = 0;
      try {
        const actor = await engine.accounts.commandLineActor();
        const migration = new LegacyMigration(
          engine.db,
          engine.events,
          engine.records,
          engine.photos,
          engine.sensitive,
          engine.audit,
        );
        const { report, problemRows } = await migration.run(path.resolve(options.mapping), actor, {
          dryRun: options.dryRun,
          onProgress: (p) => {
            // One line a second is enough to see it move; every phase's end is shown.
            if (Date.now() - last < 1000 && p.done !== p.total) return;
            last = Date.now();
            const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
            console.error(
              `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${p.phase} ${p.done}/${p.total} (${pct}%)`,
            );
          },
        });
        const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
        const dir = path.resolve(options.report ?? `迁移报告-${stamp}`);
        await writeReportFiles(dir, report, problemRows);
        if (options.json) console.log(JSON.stringify(report));
        else {
          for (const s of report.sources)
            console.log(
              `${s.file}（${s.sheet}，表头第 ${s.headerRow} 行）：${s.rows} 行 = 新建 ${s.created} + 已迁入 ${s.existing} + 拒绝 ${s.rejected} ${s.reconciled ? '✓' : '✗'}`,
            );
          const c = report.created;
          console.log(
            `${report.dryRun ? '试运行，将写入' : '已写入'}：单位 ${c.units}，人员 ${c.records.person ?? 0}，车辆 ${c.records.vehicle ?? 0}，证件 ${c.cards}，照片 ${c.photos}`,
          );
          console.log(
            `校验和：记录 ${report.checksums.records.equal}/${report.checksums.records.checked} 一致，照片 ${report.checksums.photos.equal}/${report.checksums.photos.checked} 一致`,
          );
          console.log(`${report.reconciled ? '✓ 对账一致' : '✗ 对账不一致'}；报告：${dir}`);
        }
        process.exitCode = report.reconciled ? 0 : 1;
      } finally {
        await engine.close();
      }
    });
}
