import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { QueryTypes } from 'sequelize';
import type { AuditLog } from '../../audit.ts';
import type { TesseraConfig } from '../../config.ts';
import type { Database } from '../../db/connection.ts';
import { TesseraError } from '../../errors.ts';
import type { PluginLoadResult } from '../../plugins/index.ts';
import { RENDER_ORIGIN } from '../../render/browser.ts';
import { fontFaceCss } from '../../render/fonts.ts';
import type { SharedRenderBrowser } from '../../render/shared.ts';
import type { Tasks, TaskView } from '../../tasks/tasks.ts';
import type { Backups } from '../backup/backups.ts';
import { CheckOutput, timeText, type Check, type InspectContext } from './check.ts';
import { backupsCheck } from './checks/backups.ts';
import { databaseCheck } from './checks/database.ts';
import { diskCheck } from './checks/disk.ts';
import { modulesCheck } from './checks/modules.ts';
import { requestsCheck } from './checks/requests.ts';
import { securityCheck } from './checks/security.ts';
import { REPORT_CSS, reportBody, reportHtml } from './html.ts';
import {
  SEVERITIES,
  type Finding,
  type InspectionReport,
  type InspectionSummary,
  type ReportSection,
} from './views.ts';

export const INSPECTION_TASK = 'inspection';

/** In report order: summary-worthy things (health, security) first. */
export const CHECKS: readonly Check[] = [
  modulesCheck,
  securityCheck,
  requestsCheck,
  databaseCheck,
  backupsCheck,
  diskCheck,
];

const ID_PATTERN = /^\d{8}T\d{9}Z$/;

export interface InspectionActor {
  id: number;
  username: string;
  ip?: string | undefined;
}

export interface InspectionResult {
  report: InspectionReport;
  /** Folder under `<data>/inspections` holding report.json, report.html and report.pdf. */
  dir: string;
  /** The PDF could not be made (no Chromium): the reason; the HTML is there regardless. */
  pdfError: string | null;
}

type Progress = (done: number, total: number, phase: string) => void;

const reportId = (at: Date) => at.toISOString().replace(/[-:.]/g, '');

/**
 * 巡检报告: runs every check, writes the report (JSON, HTML, PDF) under `<data>/inspections/<id>`
 * and keeps them as the history. Runs from the CLI (`tessera inspect`) or as a task from the UI.
 */
export class Inspections {
  constructor(
    private readonly config: TesseraConfig,
    private readonly db: Database,
    private readonly backups: Backups,
    private readonly tasks: Tasks,
    private readonly audit: AuditLog,
    private readonly renderer: SharedRenderBrowser,
    private readonly pluginLoad: () => readonly PluginLoadResult[],
  ) {}

  get dir(): string {
    return path.join(this.config.dataDir, 'inspections');
  }

  /** Runs the inspection here and waits for it; `outDir` gets a dated copy of the HTML and PDF too. */
  async run(
    options: { actor?: InspectionActor | null; progress?: Progress; outDir?: string } = {},
  ): Promise<InspectionResult> {
    const now = new Date();
    const ctx: InspectContext = {
      config: this.config,
      db: this.db,
      backups: this.backups,
      pluginLoad: this.pluginLoad(),
      now,
    };
    const total = CHECKS.length + 1;
    const sections: ReportSection[] = [];
    const findings: Finding[] = [];
    for (const [i, check] of CHECKS.entries()) {
      options.progress?.(i, total, check.title);
      const out = new CheckOutput();
      let failed = false;
      try {
        await check.run(ctx, out);
      } catch (error) {
        failed = true;
        out.find(
          '警告',
          `${check.title}未能完成`,
          (error as Error).message,
          '查看服务器输出中的错误；修复后重新巡检。',
        );
      }
      sections.push({
        id: check.id,
        title: check.title,
        facts: out.facts,
        tables: out.tables,
        ...(failed ? { failed } : {}),
      });
      findings.push(...out.findings.map((f) => ({ ...f, section: check.id })));
    }
    const order = (f: Finding) => SEVERITIES.indexOf(f.severity);
    findings.sort((a, b) => order(a) - order(b));
    const counts = { 严重: 0, 警告: 0, 提示: 0 };
    for (const f of findings) counts[f.severity]++;
    const finished = new Date();
    const report: InspectionReport = {
      id: reportId(now),
      createdAt: now.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - now.getTime(),
      host: os.hostname(),
      database: this.db.describe,
      status: counts.严重 ? '有严重问题' : counts.警告 ? '需关注' : '正常',
      counts,
      findings,
      sections,
      createdBy: options.actor?.username ?? null,
    };

    options.progress?.(CHECKS.length, total, '生成报告');
    const dir = path.join(this.dir, report.id);
    const partial = `${dir}.partial`;
    await fs.mkdir(partial, { recursive: true });
    const html = reportHtml(report);
    await fs.writeFile(path.join(partial, 'report.json'), JSON.stringify(report, null, 1));
    await fs.writeFile(path.join(partial, 'report.html'), html);
    let pdfError: string | null = null;
    try {
      await fs.writeFile(path.join(partial, 'report.pdf'), await this.pdf(report));
    } catch (error) {
      pdfError = (error as Error).message;
    }
    await fs.rename(partial, dir);
    if (options.outDir) {
      const out = path.resolve(options.outDir);
      await fs.mkdir(out, { recursive: true });
      const stem = `巡检报告-${report.id.slice(0, 8)}-${report.id.slice(9, 15)}`;
      await fs.copyFile(path.join(dir, 'report.html'), path.join(out, `${stem}.html`));
      if (!pdfError) await fs.copyFile(path.join(dir, 'report.pdf'), path.join(out, `${stem}.pdf`));
    }
    options.progress?.(total, total, '完成');
    if (options.actor) {
      await this.audit.record(
        'inspection',
        { userId: options.actor.id, username: options.actor.username, ip: options.actor.ip ?? null },
        { type: 'inspection', id: report.id },
        counts,
      );
    }
    return { report, dir, pdfError };
  }

