import { statfs } from 'node:fs/promises';
import {
  ageText,
  bytesText,
  percentText,
  select,
  timeText,
  type Check,
  type InspectContext,
} from '../check.ts';

const DAY = 86_400_000;

/** Sizes now, recorded for the next inspection's growth figures. */
async function recordSizes(
  ctx: InspectContext,
): Promise<{ database: number; tables: { name: string; bytes: number; rows: number }[] }> {
  const [db] = await select<{ bytes: string }>(
    ctx.db,
    'SELECT pg_database_size(current_database()) AS bytes',
  );
  const tables = await select<{ name: string; bytes: string; rows: string }>(
    ctx.db,
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes, greatest(c.reltuples, 0)::bigint AS rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  const sizes = {
    database: Number(db?.bytes ?? 0),
    tables: tables.map((t) => ({ name: t.name, bytes: Number(t.bytes), rows: Number(t.rows) })),
  };
  const at = ctx.now;
  await ctx.db.sequelize.query(
    `INSERT INTO ops_size_history (taken_at, relation, bytes, rows_estimate)
     SELECT :at, x.relation, x.bytes, x.rows FROM jsonb_to_recordset(:rows::jsonb) AS x(relation text, bytes bigint, rows bigint)
     ON CONFLICT DO NOTHING`,
    {
      replacements: {
        at,
        rows: JSON.stringify([
          { relation: '', bytes: sizes.database, rows: null },
          ...sizes.tables.map((t) => ({ relation: t.name, bytes: t.bytes, rows: t.rows })),
        ]),
      },
    },
  );
  return sizes;
}

/** 数据库: cache hits, sequential scans, indexes, bloat, long queries, connections, size growth. */
export const databaseCheck: Check = {
  id: 'database',
  title: '数据库',
  async run(ctx, out) {
    const [stat] = await select<{
      hit: string;
      read: string;
      stats_reset: Date | null;
      xact_rollback: string;
      xact_commit: string;
      deadlocks: string;
      temp_bytes: string;
    }>(
      ctx.db,
      `SELECT blks_hit AS hit, blks_read AS read, stats_reset, xact_commit, xact_rollback, deadlocks, temp_bytes
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const hit = Number(stat?.hit ?? 0);
    const read = Number(stat?.read ?? 0);
    const ratio = hit + read > 0 ? hit / (hit + read) : 1;
    out.fact('缓存命中率', `${percentText(ratio, 2)}（读取 ${hit + read} 块）`);
    out.fact('统计起点', stat?.stats_reset ? timeText(stat.stats_reset) : '数据库创建时');
    out.fact('死锁', `${stat?.deadlocks ?? 0} 次`);
    out.fact('临时文件', bytesText(Number(stat?.temp_bytes ?? 0)));
    if (hit + read > 100_000 && ratio < 0.95) {
      out.find(
        '警告',
        `数据库缓存命中率 ${percentText(ratio, 1)}`,
        '低于 95%：常用数据放不进内存，查询要读磁盘。',
        '增大 PostgreSQL 的 shared_buffers（一般为内存的 25%），或为服务器增加内存；并检查下方顺序扫描多的表。',
      );
    } else if (hit + read > 100_000 && ratio < 0.99) {
      out.find(
        '提示',
        `数据库缓存命中率 ${percentText(ratio, 1)}`,
        '略低于 99%。',
        '数据继续增长时考虑增大 shared_buffers。',
      );
    }

    const seq = await select<{
      name: string;
      seq_scan: string;
      seq_tup_read: string;
      idx_scan: string | null;
      live: string;
    }>(
      ctx.db,
      `SELECT relname AS name, seq_scan, seq_tup_read, idx_scan, n_live_tup AS live FROM pg_stat_user_tables
        WHERE schemaname = 'public' AND seq_scan > 100 AND n_live_tup > 10000
          AND seq_tup_read / greatest(seq_scan, 1) > 5000
        ORDER BY seq_tup_read DESC LIMIT 10`,
    );
    out.table(
      '顺序扫描多的表',
      ['表', '顺序扫描', '平均每次读取行', '索引扫描', '行数'],
      seq.map((t) => [
        t.name,
        Number(t.seq_scan),
        Math.round(Number(t.seq_tup_read) / Number(t.seq_scan)),
        Number(t.idx_scan ?? 0),
        Number(t.live),
      ]),
    );
    if (seq.length) {
      out.find(
        '警告',
        `${seq.length} 张大表经常被整表扫描`,
        seq
          .map(
            (t) =>
              `${t.name}（${t.seq_scan} 次，每次约 ${Math.round(Number(t.seq_tup_read) / Number(t.seq_scan))} 行）`,
          )
          .join('；'),
        '在运行日志中找出慢接口，用 EXPLAIN 查看其查询，为筛选条件加索引。',
      );
    }

    const unused = await select<{ index: string; table: string; bytes: string }>(
      ctx.db,
      `SELECT s.indexrelname AS index, s.relname AS table, pg_relation_size(s.indexrelid) AS bytes
         FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE s.schemaname = 'public' AND s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
          AND pg_relation_size(s.indexrelid) > 1048576
        ORDER BY pg_relation_size(s.indexrelid) DESC LIMIT 15`,
    );
    out.table(
      '未使用的索引（自统计起点从未扫描，>1 MB）',
      ['索引', '表', '大小'],
      unused.map((u) => [u.index, u.table, bytesText(Number(u.bytes))]),
    );
    if (unused.length) {
      const total = unused.reduce((s, u) => s + Number(u.bytes), 0);
      out.find(
        '提示',
        `${unused.length} 个索引从未被使用`,
        `共 ${bytesText(total)}：${unused.map((u) => u.index).join('、')}。它们拖慢写入、占用空间。`,
        '统计起点较近时先观察一段时间；确认不需要（例如不是月度报表才用）后再删除。',
      );
    }

    const missing = await select<{ table: string; constraint: string; columns: string }>(
      ctx.db,
      `SELECT c.conrelid::regclass::text AS table, c.conname AS constraint,
              (SELECT string_agg(a.attname, ', ') FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) AS columns
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE c.contype = 'f' AND n.nspname = 'public' AND t.reltuples > 10000
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid
                            AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] @> c.conkey)
        ORDER BY t.reltuples DESC LIMIT 15`,
    );
    out.table(
      '可能缺失的索引（外键列无索引的大表）',
      ['表', '外键', '列'],
      missing.map((m) => [m.table, m.constraint, m.columns]),
    );
    if (missing.length) {
      out.find(
        '提示',
        `${missing.length} 个外键列没有索引`,
        missing.map((m) => `${m.table}(${m.columns})`).join('；'),
        '按这些列查询或删除被引用的行时会整表扫描；确有此类查询时为其建索引。',
      );
    }

    const bloat = await select<{ name: string; live: string; dead: string; last_vacuum: Date | null }>(
      ctx.db,
      `SELECT relname AS name, n_live_tup AS live, n_dead_tup AS dead, greatest(last_vacuum, last_autovacuum) AS last_vacuum
         FROM pg_stat_user_tables WHERE schemaname = 'public' AND n_dead_tup > 10000
          AND n_dead_tup > 0.2 * (n_live_tup + n_dead_tup) ORDER BY n_dead_tup DESC LIMIT 10`,
    );
    out.table(
      '膨胀的表（死行 > 20%）',
      ['表', '有效行', '死行', '最近清理'],
      bloat.map((b) => [b.name, Number(b.live), Number(b.dead), timeText(b.last_vacuum)]),
    );
    if (bloat.length) {
      out.find(
        '警告',
        `${bloat.length} 张表膨胀`,
        bloat.map((b) => `${b.name}：死行 ${b.dead}，有效行 ${b.live}`).join('；'),
        '确认自动清理 (autovacuum) 未被长事务阻塞；业务低峰时执行 VACUUM (ANALYZE) 表名。',
      );
    }

    const long = await select<{
      pid: number;
      state: string;
      seconds: string;
      query: string;
      application_name: string;
    }>(
      ctx.db,
      `SELECT pid, state, extract(epoch FROM now() - coalesce(xact_start, query_start))::int AS seconds, left(query, 200) AS query, application_name
         FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
          AND now() - coalesce(xact_start, query_start) > interval '5 minutes'
        ORDER BY seconds DESC LIMIT 10`,
    );
    out.table(
      '长查询与长事务（> 5 分钟）',
      ['进程', '状态', '持续', 'SQL'],
      long.map((l) => [l.pid, l.state, ageText(Number(l.seconds) * 1000), l.query]),
    );
    if (long.length) {
      out.find(
        '警告',
        `${long.length} 个查询或事务已运行 5 分钟以上`,
        long.map((l) => `进程 ${l.pid}（${l.state}，${ageText(Number(l.seconds) * 1000)}）`).join('；'),
        '长事务阻止清理、占用连接；确认是否为正在进行的备份或导入，否则用 SELECT pg_cancel_backend(进程) 取消。',
      );
    }

    const [conn] = await select<{ used: string; max: string; mine: string; idle_tx: string }>(
      ctx.db,
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
              current_setting('max_connections') AS max,
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS mine,
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%') AS idle_tx`,
    );
    const used = Number(conn?.used ?? 0);
    const max = Number(conn?.max ?? 100);
    out.fact('连接', `${used} / ${max}（本库 ${conn?.mine ?? 0}，事务中空闲 ${conn?.idle_tx ?? 0}）`);
    if (used / max > 0.8) {
      out.find(
        '严重',
        `数据库连接已用 ${percentText(used / max, 0)}`,
        `${used} / ${max}：连接用尽后新请求会失败。`,
        '检查是否有连接泄漏或过多进程；必要时增大 max_connections 或使用连接池 (PgBouncer)。',
      );
    } else if (used / max > 0.6) {
      out.find(
        '警告',
        `数据库连接已用 ${percentText(used / max, 0)}`,
        `${used} / ${max}。`,
        '留意连接数增长；每个服务进程最多使用 20 个连接。',
      );
    }

    const sizes = await recordSizes(ctx);
    out.fact('数据库大小', bytesText(sizes.database));
    const earlier = await select<{ taken_at: Date; relation: string; bytes: string }>(
      ctx.db,
      `SELECT taken_at, relation, bytes FROM ops_size_history
        WHERE taken_at = (SELECT min(taken_at) FROM ops_size_history WHERE taken_at > :since AND taken_at < :before)`,
      { since: new Date(ctx.now.getTime() - 30 * DAY), before: new Date(ctx.now.getTime() - 3_600_000) },
    );
    const base = earlier.find((e) => e.relation === '');
    const growthRows = sizes.tables.slice(0, 12).map((t) => {
      const then = earlier.find((e) => e.relation === t.name);
      return [t.name, t.rows, bytesText(t.bytes), then ? bytesText(t.bytes - Number(then.bytes)) : '—'];
    });
    out.table(
      `最大的表${base ? `（增长自 ${timeText(base.taken_at)} 起）` : ''}`,
      ['表', '估计行数', '大小', '增长'],
      growthRows,
    );
    if (!base) {
      out.fact('增长', '首次记录大小，下次巡检起可计算增长');
      return;
    }
    const days = (ctx.now.getTime() - base.taken_at.getTime()) / DAY;
    const perDay = (sizes.database - Number(base.bytes)) / days;
    out.fact(
      '增长',
      `${bytesText(sizes.database - Number(base.bytes))}（${days.toFixed(1)} 天，约 ${bytesText(perDay)}/天）`,
    );
    if (perDay > 0 && ctx.db.embedded) {
      const disk = await statfs(ctx.config.dataDir);
      const free = disk.bavail * disk.bsize;
      const daysLeft = free / perDay;
      out.fact('按此增长磁盘可用', `约 ${Math.floor(daysLeft)} 天`);
      if (daysLeft < 30) {
        out.find(
          '严重',
          `按当前增长，约 ${Math.floor(daysLeft)} 天后磁盘写满`,
          `数据库每天约增长 ${bytesText(perDay)}，数据盘剩余 ${bytesText(free)}。`,
          '尽快扩容数据盘，或清理旧的导入原件、旧活动数据。',
        );
      } else if (daysLeft < 90) {
        out.find(
          '警告',
          `按当前增长，约 ${Math.floor(daysLeft)} 天后磁盘写满`,
          `数据库每天约增长 ${bytesText(perDay)}，数据盘剩余 ${bytesText(free)}。`,
          '安排扩容数据盘。',
        );
      }
    }
  },
};
