import ExcelJS from 'exceljs';
import type { LoadedPlugin } from '../plugins/validate.ts';
import { fieldRule } from '../validation/fields.ts';
import {
  fieldChoices,
  onlyChoice,
  suggestProfile,
  TEMPLATE_META_SHEET,
  templateMetaRows,
  type Choice,
  type EventChoices,
  type MappingFieldLike,
  type MappingFormLike,
  type TemplateMeta,
} from './mapping.ts';

/**
 * The Excel collection template of an event and record kind (server-side: exceljs), generated
 * from its form, so that what units send back maps onto the form with no manual mapping:
 *   sheet 1   title, notes, header row of field labels (required ones marked * and red), text
 *             format on ID number / mobile / plate columns for the data rows (Excel must never
 *             turn an ID number into a number), drop-downs for choices, date format on dates;
 *   填表说明   one row per field: required, allowed values, format, example;
 *   选项       (very hidden) option lists too long for an inline drop-down;
 *   _tessera  (very hidden) event, kind, plugin version, the column → field keys and the
 *             template's own mapping profile (see readTemplateMeta in mapping.ts).
 * The header labels are the form's labels (照片文件名 for the photo), which suggestProfile
 * recognises exactly (confidence 1) even when the `_tessera` sheet is lost on the way.
 */

/** Data rows prepared (text format, drop-downs): more than any unit sends in one sheet. */
export const TEMPLATE_DATA_ROWS = 2000;
const TITLE_ROW = 1;
const NOTES_ROW = 2;
export const TEMPLATE_HEADER_ROW = 3;
/** Excel's limit for an inline list (`"男,女"`) in a data validation. */
const INLINE_LIST_LIMIT = 255;
const OPTIONS_SHEET = '选项';
const INSTRUCTIONS_SHEET = '填表说明';

const RED = 'FFC0392B';
const REQUIRED_FILL = 'FFFDE2E1';
const HEADER_FILL = 'FFE8EEF5';

export interface TemplateColumn {
  field: string;
  /** Header text as written (label, `*` when required). */
  header: string;
  label: string;
  required: boolean;
  widget: string;
  /** Options of a choice field (display texts are what the drop-down offers). */
  choices: Choice[] | null;
  /** Several values allowed in one cell (zones). */
  multiple: boolean;
  /** Cell format of the data rows: `@` text, a date format, or undefined for General. */
  numFmt?: string;
  width: number;
}

export interface TemplatePlan {
  sheetName: string;
  title: string;
  columns: TemplateColumn[];
  /** Required fields with a single possible value, left out of the sheet and fixed in the mapping. */
  fixed: Record<string, string>;
}

/** Excel sheet names: at most 31 characters, none of : \ / ? * [ ]. */
function sheetName(text: string): string {
  return text.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31) || 'Sheet1';
}

function eventChoices(plugin: LoadedPlugin): EventChoices {
  return { cardTypes: plugin.cardTypes, zones: plugin.manifest.event.zones };
}

function widthOf(key: string, field: MappingFieldLike, header: string): number {
  const rule = fieldRule(field);
  const byKind =
    rule === 'id-number' || key === 'idNumber' || key === 'driverIdNumber'
      ? 22
      : rule === 'mobile'
        ? 15
        : rule === 'date'
          ? 13
          : rule === 'plate'
            ? 12
            : field['x-widget'] === 'photo'
              ? 26
              : field['x-widget'] === 'textarea' || key === 'organization'
                ? 30
                : 12;
  // CJK characters are about two Excel width units.
  const headerWidth = [...header].reduce((w, ch) => w + (ch.charCodeAt(0) > 0xff ? 2 : 1), 0) + 4;
  return Math.max(byKind, headerWidth);
}

/** The template's columns: every form field in form order, read-only ones and single-choice required ones aside. */
export function templatePlan(plugin: LoadedPlugin, kind: string): TemplatePlan {
  const form = plugin.forms[kind] as MappingFormLike | undefined;
  if (!form) throw new Error(`插件 ${plugin.code} 没有“${kind}”类表单`);
  const event = eventChoices(plugin);
  const required = new Set(form.required ?? []);
  const columns: TemplateColumn[] = [];
  const fixed: Record<string, string> = {};
  for (const [key, field] of Object.entries(form.properties)) {
    if (!field || field.readOnly) continue;
    const widget = field['x-widget'] ?? 'text';
    const isPhoto = widget === 'photo';
    const only = required.has(key) ? onlyChoice(field, kind, event) : undefined;
    if (only !== undefined) {
      // Nothing to choose: asking every row for it only invites typos.
      fixed[key] = only;
      continue;
    }
    const label = isPhoto ? '照片文件名' : (field['x-label'] ?? key);
    // Photos arrive in the zip (named by ID number) or pasted in the sheet; the column is optional.
    const isRequired = required.has(key) && !isPhoto;
    const header = isRequired ? `${label}*` : label;
    const rule = fieldRule(field);
    const isNumber = (field.type === 'number' || field.type === 'integer') && !field.enum && !field.oneOf;
    columns.push({
      field: key,
      header,
      label,
      required: isRequired,
      widget,
      choices: fieldChoices(field, kind, event),
      multiple: field.type === 'array' || widget === 'zones',
      ...(rule === 'date'
        ? { numFmt: 'yyyy-mm-dd' }
        : isNumber || field.type === 'boolean'
          ? {}
          : { numFmt: '@' }),
      width: widthOf(key, field, header),
    });
  }
  const kindLabel =
    plugin.manifest.recordKinds.find((k) => k.kind === kind)?.label ?? form['x-label'] ?? kind;
  return {
    sheetName: sheetName(form['x-label'] ?? `${kindLabel}信息`),
    title: `${plugin.manifest.event.name}${kindLabel}证件申报表`,
    columns,
    fixed,
  };
}

function colLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** exceljs writes range validations (`B4:B2003`) as one entry, but its typings only show per-cell ones. */
function addValidation(ws: ExcelJS.Worksheet, range: string, dv: ExcelJS.DataValidation): void {
  (
    ws as unknown as { dataValidations: { add(a: string, v: ExcelJS.DataValidation): void } }
  ).dataValidations.add(range, dv);
}

/**
 * Length of an inline list as counted against Excel's limit, CJK characters as two: Excel
 * versions differ on whether the limit is in characters or bytes, and a list over it makes Excel
 * "repair" (drop) the validation, so the safe count decides.
 */
function excelLength(text: string): number {
  return [...text].reduce((n, ch) => n + (ch.charCodeAt(0) > 0xff ? 2 : 1), 0);
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function notesText(plan: TemplatePlan, plugin: LoadedPlugin, kind: string): string {
  const form = plugin.forms[kind]!;
  const hasPhoto = plan.columns.some((c) => c.widget === 'photo');
  const idColumn = plan.columns.find((c) => fieldRule(form.properties[c.field] ?? {}) === 'id-number');
  const lines = [
    '填表说明：1. 带 * 的红色列为必填；有下拉箭头的列请从列表中选择；日期按 1990-03-07 填写。',
    '2. 证件号码、手机号码等列已设为“文本”格式，请直接输入；粘贴时请用“选择性粘贴→数值”，不要改成数字格式，否则证件号码后几位会丢失。',
  ];
  if (hasPhoto) {
    const by = idColumn
      ? `以${idColumn.label}命名（如 11010519491231002X.jpg）`
      : '在“照片文件名”列填写文件名';
    lines.push(`3. 照片请${by}，与本表一起打包为 zip 上传；文件名不同时在“照片文件名”列填写。`);
  }
  lines.push(
    `${lines.length + 1}. 请勿修改表头、勿增删列；每人一行，从第 ${TEMPLATE_HEADER_ROW + 1} 行起填写。详见“填表说明”工作表。`,
  );
  return lines.join('\n');
}

function example(key: string, field: MappingFieldLike, col: TemplateColumn): string {
  const declared = field.examples?.[0];
  if (typeof declared === 'string' || typeof declared === 'number') return String(declared);
  if (col.choices?.length)
    return col.multiple
      ? col.choices
          .slice(0, 2)
          .map((c) => c.title)
          .join('、')
      : col.choices[0]!.title;
  const rule = key === 'idNumber' || key === 'driverIdNumber' ? 'id-number' : fieldRule(field);
  if (col.widget === 'photo') return '11010519491231002X.jpg';
  if (rule === 'id-number') return '11010519491231002X';
  if (rule === 'mobile') return '13800138000';
  if (rule === 'plate') return '浙A12345';
  if (rule === 'date') return '1990-03-07';
  if (key === 'name') return '张三';
  if (key === 'driverName') return '李四';
  if (key === 'organization') return '某某有限公司';
  return '';
}

function formatHint(
  plugin: LoadedPlugin,
  kind: string,
  key: string,
  field: MappingFieldLike,
  col: TemplateColumn,
): string {
  const form = plugin.forms[kind]!;
  const parts: string[] = [];
  const rule = key === 'idNumber' || key === 'driverIdNumber' ? 'id-number' : fieldRule(field);
  if (col.widget === 'photo')
    parts.push('照片文件名（含扩展名）；照片与本表一起打包为 zip，不填则按证件号码匹配');
  else if (rule === 'id-number') parts.push('文本格式；居民身份证 18 位，末位 X 大写');
  else if (rule === 'mobile') parts.push('11 位手机号码');
  else if (rule === 'plate') parts.push('如 浙A12345，新能源车 8 位');
  else if (rule === 'date') parts.push('日期，如 1990-03-07');
  else if (col.choices) parts.push(col.multiple ? '可填多个，用顿号“、”分隔' : '从下拉列表中选择');
  if (field.maxLength !== undefined && !col.choices) parts.push(`不超过 ${field.maxLength} 个字`);
  const vis = field['x-visibleIf'];
  if (vis) {
    const ctl = form.properties[vis.field];
    const ctlChoices = ctl ? fieldChoices(ctl, kind, eventChoices(plugin)) : null;
    const names = (vis.in ?? vis.notIn ?? []).map(
      (v) => ctlChoices?.find((c) => c.value === String(v))?.title ?? String(v),
    );
    const ctlLabel = ctl?.['x-label'] ?? vis.field;
    parts.push(
      vis.in ? `仅当${ctlLabel}为${names.join('、')}时填写` : `${ctlLabel}为${names.join('、')}时不填`,
    );
  }
  if (field['x-help']) parts.push(field['x-help']);
  return parts.join('；');
}

function styleHeader(cell: ExcelJS.Cell, required: boolean): void {
  cell.font = { bold: true, color: { argb: required ? RED : 'FF1F2D3D' } };
  cell.fill = {
    type: 'pattern',
    pattern: 'solid',
    fgColor: { argb: required ? REQUIRED_FILL : HEADER_FILL },
  };
  cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
  cell.border = {
    top: { style: 'thin', color: { argb: 'FF9AA5B1' } },
    bottom: { style: 'thin', color: { argb: 'FF9AA5B1' } },
    left: { style: 'thin', color: { argb: 'FF9AA5B1' } },
    right: { style: 'thin', color: { argb: 'FF9AA5B1' } },
  };
}

/**
 * The collection template as .xlsx bytes (see the module comment). `unitName` goes into the
 * title, so a unit's download says whose it is.
 */
export async function buildCollectionTemplate(
  plugin: LoadedPlugin,
  kind: string,
  opts: { unitName?: string } = {},
): Promise<Uint8Array> {
  const plan = templatePlan(plugin, kind);
  const form = plugin.forms[kind] as MappingFormLike;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Tessera';
  wb.title = plan.title;
  const ws = wb.addWorksheet(plan.sheetName, {
    views: [
      { state: 'frozen', xSplit: 0, ySplit: TEMPLATE_HEADER_ROW, activeCell: `A${TEMPLATE_HEADER_ROW + 1}` },
    ],
  });
  const instructions = wb.addWorksheet(INSTRUCTIONS_SHEET);
  let options: ExcelJS.Worksheet | undefined;

  const n = plan.columns.length;
  const last = colLetter(n);
  const firstData = TEMPLATE_HEADER_ROW + 1;
  const lastData = TEMPLATE_HEADER_ROW + TEMPLATE_DATA_ROWS;

  // Title and notes, merged across the table.
  ws.getCell(`A${TITLE_ROW}`).value = opts.unitName
    ? `${plan.title}（申报单位：${opts.unitName}）`
    : plan.title;
  ws.getCell(`A${TITLE_ROW}`).font = { bold: true, size: 16 };
  ws.getCell(`A${TITLE_ROW}`).alignment = { horizontal: 'center', vertical: 'middle' };
  ws.getRow(TITLE_ROW).height = 30;
  const notes = notesText(plan, plugin, kind);
  ws.getCell(`A${NOTES_ROW}`).value = notes;
  ws.getCell(`A${NOTES_ROW}`).font = { size: 10, color: { argb: 'FF5D6D7E' } };
  ws.getCell(`A${NOTES_ROW}`).alignment = { wrapText: true, vertical: 'top' };
  ws.getRow(NOTES_ROW).height = 16 * notes.split('\n').length + 8;
  if (n > 1) {
    ws.mergeCells(`A${TITLE_ROW}:${last}${TITLE_ROW}`);
    ws.mergeCells(`A${NOTES_ROW}:${last}${NOTES_ROW}`);
  }

  // Header row, widths, formats and validations.
  const headerRow = ws.getRow(TEMPLATE_HEADER_ROW);
  headerRow.height = 30;
  let optionCol = 0;
  plan.columns.forEach((c, i) => {
    const letter = colLetter(i + 1);
    const cell = headerRow.getCell(i + 1);
    cell.value = c.header;
    styleHeader(cell, c.required);
    const column = ws.getColumn(i + 1);
    column.width = c.width;
    if (c.numFmt) {
      // The column style covers rows beyond the prepared ones; the cells make sure of the rest.
      column.numFmt = c.numFmt;
      for (let r = firstData; r <= lastData; r++) ws.getCell(`${letter}${r}`).numFmt = c.numFmt;
    }
    const range = `${letter}${firstData}:${letter}${lastData}`;
    if (c.choices && !c.multiple) {
      const titles = c.choices.map((x) => x.title);
      const inline = `"${titles.join(',')}"`;
      let formula = inline;
      if (excelLength(inline) > INLINE_LIST_LIMIT || titles.some((t) => /[,"]/.test(t))) {
        options ??= wb.addWorksheet(OPTIONS_SHEET, { state: 'veryHidden' });
        optionCol += 1;
        const oc = colLetter(optionCol);
        options.getCell(`${oc}1`).value = c.label;
        titles.forEach((t, k) => (options!.getCell(`${oc}${k + 2}`).value = t));
        formula = `'${OPTIONS_SHEET}'!$${oc}$2:$${oc}$${titles.length + 1}`;
      }
      addValidation(ws, range, {
        type: 'list',
        allowBlank: true,
        formulae: [formula],
        showErrorMessage: true,
        errorStyle: 'stop',
        errorTitle: clip(c.label, 32),
        error: clip(`请从下拉列表中选择：${titles.join('、')}`, 225),
      });
    } else if (c.choices && c.multiple) {
      // A drop-down holds one value; several are typed, and the prompt says which.
      addValidation(ws, range, {
        type: 'textLength',
        operator: 'lessThanOrEqual',
        allowBlank: true,
        formulae: [255],
        showInputMessage: true,
        promptTitle: clip(c.label, 32),
        prompt: clip(`可填多个，用顿号分隔：${c.choices.map((x) => x.title).join('、')}`, 255),
      });
    } else if (c.numFmt === 'yyyy-mm-dd') {
      addValidation(ws, range, {
        type: 'date',
        operator: 'between',
        allowBlank: true,
        formulae: [new Date(Date.UTC(1900, 0, 1)), new Date(Date.UTC(2100, 11, 31))],
        showErrorMessage: true,
        // A warning only: the import also reads 1990.3.7, 1990年3月7日 and the like.
        errorStyle: 'warning',
        errorTitle: '日期',
        error: '请按 1990-03-07 的格式填写日期',
      });
    }
  });

  // 填表说明: one row per field, then the general notes.
  instructions.columns = [
    { header: '列名', key: 'label', width: 18 },
    { header: '是否必填', key: 'required', width: 10 },
    { header: '可选值', key: 'values', width: 40 },
    { header: '填写要求', key: 'hint', width: 50 },
    { header: '示例', key: 'example', width: 24 },
    { header: '字段代码', key: 'field', width: 16 },
  ];
  instructions.getRow(1).eachCell((cell) => styleHeader(cell, false));
  instructions.views = [{ state: 'frozen', xSplit: 0, ySplit: 1 }];
  for (const c of plan.columns) {
    const field = form.properties[c.field]!;
    const row = instructions.addRow({
      label: c.label,
      required: c.required ? '必填' : '选填',
      values: c.choices?.map((x) => x.title).join('、') ?? '',
      hint: formatHint(plugin, kind, c.field, field, c),
      example: example(c.field, field, c),
      field: c.field,
    });
    row.alignment = { wrapText: true, vertical: 'top' };
    if (c.required) row.getCell('required').font = { color: { argb: RED }, bold: true };
  }
  for (const [key, value] of Object.entries(plan.fixed)) {
    const field = form.properties[key]!;
    const title =
      fieldChoices(field, kind, eventChoices(plugin))?.find((x) => x.value === value)?.title ?? value;
    instructions.addRow({
      label: field['x-label'] ?? key,
      required: '无需填写',
      values: title,
      hint: `固定为“${title}”，表中没有这一列`,
      example: '',
      field: key,
    });
  }
  instructions.addRow([]);
  for (const line of notes.split('\n')) instructions.addRow([line]);

  // _tessera: what this template is, and its mapping.
  const suggestion = suggestProfile(
    form,
    kind,
    plan.columns.map((c) => c.header),
    eventChoices(plugin),
  );
  const fixed = { ...suggestion.profile.fixed, ...plan.fixed };
  const profile = {
    ...suggestion.profile,
    code: `template-${kind}`,
    name: `${plan.title}（系统模板）`,
    ...(Object.keys(fixed).length > 0 ? { fixed } : {}),
  };
  const info: TemplateMeta = {
    event: plugin.manifest.event.code,
    kind,
    plugin: plugin.code,
    pluginVersion: plugin.version,
    headerRow: TEMPLATE_HEADER_ROW,
    columns: plan.columns.map((c, col) => ({ col, field: c.field, header: c.header })),
    profile,
  };
  // Added last: the option sheet appears only when a list needs it, and the visible sheets lead.
  const meta = wb.addWorksheet(TEMPLATE_META_SHEET, { state: 'veryHidden' });
  for (const [k, v] of templateMetaRows(info)) meta.addRow([k, v]);

  const bytes = await wb.xlsx.writeBuffer();
  return new Uint8Array(bytes as ArrayBuffer);
}
