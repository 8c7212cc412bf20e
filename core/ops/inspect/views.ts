// The inspection report (巡检报告) as the API, the designer and the HTML/PDF see it: plain types,
// imported by the designer too (types and one constant, nothing else at run time).

export type Severity = '严重' | '警告' | '提示';

export const SEVERITIES: readonly Severity[] = ['严重', '警告', '提示'];

/** Something worth acting on, with what to do about it. */
export interface Finding {
  severity: Severity;
  title: string;
  detail: string;
  advice: string;
  /** The section (check) that found it. */
  section: string;
}

/** A small table in a section (slow routes, big tables, admin accounts …). */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** One check's part of the report: what it measured, in label/value pairs and tables. */
export interface ReportSection {
  id: string;
  title: string;
  facts: { label: string; value: string }[];
  tables: ReportTable[];
  /** The check itself failed (its finding says why); the report still has the other checks. */
  failed?: boolean;
}

export interface InspectionReport {
  /** Also the folder name under `<data>/inspections`, e.g. 20261129T070102Z. */
  id: string;
  createdAt: string;
  finishedAt: string;
  durationMs: number;
  host: string;
  database: string;
  /** Overall verdict from the worst finding. */
  status: '正常' | '需关注' | '有严重问题';
  counts: Record<Severity, number>;
  /** Most severe first. */
  findings: Finding[];
  sections: ReportSection[];
  createdBy: string | null;
}

/** One report in the history list. */
export interface InspectionSummary {
  id: string;
  createdAt: string;
  status: InspectionReport['status'];
  counts: Record<Severity, number>;
  createdBy: string | null;
  /** Whether the PDF was made (no Chromium: the HTML only). */
  pdf: boolean;
  htmlBytes: number;
}
