import path from 'node:path';
import type { Command } from 'commander';
import { backupDir, loadConfig } from '../core/config.ts';
import { createEngine } from '../core/engine.ts';
import type { BackupKind, BackupProgress, BackupSummary } from '../core/ops/backup/index.ts';

/** `tessera backup full|incremental|verify|list` and `tessera restore`. */
export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('备份数据库和照片/文件 (backups)');
  const dirOption = '备份目录（默认 TESSERA_BACKUP_DIR，再默认 <数据目录>/backups）';

  for (const [kind, label] of [
    ['full', '全量备份：数据库全部数据、全部照片/文件和密钥'],
    ['incremental', '增量备份：自上一次备份以来变化的数据和新增的照片/文件'],
  ] as const) {
    backup
      .command(kind)
      .description(label)
      .option('--dir <dir>', dirOption)
      .option('--json', '输出 JSON')
      .action(async (options: { dir?: string; json?: boolean }) => {
        const started = Date.now();
        const engine = await createEngine(loadConfig(), { role: 'cli' });
        let summary: BackupSummary;
        try {
          summary = await engine.backups.create(kind, { dir: options.dir, progress: progressPrinter() });
        } finally {
          await engine.close();
        }
        if (options.json) console.log(JSON.stringify(summary));
        else printBackupDone(summary, kind, Date.now() - started);
        process.exitCode = 0;
      });
  }

  backup
    .command('verify')
    .description('校验备份：每个清单、每个文件的校验值和每条备份链的顺序；全部无误时退出码 0，否则 1')
    .option('--dir <dir>', dirOption)
    .option('--json', '输出 JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const { verifyDirectory } = await import('../core/ops/backup/index.ts');
      const dir = resolveDir(options.dir);
      const report = await verifyDirectory(dir, {
        progress: (done, total, id) => {
          if (!options.json) console.error(`校验 ${done + 1}/${total}：${id}`);
        },
      });
      if (options.json) {
        console.log(JSON.stringify(report));
      } else {
        for (const b of report.backups) {
          console.log(
            `${b.ok ? '✓' : '✗'} ${b.id}  ${b.kind === 'full' ? '全量' : `增量 #${b.sequence}`}  ${size(b.bytes)}`,
          );
        }
        for (const p of report.problems) console.log(`  ✗ ${p.message}`);
        console.log(
          report.ok
            ? `备份目录 ${dir}：${report.backups.length} 个备份、${report.chains.length} 条备份链，全部无误`
            : `备份目录 ${dir}：发现 ${report.problems.length} 个问题`,
        );
      }
      process.exitCode = report.ok ? 0 : 1;
    });

  backup
    .command('list')
    .description('列出备份：按备份链（全量在前，增量按顺序）')
    .option('--dir <dir>', dirOption)
    .option('--json', '输出 JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const { buildChains, describeTime, loadBackups, summarise } =
        await import('../core/ops/backup/index.ts');
      const dir = resolveDir(options.dir);
      const { backups, problems } = await loadBackups(dir);
      const { chains, problems: chainProblems } = buildChains(backups);
      problems.push(...chainProblems);
      if (options.json) {
        console.log(JSON.stringify({ dir, backups: backups.map((b) => summarise(b)), problems }));
        return;
      }
      if (backups.length === 0 && problems.length === 0) console.log(`备份目录 ${dir} 中还没有备份`);
      for (const chain of chains) {
        for (const [index, member] of chain.members.entries()) {
          const s = summarise(member);
          const what =
            s.kind === 'full' ? `全量      ${s.rows} 行` : `└ 增量 #${s.sequence} ${s.changes ?? 0} 行变更`;
          const usable = index < chain.usable ? '' : '  ✗ 不可用';
          console.log(
            `${what.padEnd(24)} ${describeTime(s.snapshotAt)}  ${s.blobs} 个照片/文件  ${size(s.bytes)}  ${s.id}${usable}`,
          );
        }
      }
      for (const p of problems) console.log(`✗ ${p.message}`);
    });

  program
    .command('restore')
    .description(
      '从备份恢复：先恢复最近的全量备份，再按顺序恢复其后的增量备份；先恢复到新数据库并校验，无误后才替换现有数据（需先停止服务器）',
    )
    .option('--to <time>', '恢复到这一时刻的状态（ISO 时间，如 2026-01-05T10:30:00+08:00）；不写则恢复到最新')
    .option('--dir <dir>', dirOption)
    .option('--json', '输出 JSON')
    .action(async (options: { to?: string; dir?: string; json?: boolean }) => {
      const { restoreBackup, describeTime } = await import('../core/ops/backup/index.ts');
      const config = loadConfig();
      const started = Date.now();
      const result = await restoreBackup(
        { dataDir: config.dataDir, databaseUrl: config.databaseUrl, dir: resolveDir(options.dir) },
        { to: options.to, progress: progressPrinter() },
      );
      if (options.json) {
        console.log(JSON.stringify(result));
      } else {
        console.log(
          `已恢复到 ${describeTime(result.restoredTo)} 的状态（数据库 ${result.database}）：${result.rows} 行，${result.blobs} 个照片/文件，用时 ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        for (const b of result.backups) {
          console.log(
            `  ${b.applied === 'whole' ? '✓' : '◐'} ${b.id}${b.applied === 'whole' ? '' : '（截至指定时间）'}`,
          );
        }
        for (const note of result.notes) console.log(`  · ${note}`);
      }
      process.exitCode = 0;
    });
}

function resolveDir(dir: string | undefined): string {
  return dir ? path.resolve(dir) : backupDir(loadConfig());
}

/** One line per phase change, and at most one every two seconds within a phase (to stderr). */
function progressPrinter(): BackupProgress {
  let lastPhase = '';
  let lastAt = 0;
  return (phase, done, total, message) => {
    const now = Date.now();
    if (phase === lastPhase && now - lastAt < 2000) return;
    lastPhase = phase;
    lastAt = now;
    const count = total ? ` ${done}/${total}` : done ? ` ${done}` : '';
    console.error(`[${phase}]${count}${message ? ` ${message}` : ''}`);
  };
}

function printBackupDone(s: BackupSummary, kind: BackupKind, ms: number): void {
  console.log(
    `已完成${kind === 'full' ? '全量' : '增量'}备份 ${s.id}：${
      kind === 'full' ? `${s.rows} 行数据` : `${s.changes ?? 0} 行变更`
    }，${s.blobs} 个照片/文件，${s.files} 个其他文件，${size(s.bytes)}，用时 ${(ms / 1000).toFixed(1)} s`,
  );
  console.log(`  备份位置：${s.dir}`);
  for (const warning of s.warnings) console.log(`  ! ${warning}`);
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
