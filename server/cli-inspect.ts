import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { createEngine } from '../core/engine.ts';

/** `tessera inspect [--out dir] [--json]`: the inspection report (巡检报告) from the shell. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('系统巡检：模块健康、安全、响应时间、数据库、备份、磁盘；生成带日期的 HTML 和 PDF 报告')
    .option('--out <dir>', '另存一份 HTML 和 PDF 到此目录（报告总会保存在 <数据目录>/inspections 下）')
    .option('--json', '以 JSON 输出报告')
    .action(async (options: { out?: string; json?: boolean }) => {
      const engine = await createEngine(loadConfig(), { role: 'cli' });
      try {
        const actor = await engine.accounts.commandLineActor();
        const { report, dir, pdfError } = await engine.inspections.run({
          actor,
          outDir: options.out,
          progress: (done, total, phase) => {
            if (!options.json) console.error(`巡检 ${Math.min(done + 1, total)}/${total}：${phase}`);
          },
        });
        if (options.json) {
          console.log(JSON.stringify(report));
        } else {
          for (const f of report.findings)
            console.log(`[${f.severity}] ${f.title}\n    ${f.detail}\n    建议：${f.advice}`);
          console.log(
            `\n巡检结论：${report.status}（严重 ${report.counts.严重}，警告 ${report.counts.警告}，提示 ${report.counts.提示}）`,
          );
          console.log(
            `报告：${path.join(dir, 'report.html')}${pdfError ? '' : `\n      ${path.join(dir, 'report.pdf')}`}`,
          );
          if (options.out) console.log(`副本：${path.resolve(options.out)}`);
          if (pdfError) console.error(`未能生成 PDF：${pdfError}`);
        }
        // Exit 2 on a severe finding, so a cron job or monitoring script can alert on it.
        process.exitCode = report.counts.严重 ? 2 : 0;
      } finally {
        await engine.close();
      }
    });
}
