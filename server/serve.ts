import type { Server } from 'node:http';
import { checkStartup } from '../core/config-check.ts';
import { ConfigError, describeProblem, readConfig, type TesseraConfig } from '../core/config.ts';
import { createEngine, type Engine } from '../core/engine.ts';
import { IMAGE_WORKER_NICE, keepImageWorkersNice } from '../core/image-workers.ts';
import { createApp, listen } from './app.ts';

export interface RunningServer {
  engine: Engine;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * The settings for `tessera serve`, checked before anything starts: every value's form
 * (readConfig), then the database connection, the folders, the plugins and Chromium. Warnings are
 * logged; any error ends the start with a ConfigError that lists all of them.
 */
export async function configForServe(
  env: NodeJS.ProcessEnv = process.env,
  log: (message: string) => void = (m) => console.error(m),
): Promise<TesseraConfig> {
  const { config, problems } = readConfig(env);
  problems.push(...(await checkStartup(config, env)));
  if (problems.some((p) => p.level === 'error')) throw new ConfigError(problems);
  for (const p of problems) log(`配置提醒 ${describeProblem(p)}`);
  return config;
}

export async function startServer(
  config: TesseraConfig,
  log: (message: string) => void = (m) => console.log(m),
): Promise<RunningServer> {
  const engine = await createEngine(config, { role: 'server', loadPlugins: true, log });
  try {
    const admin = await engine.accounts.ensureFirstAdmin(config.adminPassword);
    if (admin.password) {
      log(`\n首次启动：已创建管理员账号 admin，初始密码（只显示这一次）：${admin.password}\n`);
    } else if (admin.created) {
      log('首次启动：已创建管理员账号 admin（密码来自 TESSERA_ADMIN_PASSWORD）');
    }
    const interrupted = await engine.tasks.recoverInterrupted();
    if (interrupted) log(`上次运行中断的任务 ${interrupted} 个，已标记为“已中断”`);
    const batches = await engine.imports.recoverInterrupted();
    if (batches.length) log(`中断的导入批次 ${batches.join('、')} 已恢复为可重新提交/重新读取`);
    await engine.backups.serverStarted(log);
    // The print queue, and its worker unless TESSERA_PRINT_WORKER=off (jobs left running are resumed).
    await engine.cards.start();
    const stopNiceImages =
      config.backgroundPriority === 'low' ? keepImageWorkersNice(IMAGE_WORKER_NICE) : () => undefined;
    const { app, requestLog } = createApp(engine, log);
    const server = await listen(app, config.port, config.host);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    return {
      engine,
      server,
      url,
      async stop() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        stopNiceImages();
        await requestLog.close();
        await engine.close();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
