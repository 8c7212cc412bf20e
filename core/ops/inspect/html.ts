import { SEVERITIES, type InspectionReport, type ReportSection, type Severity } from './views.ts';
import { timeText } from './check.ts';

// The report as HTML: Chinese, summary first, print-friendly (A4, no colour needed to read it).
// The same markup is the page admins open and, with the embedded fonts, the PDF.

const esc = (s: string | number) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const SEVERITY_CLASS: Record<Severity, string> = { 严重: 'sev-high', 警告: 'sev-mid', 提示: 'sev-low' };

export const REPORT_CSS = `
@page { size: A4; margin: 14mm 12mm 16mm; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans SC", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 10pt; line-height: 1.5; color: #1d232a; background: #fff; }
.report { max-width: 190mm; margin: 0 auto; padding: 6mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; padding-bottom: 1mm; border-bottom: 1.5px solid #1d232a; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; }
.meta { color: #4a545e; margin: 0 0 4mm; }
.meta span { margin-right: 6mm; white-space: nowrap; }
.verdict { display: flex; gap: 4mm; align-items: stretch; margin: 3mm 0 4mm; }
.verdict .status { flex: 0 0 auto; padding: 2mm 5mm; border: 2px solid currentColor; font-size: 14pt; font-weight: 700; }
.status-ok { color: #1e6b34; } .status-warn { color: #a35200; } .status-bad { color: #b3261e; }
.count { flex: 1; padding: 2mm 3mm; border: 1px solid #c9d0d7; }
.count b { font-size: 16pt; line-height: 1.3; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0 3mm; font-size: 9pt; }
th, td { border: 1px solid #c9d0d7; padding: 1mm 1.6mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eef1f4; font-weight: 600; }
tr { break-inside: avoid; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sev { display: inline-block; min-width: 3em; padding: 0 1.5mm; border: 1px solid currentColor; font-weight: 700; text-align: center; white-space: nowrap; }
.sev-high { color: #b3261e; } .sev-mid { color: #a35200; } .sev-low { color: #1f5fa8; }
.findings th:nth-child(1) { width: 4.6em; } .findings th:nth-child(2) { width: 25%; } .findings th:nth-child(3) { width: 36%; }
td.state-bad { color: #b3261e; font-weight: 700; }
.advice { color: #2d5a2f; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.6mm 5mm; margin: 1mm 0 2mm; }
.facts dt { color: #4a545e; } .facts dd { margin: 0; }
.none { color: #4a545e; }
.failed { color: #b3261e; }
footer { margin-top: 8mm; color: #6b747d; font-size: 8.5pt; border-top: 1px solid #c9d0d7; padding-top: 2mm; }
@media screen { body { background: #f3f5f7; } .report { background: #fff; padding: 10mm 12mm; margin: 6mm auto; box-shadow: 0 1px 4px rgba(0,0,0,.12); } }
`;

function section(s: ReportSection): string {
  const facts = s.facts.length
    ? `<dl class="facts">${s.facts.map((f) => `<dt>${esc(f.label)}</dt><dd>${esc(f.value)}</dd>`).join('')}</dl>`
    : '';
  const tables = s.tables
    .map(
      (t) =>
        `<h3>${esc(t.title)}</h3><table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map(
            (r) =>
              `<tr>${r.map((v) => `<td${typeof v === 'number' ? ' class="num"' : v === '异常' ? ' class="state-bad"' : ''}>${esc(v)}</td>`).join('')}</tr>`,
          )
          .join('')}</tbody></table>`,
    )
    .join('');
  return `<section id="sec-${esc(s.id)}"><h2>${esc(s.title)}${s.failed ? ' <span class="failed">（检查未完成）</span>' : ''}</h2>${facts}${tables}</section>`;
}

/** The report's body (without <html>/<head>): for the PDF renderer, which supplies the head. */
export function reportBody(r: InspectionReport): string {
  const statusClass =
    r.status === '正常' ? 'status-ok' : r.status === '需关注' ? 'status-warn' : 'status-bad';
  const findings = r.findings.length
    ? `<table class="findings"><thead><tr><th>级别</th><th>问题</th><th>说明</th><th>建议</th></tr></thead><tbody>${r.findings
        .map(
          (f) =>
            `<tr class="finding" data-severity="${esc(f.severity)}"><td><span class="sev ${SEVERITY_CLASS[f.severity]}">${esc(f.severity)}</span></td><td><b>${esc(f.title)}</b><br><span class="none">${esc(
              r.sections.find((s) => s.id === f.section)?.title ?? f.section,
            )}</span></td><td>${esc(f.detail)}</td><td class="advice">${esc(f.advice)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="none">未发现问题。</p>';
  return `<main class="report">
<h1>Tessera 系统巡检报告</h1>
<p class="meta"><span>巡检时间：${esc(timeText(r.createdAt))}</span><span>耗时：${(r.durationMs / 1000).toFixed(1)} 秒</span><span>主机：${esc(r.host)}</span><span>执行人：${esc(r.createdBy ?? '命令行')}</span><span>编号：${esc(r.id)}</span></p>
<h2>总体结论</h2>
<div class="verdict"><div class="status ${statusClass}">${esc(r.status)}</div>${SEVERITIES.map(
    (s) =>
      `<div class="count"><span class="sev ${SEVERITY_CLASS[s]}">${s}</span><div><b>${r.counts[s]}</b> 项</div></div>`,
  ).join('')}</div>
<h2>发现的问题与建议</h2>
${findings}
${r.sections.map(section).join('\n')}
<footer>数据库：${esc(r.database)}。本报告由 Tessera 自动生成；“严重”须立即处理，“警告”应在一周内处理，“提示”供参考。</footer>
</main>`;
}

/** The standalone page (system fonts), what “打开报告” shows and what is stored as report.html. */
export function reportHtml(r: InspectionReport): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>巡检报告 ${esc(timeText(r.createdAt))}</title><style>${REPORT_CSS}</style></head><body>${reportBody(r)}</body></html>`;
}