  /** The report as PDF, with embedded fonts (the same Chromium that prints cards). */
  private async pdf(report: InspectionReport): Promise<Uint8Array> {
    const browser = await this.renderer.get();
    const fonts = await fontFaceCss(RENDER_ORIGIN, [400, 700]);
    const { pdf } = await browser.render({
      head: `${fonts}\n${REPORT_CSS}\nbody { font-family: "Noto Sans SC", sans-serif; }`,
      body: reportBody(report),
    });
    // The shell page is titled for cards; the document's own title is what a PDF reader lists.
    const doc = await PDFDocument.load(pdf);
    doc.setTitle(`Tessera 巡检报告 ${timeText(report.createdAt)}`);
    doc.setAuthor(report.createdBy ?? 'tessera inspect');
    doc.setCreationDate(new Date(report.createdAt));
    return doc.save();
  }

  /** Starts an inspection as a task the UI follows; one at a time. */
  async start(actor: InspectionActor): Promise<TaskView> {
    const running = await this.db.sequelize.query(
      `SELECT 1 FROM tasks WHERE type = :type AND status IN ('queued', 'running')
          AND heartbeat_at > now() - interval '60 seconds' LIMIT 1`,
      { type: QueryTypes.SELECT, replacements: { type: INSPECTION_TASK } },
    );
    if (running.length) throw new TesseraError('inspection_busy', '巡检正在进行，请等它完成', 409);
    return this.tasks.start({ type: INSPECTION_TASK, createdBy: actor.id }, async (task) => {
      const { report, pdfError } = await this.run({
        actor,
        progress: (done, total, phase) =>
          task.progress(done, total, phase, `${phase}（${done + 1}/${total}）`),
      });
      return { id: report.id, status: report.status, counts: report.counts, pdfError };
    });
  }

  /** Reports in the history, newest first. */
  async list(): Promise<InspectionSummary[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: InspectionSummary[] = [];
    for (const id of names.filter((n) => ID_PATTERN.test(n))) {
      const dir = path.join(this.dir, id);
      try {
        const report = JSON.parse(
          await fs.readFile(path.join(dir, 'report.json'), 'utf8'),
        ) as InspectionReport;
        const html = await fs.stat(path.join(dir, 'report.html'));
        const pdf = await fs.stat(path.join(dir, 'report.pdf')).catch(() => null);
        out.push({
          id,
          createdAt: report.createdAt,
          status: report.status,
          counts: report.counts,
          createdBy: report.createdBy,
          pdf: !!pdf,
          htmlBytes: html.size,
        });
      } catch {
        // A folder someone emptied by hand: not a report.
      }
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  async get(id: string): Promise<InspectionReport> {
    return JSON.parse(
      await fs.readFile(this.file(id, 'json'), 'utf8').catch(() => this.missing(id)),
    ) as InspectionReport;
  }

  /** Path of a stored report file; a made-up id never reaches the file system. */
  file(id: string, kind: 'html' | 'pdf' | 'json'): string {
    if (!ID_PATTERN.test(id)) this.missing(id);
    return path.join(this.dir, id, `report.${kind}`);
  }

  private missing(id: string): never {
    throw new TesseraError('inspection_not_found', `巡检报告 ${id} 不存在`, 404);
  }
}
