import { promises as fs } from 'node:fs';
import path from 'node:path';
import { backupDir } from '../../../config.ts';
import { logsDir } from '../../logs/files.ts';
import { bytesText, percentText, type Check } from '../check.ts';

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await fs.stat(p).catch(() => null))?.size ?? 0;
  }
  return total;
}

/** 磁盘空间: free space where the data, the backups and the logs are written. */
export const diskCheck: Check = {
  id: 'disk',
  title: '磁盘空间',
  async run(ctx, out) {
    const places = [
      ['数据目录', ctx.config.dataDir],
      ['备份目录', backupDir(ctx.config)],
      ['日志目录', logsDir(ctx.config.dataDir)],
    ] as const;
    const seen = new Map<string, string>();
    const rows: (string | number)[][] = [];
    for (const [name, dir] of places) {
      // The backup folder may not exist yet: measure the disk it would be created on.
      let probe = dir;
      while (!(await fs.stat(probe).catch(() => null)) && path.dirname(probe) !== probe)
        probe = path.dirname(probe);
      const s = await fs.statfs(probe);
      const total = s.blocks * s.bsize;
      const free = s.bavail * s.bsize;
      const ratio = total ? free / total : 1;
      rows.push([name, dir, bytesText(total), bytesText(free), percentText(ratio, 0)]);
      const key = `${s.blocks}:${s.bfree}:${s.bsize}`;
      if (seen.has(key)) continue; // the same disk: one finding is enough
      seen.set(key, name);
      if (ratio < 0.1 || free < 2 * 1024 ** 3) {
        out.find(
          '严重',
          `${name}所在磁盘仅剩 ${bytesText(free)}（${percentText(ratio, 0)}）`,
          `${dir}：磁盘写满后导入、照片、备份和数据库都会失败。`,
          '立即清理或扩容；旧备份可按 TESSERA_BACKUP_KEEP_FULL 自动删除，旧日志按 TESSERA_LOG_KEEP 保留。',
        );
      } else if (ratio < 0.2) {
        out.find(
          '警告',
          `${name}所在磁盘剩余 ${percentText(ratio, 0)}`,
          `${dir}：剩余 ${bytesText(free)}。`,
          '安排清理或扩容。',
        );
      }
    }
    out.table('磁盘', ['用途', '目录', '容量', '可用', '可用比例'], rows);
    out.fact('照片与文件存储', bytesText(await folderBytes(path.join(ctx.config.dataDir, 'blobs'))));
    out.fact('运行日志', bytesText(await folderBytes(logsDir(ctx.config.dataDir))));
  },
};
