import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { BackupScheduler } from '../../core/ops/backup/scheduler.ts';
import { formatMicros, parseTime } from '../../core/ops/backup/time.ts';

const scheduler = (fullCron: string | null, incrementalCron: string | null) =>
  new BackupScheduler(
    { fullCron, incrementalCron },
    async () => undefined,
    () => undefined,
  );

describe('backup schedule', () => {
  it('defaults to weekly full (Sunday 02:30) and daily incremental (other days 02:30), switchable off', () => {
    expect(loadConfig({}).backup).toMatchObject({
      fullCron: '30 2 * * 0',
      incrementalCron: '30 2 * * 1-6',
      keepFull: 4,
      includeKeys: true,
      dir: undefined,
    });
    expect(loadConfig({ TESSERA_BACKUP_SCHEDULE: 'off' }).backup).toMatchObject({
      fullCron: null,
      incrementalCron: null,
    });
    expect(loadConfig({ TESSERA_BACKUP_INCREMENTAL_CRON: 'off' }).backup.incrementalCron).toBeNull();
    expect(loadConfig({ TESSERA_BACKUP_KEYS: 'exclude' }).backup.includeKeys).toBe(false);
    expect(() => loadConfig({ TESSERA_BACKUP_KEYS: 'maybe' })).toThrow(
      /TESSERA_BACKUP_KEYS="maybe"：只能是 include 或 exclude/,
    );
  });

  it('names the variable of a cron expression it cannot read', () => {
    expect(() => scheduler('every sunday', null)).toThrow(
      /TESSERA_BACKUP_FULL_CRON="every sunday" 不是有效的 cron 表达式/,
    );
  });

  it('makes up for a run missed while the server was down, full before incremental', () => {
    const s = scheduler('30 2 * * 0', '30 2 * * 1-6');
    const wednesdayNoon = new Date(2026, 0, 7, 12, 0); // 2026-01-07 is a Wednesday
    expect(s.missed({ full: null, any: null }, wednesdayNoon)?.kind).toBe('full');
    // Last full before Sunday 4 Jan 02:30: that full was missed.
    expect(
      s.missed({ full: new Date(2025, 11, 28, 2, 31), any: new Date(2026, 0, 3, 2, 31) }, wednesdayNoon),
    ).toEqual({
      kind: 'full',
      reason: '补做服务停机期间错过的全量备份',
    });
    // Full on Sunday, incrementals up to Tuesday: Wednesday 02:30 was missed.
    expect(
      s.missed({ full: new Date(2026, 0, 4, 2, 31), any: new Date(2026, 0, 6, 2, 31) }, wednesdayNoon)?.kind,
    ).toBe('incremental');
    expect(
      s.missed({ full: new Date(2026, 0, 4, 2, 31), any: new Date(2026, 0, 7, 2, 31) }, wednesdayNoon),
    ).toBeNull();
    expect(scheduler(null, null).missed({ full: null, any: null }, wednesdayNoon)).toBeNull();
  });
});

describe('backup times', () => {
  it('reads ISO times with an offset, Z, microseconds, or as local time', () => {
    expect(formatMicros(parseTime('2026-01-05T10:30:00+08:00'))).toBe('2026-01-05T02:30:00.000000Z');
    expect(formatMicros(parseTime('2026-01-05T02:30:00.123456Z'))).toBe('2026-01-05T02:30:00.123456Z');
    expect(parseTime('2026-01-05 10:30')).toBe(BigInt(new Date(2026, 0, 5, 10, 30).getTime()) * 1000n);
    expect(() => parseTime('yesterday')).toThrow(/无法识别的时间“yesterday”/);
  });
});
