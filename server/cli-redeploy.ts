import type { Command } from 'commander';
import { runRedeployDrill, type DrillReport } from './redeploy-drill.ts';

/** `tessera redeploy-drill --backups <dir>`: deploy/REDEPLOY.md run end to end (see redeploy-drill.ts). */
export function registerRedeployCommand(program: Command): void {
  program
    .command('redeploy-drill')
    .description(
      '重新部署演练：校验备份链，恢复到一个新的数据目录（新的内嵌 PostgreSQL），启动服务，核对业务数量并经接口抽查记录、照片和证件状态；全部一致时退出码 0，否则 1',
    )
    .requiredOption('--backups <dir>', '备份目录（生产备份的副本）')
    .option('--data-dir <dir>', '恢复到这个新目录（须为空或不存在；默认临时目录）')
    .option('--keep', '演练结束后保留恢复出的数据目录')
    .option('--sample <n>', '经接口抽查的记录数', '20')
    .option('--json', '输出 JSON 报告')
    .action(
      async (options: {
        backups: string;
        dataDir?: string;
        keep?: boolean;
        sample: string;
        json?: boolean;
      }) => {
        // The drill runs its own embedded PostgreSQL on a free port, beside a production one that
        // may hold TESSERA_PG_PORT on this machine; DATABASE_URL is never used (restore target and
        // server config are set explicitly).
        delete process.env.TESSERA_PG_PORT;
        const sample = Number(options.sample);
        const report = await runRedeployDrill({
          backups: options.backups,
          dataDir: options.dataDir,
          keep: options.keep,
          sample: Number.isInteger(sample) && sample >= 0 ? sample : 20,
          progress: (phase, done, total, message) =>
            console.error(`[${phase}]${total ? ` ${done}/${total}` : ''}${message ? ` ${message}` : ''}`),
        });
        if (options.json) console.log(JSON.stringify(report));
        else printReport(report);
        process.exitCode = report.ok ? 0 : 1;
      },
    );
}

function printReport(r: DrillReport): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`重新部署演练${r.ok ? '通过 ✓' : '未通过 ✗'}（用时 ${s(r.timings.total)}）`);
  console.log(`  备份目录：${r.backupsDir}`);
  console.log(`  恢复的备份：${r.restored.join(' → ')}（截至 ${r.restoredTo}）`);
  console.log(`  数据目录：${r.dataDir}${r.kept ? '（已保留）' : '（已删除）'}`);
  console.log(`  各表：${r.tables.checked} 张表、${r.tables.rows} 行，行数和校验值与备份一致`);
  const c = r.counts.actual;
  const join = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${k} ${n}`)
      .join('、') || '无';
  console.log(`  数量：活动 ${c.events}、单位 ${c.units}、用户 ${c.users}、照片 ${c.photos}`);
  console.log(`  记录（类型/状态）：${join(c.records)}`);
  console.log(`  证件（状态）：${join(c.cards)}`);
  const checked = r.samples.flatMap((x) => x.checked);
  const n = (what: string) => checked.filter((x) => x === what).length;
  console.log(
    `  接口抽查：${r.samples.length} 条记录（字段 ${n('fields')}、完整证件号 ${n('id-number')}、照片 ${n('photo')}、证件 ${n('cards')}）`,
  );
  console.log(
    `  用时：校验 ${s(r.timings.verify)}、恢复 ${s(r.timings.restore)}、启动 ${s(r.timings.start)}、核对 ${s(r.timings.check)}`,
  );
  for (const note of r.notes) console.log(`  · ${note}`);
  for (const problem of r.problems) console.log(`  ✗ ${problem}`);
}
