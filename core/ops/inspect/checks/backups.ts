import { QueryTypes } from 'sequelize';
import { VERIFY_TASK } from '../../backup/backups.ts';
import type { VerifyReport } from '../../backup/verify.ts';
import { ageText, bytesText, timeText, type Check } from '../check.ts';
import { promises as fs } from 'node:fs';

const DAY = 86_400_000;

/** 备份: the newest backup's age, chain problems, the last verify, the schedule, where backups live. */
export const backupsCheck: Check = {
  id: 'backups',
  title: '备份',
  async run(ctx, out) {
    const overview = await ctx.backups.overview();
    const newest = overview.backups[0];
    const fulls = overview.backups.filter((b) => b.kind === 'full');
    out.fact('备份目录', overview.dir);
    out.fact(
      '备份数',
      `${overview.backups.length} 个（全量 ${fulls.length} 个），共 ${bytesText(overview.backups.reduce((s, b) => s + b.bytes, 0))}`,
    );
    out.fact(
      '计划',
      overview.schedule.fullCron || overview.schedule.incrementalCron
        ? `全量 ${overview.schedule.fullCron ?? '不做'}，增量 ${overview.schedule.incrementalCron ?? '不做'}`
        : '未启用计划备份',
    );
    out.table(
      '最近的备份',
      ['备份', '类型', '时间', '大小', '可用于恢复'],
      overview.backups
        .slice(0, 8)
        .map((b) => [
          b.id,
          b.kind === 'full' ? '全量' : `增量 #${b.sequence}`,
          timeText(b.createdAt),
          bytesText(b.bytes),
          b.usable ? '是' : '否',
        ]),
    );
    if (!newest) {
      out.find(
        '严重',
        '没有任何备份',
        `备份目录 ${overview.dir} 中没有备份。`,
        '在“系统备份”页面立即做一次全量备份，或运行 npx tessera backup full；确认计划备份已启用。',
      );
    } else {
      const age = ctx.now.getTime() - new Date(newest.createdAt).getTime();
      out.fact('最近一次备份', `${timeText(newest.createdAt)}（${ageText(age)}前）`);
      if (age > 7 * DAY) {
        out.find(
          '严重',
          `最近一次备份在 ${ageText(age)}前`,
          `最新的备份 ${newest.id} 已超过 7 天；此后的数据一旦丢失无法恢复。`,
          '立即做一次全量备份，并检查计划备份为何没有运行（服务是否长期停止、备份任务是否失败）。',
        );
      } else if (age > 2 * DAY) {
        out.find(
          '警告',
          `最近一次备份在 ${ageText(age)}前`,
          `最新的备份 ${newest.id}。计划备份应每天运行。`,
          '在“系统备份”页面查看最近的备份任务是否失败；必要时立即备份。',
        );
      }
    }
    for (const p of overview.problems) {
      out.find(
        '严重',
        `备份链问题：${p.backupId}`,
        p.message,
        '运行“校验全部备份”确认；问题链之后尽快做一次新的全量备份。',
      );
    }
    if (!overview.schedule.fullCron && !overview.schedule.incrementalCron) {
      out.find(
        '警告',
        '计划备份未启用',
        'TESSERA_BACKUP_SCHEDULE=off 或两个计划都为 off，只有手动备份。',
        '除非另有备份机制，请启用计划备份（默认每周日全量、其余每天增量）。',
      );
    }

    const [verify] = await ctx.db.sequelize.query<{
      status: string;
      result: VerifyReport | null;
      finished_at: Date | null;
      error: { message: string } | null;
    }>(
      `SELECT status, result, finished_at, error FROM tasks WHERE type = :type AND status NOT IN ('queued', 'running')
        ORDER BY created_at DESC LIMIT 1`,
      { type: QueryTypes.SELECT, replacements: { type: VERIFY_TASK } },
    );
    if (!verify) {
      out.fact('最近一次校验', '从未校验');
      if (newest)
        out.find(
          '提示',
          '备份从未校验',
          '没有“校验全部备份”的记录：备份文件损坏只有在恢复时才会发现。',
          '在“系统备份”页面运行“校验全部备份”，之后每月至少一次。',
        );
    } else {
      const ok = verify.status === 'succeeded' && verify.result?.ok === true;
      out.fact('最近一次校验', `${timeText(verify.finished_at)}，${ok ? '全部无误' : '发现问题'}`);
      if (!ok) {
        const problems =
          verify.result?.problems
            .map((p) => p.message)
            .slice(0, 5)
            .join('；') ??
          verify.error?.message ??
          verify.status;
        out.find(
          '严重',
          '最近一次备份校验发现问题',
          problems,
          '按提示处理损坏或缺失的备份，然后立即做一次新的全量备份并再次校验。',
        );
      } else if (verify.finished_at && ctx.now.getTime() - verify.finished_at.getTime() > 30 * DAY) {
        out.find(
          '提示',
          '备份超过 30 天未校验',
          `最近一次校验在 ${timeText(verify.finished_at)}。`,
          '在“系统备份”页面运行“校验全部备份”。',
        );
      }
    }

    const [dataStat, backupStat] = await Promise.all([
      fs.stat(ctx.config.dataDir).catch(() => null),
      fs.stat(overview.dir).catch(() => null),
    ]);
    if (dataStat && backupStat && dataStat.dev === backupStat.dev) {
      out.find(
        '提示',
        '备份与数据在同一块磁盘上',
        `备份目录 ${overview.dir} 与数据目录在同一文件系统：磁盘损坏时两者一起丢失。`,
        '设置 TESSERA_BACKUP_DIR 指向另一块磁盘或挂载的 NAS。',
      );
    }
  },
};
