import type { Command } from 'commander';
import { loadConfig } from '../core/config.ts';
import { createEngine } from '../core/engine.ts';
import { TesseraError } from '../core/errors.ts';
import type { SeedProgress } from '../core/seed/seed.ts';

const PHASES: Record<SeedProgress['phase'], string> = {
  units: '单位',
  records: '记录',
  cards: '证件',
  history: '证件流转记录',
  analyze: '更新统计信息',
};

const count = (text: string, what: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TesseraError('invalid_option', `${what}应为非负整数，收到 "${text}"`);
  return n;
};

/** `tessera seed`: a realistic database for load tests and demos (core/seed). */
export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description('生成演示/压测数据：单位、人员（有效身份证号，加密存储）、车辆、审核状态、证件及其发放记录')
    .requiredOption('--persons <n>', '人员记录数，如 1000000')
    .option('--event <code>', '活动代码或插件代码', 'demo-expo')
    .option('--vehicles <n>', '车辆记录数', '0')
    .option('--units <n>', '单位数（默认每 500 条记录一个，至少 20 个）')
    .option('--seed <n>', '随机种子：相同种子和数量生成相同的数据')
    .option('--json', '结束时输出一个 JSON 结果')
    .action(
      async (options: {
        persons: string;
        event: string;
        vehicles: string;
        units?: string;
        seed?: string;
        json?: boolean;
      }) => {
        const persons = count(options.persons, '--persons ');
        const vehicles = count(options.vehicles, '--vehicles ');
        const units = options.units === undefined ? undefined : count(options.units, '--units ');
        const seedValue = options.seed === undefined ? undefined : count(options.seed, '--seed ');
        const engine = await createEngine(loadConfig(), { role: 'cli', loadPlugins: true });
        const started = Date.now();
        let lastLine = 0;
        try {
          const { seed } = await import('../core/seed/seed.ts');
          const result = await seed(engine, {
            event: options.event,
            persons,
            vehicles,
            units,
            seed: seedValue,
            onProgress: (p) => {
              // One line a second is enough to see it move (and keeps logs short).
              if (Date.now() - lastLine < 1000 && p.done !== p.total) return;
              lastLine = Date.now();
              const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
              console.error(
                `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${PHASES[p.phase]} ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')} (${pct}%)`,
              );
            },
          });
          if (options.json) console.log(JSON.stringify(result));
          else
            console.log(
              `已生成活动 ${result.event} 的数据：单位 ${result.units}，人员 ${result.persons}，车辆 ${result.vehicles}，证件 ${result.cards}（流转记录 ${result.history}），用时 ${(result.ms / 1000).toFixed(1)} s`,
            );
          process.exitCode = 0;
        } finally {
          await engine.close();
        }
      },
    );
}
