import { promises as fs } from 'node:fs';
import path from 'node:path';
import { migrationNames } from '../../../db/migrate.ts';
import { loadPluginsDirectory } from '../../../plugins/index.ts';
import { findChrome } from '../../../render/browser.ts';
import { logsDir } from '../../logs/files.ts';
import { select, timeText, type Check } from '../check.ts';

/** 各模块健康: database, schema, plugins, data keys, stores, logs, renderer, long tasks. */
export const modulesCheck: Check = {
  id: 'modules',
  title: '模块健康检查',
  async run(ctx, out) {
    const modules: (string | number)[][] = [];
    const ok = (name: string, state: string) => modules.push([name, '正常', state]);
    const bad = (name: string, state: string) => modules.push([name, '异常', state]);

    const started = performance.now();
    const [db] = await select<{ version: string }>(ctx.db, 'SELECT version() AS version');
    ok(
      '数据库',
      `${ctx.db.describe}，${db?.version.split(' on ')[0] ?? ''}，响应 ${Math.round(performance.now() - started)} ms`,
    );

    const applied = await select<{ name: string }>(
      ctx.db,
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    const missing = migrationNames.filter((n) => !applied.some((a) => a.name === n));
    if (missing.length) {
      bad('数据库结构', `缺少迁移 ${missing.join('、')}`);
      out.find(
        '严重',
        '数据库结构不是最新',
        `未执行的迁移：${missing.join('、')}`,
        '重启服务（启动时自动执行迁移），并查看启动日志中的错误。',
      );
    } else {
      ok('数据库结构', `迁移 ${applied.length} 个，最新 ${applied.at(-1)?.name ?? '—'}`);
    }

    // The server reports what it loaded at start; the command line checks the folder now (without
    // registering anything: an inspection changes nothing).
    const plugins = ctx.pluginLoad.length
      ? ctx.pluginLoad
      : await loadPluginsDirectory(ctx.config.pluginsDir);
    const broken = plugins.filter((p) => !p.ok);
    const loaded = plugins.length - broken.length;
    if (broken.length) {
      bad(
        '活动插件',
        `${loaded} 个有效，${broken.length} 个无法加载：${broken.map((p) => p.code).join('、')}`,
      );
      out.find(
        '警告',
        `${broken.length} 个活动插件未能加载`,
        `插件 ${broken.map((p) => p.code).join('、')} 校验失败，未加载。`,
        '运行 npx tessera plugin validate <插件目录> 查看每个错误的文件和位置，改正后重启服务。',
      );
    } else {
      ok('活动插件', `${ctx.pluginLoad.length ? '已加载' : '校验通过'} ${loaded} 个`);
    }

    const dataDir = ctx.config.dataDir;
    const keysFromEnv = !!(process.env.TESSERA_ENCRYPTION_KEY && process.env.TESSERA_HASH_KEY);
    const keyFile = path.join(dataDir, 'secrets.json');
    const keyStat = await fs.stat(keyFile).catch(() => null);
    if (keysFromEnv) ok('数据密钥', '来自环境变量');
    else if (keyStat) {
      const loose = (keyStat.mode & 0o077) !== 0;
      (loose ? bad : ok)('数据密钥', `${keyFile}，权限 ${(keyStat.mode & 0o777).toString(8)}`);
      if (loose) {
        out.find(
          '严重',
          '密钥文件可被其他用户读取',
          `${keyFile} 的权限为 ${(keyStat.mode & 0o777).toString(8)}：身份证号的加密密钥应只有服务账号可读。`,
          `执行 chmod 600 ${keyFile}。`,
        );
      }
    } else bad('数据密钥', '未找到 secrets.json');

    for (const [name, dir] of [
      ['照片与文件存储', path.join(dataDir, 'blobs')],
      ['运行日志目录', logsDir(dataDir)],
    ] as const) {
      const probe = path.join(dir, `.inspect-${process.pid}`);
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(probe, 'ok');
        await fs.rm(probe);
        ok(name, `${dir} 可写`);
      } catch (error) {
        bad(name, `${dir} 不可写：${(error as Error).message}`);
        out.find(
          '严重',
          `${name}不可写`,
          `${dir}：${(error as Error).message}`,
          '检查磁盘空间和目录权限（服务账号需要读写权限）。',
        );
      }
    }

    try {
      ok('证件渲染 (Chromium)', findChrome());
    } catch (error) {
      bad('证件渲染 (Chromium)', (error as Error).message);
      out.find(
        '严重',
        '找不到 Chromium，无法打印证件和生成 PDF',
        (error as Error).message,
        '安装 Chromium (apt-get install -y chromium) 或设置 CHROME_PATH。',
      );
    }

    const tasks = await select<{ status: string; n: string; last: Date | null }>(
      ctx.db,
      `SELECT status, count(*) AS n, max(created_at) AS last FROM tasks
        WHERE created_at > now() - interval '7 days' GROUP BY status`,
    );
    const count = (s: string) => Number(tasks.find((t) => t.status === s)?.n ?? 0);
    const stuck = await select<{ n: string }>(
      ctx.db,
      `SELECT count(*) AS n FROM tasks WHERE status IN ('queued', 'running') AND heartbeat_at < now() - interval '5 minutes'`,
    );
    const stuckCount = Number(stuck[0]?.n ?? 0);
    const summary = `近 7 天：完成 ${count('succeeded')}，失败 ${count('failed')}，中断 ${count('interrupted')}，进行中 ${count('running') + count('queued')}`;
    (stuckCount ? bad : ok)('长任务', summary);
    if (count('failed') + count('interrupted') > 0) {
      const last = tasks
        .filter((t) => t.status === 'failed' || t.status === 'interrupted')
        .map((t) => t.last);
      out.find(
        '提示',
        `近 7 天有 ${count('failed') + count('interrupted')} 个长任务失败或中断`,
        `失败 ${count('failed')} 个，因重启等原因中断 ${count('interrupted')} 个；最近一次 ${timeText(last.sort().at(-1))}。`,
        '在对应页面（导入批次、备份、打印任务）查看错误原因，必要时重新发起。',
      );
    }
    if (stuckCount) {
      out.find(
        '警告',
        `${stuckCount} 个长任务长时间无进展`,
        '任务状态为进行中，但 5 分钟以上没有心跳。',
        '确认服务进程是否卡住；重启服务后这些任务会标记为“已中断”。',
      );
    }
    out.table('模块', ['模块', '状态', '说明'], modules);
    out.fact('检查模块', `${modules.length} 个，异常 ${modules.filter((m) => m[1] === '异常').length} 个`);
  },
};
