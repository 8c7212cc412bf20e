import ExcelJS from 'exceljs';
import { CARD_STATUS_LABELS, type CardStatus } from '../cards/views.ts';
import { neutraliseFormula } from '../export/sheet-safety.ts';
import {
  RECORD_STATUS_LABELS,
  REPORT_CARD_STATUSES,
  REPORT_RECORD_STATUSES,
  type ReportCounts,
  type StatisticsReport,
} from './views.ts';

const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1B3D69' } };
const IMPORTANT_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFDECEA' } };
const TOTAL_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEEF1F5' } };
const THIN: Partial<ExcelJS.Border> = { style: 'thin', color: { argb: 'FFB9C2CE' } };
const BORDER: Partial<ExcelJS.Borders> = { top: THIN, left: THIN, bottom: THIN, right: THIN };
const NUMBER = '#,##0';
/** Excel reads an ID-like code as a number; these columns are text. */
const text = (v: string) => neutraliseFormula(v);

interface Column {
  header: string;
  width: number;
  numeric?: boolean;
}

/** Header row (styled, frozen, filterable) and the column widths and formats of one sheet. */
function sheet(
  book: ExcelJS.Workbook,
  name: string,
  title: string,
  columns: Column[],
  frozenColumns: number,
) {
  const ws = book.addWorksheet(name, {
    views: [{ state: 'frozen', xSplit: frozenColumns, ySplit: 2 }],
    properties: { defaultRowHeight: 18 },
  });
  ws.mergeCells(1, 1, 1, columns.length);
  const titleCell = ws.getCell(1, 1);
  titleCell.value = title;
  titleCell.font = { bold: true, size: 13 };
  ws.getRow(1).height = 22;
  const header = ws.getRow(2);
  columns.forEach((c, i) => {
    const cell = header.getCell(i + 1);
    cell.value = c.header;
    cell.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    cell.fill = HEADER_FILL;
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    cell.border = BORDER;
    ws.getColumn(i + 1).width = c.width;
    if (c.numeric) ws.getColumn(i + 1).numFmt = NUMBER;
  });
  header.height = 30;
  ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: columns.length } };
  return ws;
}

/**
 * A data row. Only important rows get a style of their own: styling every cell of ten thousand
 * unit lines doubles the time to build the workbook; the column formats and the grid do the rest.
 */
function addRow(
  ws: ExcelJS.Worksheet,
  values: (string | number | null)[],
  options: { important?: boolean } = {},
) {
  const row = ws.addRow(values);
  if (options.important) {
    row.eachCell({ includeEmpty: true }, (cell) => {
      cell.fill = IMPORTANT_FILL;
    });
    row.font = { bold: true, color: { argb: 'FFC62828' } };
  }
  return row;
}

/** A totals row: SUM formulas over the data rows (with their values cached, for readers that do not calculate). */
function totalsRow(
  ws: ExcelJS.Worksheet,
  label: string,
  labelColumns: number,
  values: number[],
  firstDataRow: number,
) {
  const lastDataRow = ws.rowCount;
  const row = ws.addRow([label]);
  values.forEach((v, i) => {
    const col = labelColumns + 1 + i;
    const letter = ws.getColumn(col).letter;
    row.getCell(col).value =
      lastDataRow >= firstDataRow
        ? { formula: `SUM(${letter}${firstDataRow}:${letter}${lastDataRow})`, result: v }
        : 0;
  });
  row.eachCell({ includeEmpty: true }, (cell) => {
    cell.font = { bold: true };
    cell.fill = TOTAL_FILL;
    cell.border = BORDER;
  });
}

const countColumns = (): Column[] => [
  ...REPORT_RECORD_STATUSES.map((s) => ({
    header: `记录·${RECORD_STATUS_LABELS[s]}`,
    width: 10,
    numeric: true,
  })),
  { header: '记录合计', width: 10, numeric: true },
  ...REPORT_CARD_STATUSES.map((s) => ({ header: `证件·${CARD_STATUS_LABELS[s]}`, width: 10, numeric: true })),
  { header: '证件合计', width: 10, numeric: true },
];
const countValues = (c: ReportCounts): number[] => [
  ...REPORT_RECORD_STATUSES.map((s) => c.records[s]),
  c.records.total,
  ...REPORT_CARD_STATUSES.map((s: CardStatus) => c.cards[s]),
  c.cards.total,
];

/**
 * The statistics report as a workbook: one sheet per report (card types, units, zones, daily
 * issuance), titled, header styled, frozen under the header and beside the key columns,
 * filterable, thousands separators, a totals row of SUM formulas, important card types in red.
 */
