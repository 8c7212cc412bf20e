import { QueryTypes } from 'sequelize';
import type { TesseraConfig } from '../../config.ts';
import type { Database } from '../../db/connection.ts';
import type { PluginLoadResult } from '../../plugins/index.ts';
import type { Backups } from '../backup/backups.ts';
import type { Finding, ReportSection, ReportTable } from './views.ts';

/** What a check may look at: the engine's services, never the HTTP layer. */
export interface InspectContext {
  config: TesseraConfig;
  db: Database;
  backups: Backups;
  pluginLoad: readonly PluginLoadResult[];
  /** The moment the inspection started: every "age" is measured from it. */
  now: Date;
}

export type NewFinding = Omit<Finding, 'section'>;

/** A check fills its section and adds findings; a thrown error becomes a finding of its own. */
export class CheckOutput {
  readonly facts: ReportSection['facts'] = [];
  readonly tables: ReportTable[] = [];
  readonly findings: NewFinding[] = [];

  fact(label: string, value: string | number): void {
    this.facts.push({ label, value: String(value) });
  }

  table(title: string, columns: string[], rows: (string | number)[][]): void {
    if (rows.length) this.tables.push({ title, columns, rows });
  }

  find(severity: Finding['severity'], title: string, detail: string, advice: string): void {
    this.findings.push({ severity, title, detail, advice });
  }
}

export interface Check {
  id: string;
  title: string;
  run(ctx: InspectContext, out: CheckOutput): Promise<void>;
}

export async function select<T extends object>(
  db: Database,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<T[]> {
  return db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
}

export function bytesText(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${n < 0 ? '-' : ''}${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export const percentText = (ratio: number, digits = 1): string => `${(ratio * 100).toFixed(digits)}%`;

/** Ages in Chinese: 3 小时, 2 天 5 小时. */
export function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${Math.max(0, minutes)} 分钟`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} 小时`;
  return `${Math.floor(hours / 24)} 天 ${hours % 24} 小时`;
}

/** Local time as the office reads it (the server's time zone). */
export function timeText(value: Date | string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