export async function statisticsWorkbook(report: StatisticsReport): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Tessera 制证平台';
  book.created = new Date(report.generatedAt);
  const typeName = new Map(report.cardTypes.map((t) => [t.code, t.name]));
  const important = new Set(report.cardTypes.filter((t) => t.important).map((t) => t.code));
  const scope = [
    report.filter.unit ? `单位 ${report.filter.unit}` : '',
    report.filter.cardType
      ? `证件类型 ${typeName.get(report.filter.cardType) ?? report.filter.cardType}`
      : '',
    report.filter.important ? '仅重要证件' : '',
  ]
    .filter(Boolean)
    .join('，');
  const title = (what: string) =>
    `${report.event.name} ${what}${scope ? `（${scope}）` : ''}  统计时间 ${new Date(report.generatedAt).toLocaleString('zh-CN', { timeZone: report.event.timezone, hour12: false })}`;

  // 1. Card types, important first, with the important ones' subtotal.
  const types = sheet(
    book,
    '证件类型汇总',
    title('证件类型汇总'),
    [{ header: '证件类型', width: 14 }, { header: '重要证件', width: 9 }, ...countColumns()],
    2,
  );
  for (const line of report.byCardType) {
    addRow(
      types,
      [
        text(typeName.get(line.cardType) ?? line.cardType),
        important.has(line.cardType) ? '是' : '否',
        ...countValues(line),
      ],
      {
        important: important.has(line.cardType),
      },
    );
  }
  totalsRow(types, '合计', 2, countValues(report.totals), 3);
  const sub = addRow(types, ['其中：重要证件', '', ...countValues(report.important)], { important: true });
  sub.getCell(1).font = { bold: true, italic: true, color: { argb: 'FFC62828' } };

  // 2. Units × card types.
  const units = sheet(
    book,
    '单位明细',
    title('单位明细'),
    [
      { header: '单位代码', width: 10 },
      { header: '单位名称', width: 28 },
      { header: '证件类型', width: 12 },
      ...countColumns(),
    ],
    3,
  );
  for (const line of report.byUnit) {
    addRow(
      units,
      [
        text(line.unit.code),
        text(line.unit.name),
        text(typeName.get(line.cardType) ?? line.cardType),
        ...countValues(line),
      ],
      {
        important: important.has(line.cardType),
      },
    );
  }
  totalsRow(units, '合计', 3, countValues(report.totals), 3);

  // 3. Access zones.
  const zoneTypes = report.cardTypes.map((t) => t.code);
  const zones = sheet(
    book,
    '通行区域',
    title('通行区域'),
    [
      { header: '区域代码', width: 9 },
      { header: '区域名称', width: 14 },
      ...REPORT_RECORD_STATUSES.map((s) => ({
        header: `记录·${RECORD_STATUS_LABELS[s]}`,
        width: 10,
        numeric: true,
      })),
      { header: '记录合计', width: 10, numeric: true },
      ...zoneTypes.map((c) => ({ header: `已通过·${typeName.get(c) ?? c}`, width: 12, numeric: true })),
    ],
    2,
  );
  for (const line of report.byZone) {
    addRow(zones, [
      text(line.zone.code),
      text(line.zone.name),
      ...REPORT_RECORD_STATUSES.map((s) => line.records[s]),
      line.records.total,
      ...zoneTypes.map((c) => line.approvedByCardType[c] ?? 0),
    ]);
  }
  zoneTypes.forEach((c, i) => {
    if (important.has(c))
      zones.getRow(2).getCell(2 + REPORT_RECORD_STATUSES.length + 2 + i).fill = {
        type: 'pattern',
        pattern: 'solid',
        fgColor: { argb: 'FFC62828' },
      };
  });

  // 4. Daily issuance.
  const daily = sheet(
    book,
    '每日发证',
    title('每日发证'),
    [
      { header: '日期', width: 12 },
      ...zoneTypes.map((c) => ({ header: typeName.get(c) ?? c, width: 11, numeric: true })),
      { header: '当日合计', width: 11, numeric: true },
    ],
    1,
  );
  zoneTypes.forEach((c, i) => {
    if (important.has(c))
      daily.getRow(2).getCell(2 + i).fill = {
        type: 'pattern',
        pattern: 'solid',
        fgColor: { argb: 'FFC62828' },
      };
  });
  for (const line of report.daily)
    addRow(daily, [line.day, ...zoneTypes.map((c) => line.byCardType[c] ?? 0), line.total]);
  totalsRow(
    daily,
    '合计',
    1,
    [
      ...zoneTypes.map((c) => report.daily.reduce((n, d) => n + (d.byCardType[c] ?? 0), 0)),
      report.daily.reduce((n, d) => n + d.total, 0),
    ],
    3,
  );

  return Buffer.from(await book.xlsx.writeBuffer());
}
