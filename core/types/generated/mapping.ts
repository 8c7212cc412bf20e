/* eslint-disable */
/**
 * Generated from schemas/mapping.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type { FieldKey, Label, MappingCode, RecordKind, SchemaLink, Text } from './defs.ts';

/**
 * 转换 Transform
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "mappingTransform".
 */
export type MappingTransform =
  | TransformTrim
  | TransformUpper
  | TransformLower
  | TransformHalfWidth
  | TransformSplit
  | TransformMap
  | TransformDate;

/**
 * Excel 导入映射 Excel mapping profile (mappings/*.json)
 *
 * 把申报单位的 Excel 采集表的列对应到表单字段：表头同义词、转换步骤和固定值。Maps the columns of a unit's Excel sheet onto form fields.
 */
export interface MappingProfile {
  $schema?: SchemaLink;
  code: MappingCode;
  name: Label;
  description?: Text;
  recordKind: RecordKind;
  sheet?: SheetSelector;
  /**
   * 表头所在行（从 1 开始），默认自动查找。Header row, 1-based; auto-detected when absent.
   */
  headerRow?: number;
  /**
   * @minItems 1
   */
  columns: MappingColumn[];
  /**
   * 不来自表格、对每一行都填入的固定值。Values set on every row.
   */
  fixed?: {
    [k: string]: string | number | boolean | string[] | undefined;
  };
}
/**
 * 工作表 Sheet selector
 *
 * 按名称或正则选择工作表；不写则用第一个工作表。Select by name or regular expression; first sheet otherwise.
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "sheetSelector".
 */
export interface SheetSelector {
  name?: string;
  pattern?: string;
}
/**
 * 列映射 Column
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "mappingColumn".
 */
export interface MappingColumn {
  /**
   * 可接受的表头（同义词），忽略空白和全角半角差异。Accepted headers.
   *
   * @minItems 1
   */
  headers: string[];
  field: FieldKey;
  /**
   * 依次执行的转换。Transforms, applied in order.
   */
  transforms?: MappingTransform[];
  /**
   * 表格中必须有这一列。The sheet must have this column.
   */
  required?: boolean;
}
/**
 * 去首尾空白 trim
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformTrim".
 */
export interface TransformTrim {
  op: 'trim';
}
/**
 * 转大写 upper
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformUpper".
 */
export interface TransformUpper {
  op: 'upper';
}
/**
 * 转小写 lower
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformLower".
 */
export interface TransformLower {
  op: 'lower';
}
/**
 * 全角转半角 halfWidth
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformHalfWidth".
 */
export interface TransformHalfWidth {
  op: 'halfWidth';
}
/**
 * 拆分取第 N 段 split
 *
 * 如“北京市/朝阳区”取第 0 段。Split and take one part (0-based; negative counts from the end).
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformSplit".
 */
export interface TransformSplit {
  op: 'split';
  separator: string;
  index: number;
}
/**
 * 值对照 map
 *
 * 把表格中的写法换成存储值，如 {"男":"M","女":"F"}。Replace spellings by stored values.
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformMap".
 */
export interface TransformMap {
  op: 'map';
  values: {
    [k: string]: string | undefined;
  };
  /**
   * 不在对照表中时：keep 保留原值，reject 拒绝该行（默认）。Unmapped value: keep or reject (default).
   */
  otherwise?: 'keep' | 'reject';
}
/**
 * 转为 ISO 日期 date
 *
 * 识别 Excel 日期序号、2026/10/15、2026年10月15日、20261015 等写法。Parse Excel serials and common Chinese spellings.
 *
 * This interface was referenced by `MappingProfile`'s JSON-Schema
 * via the `definition` "transformDate".
 */
export interface TransformDate {
  op: 'date';
  /**
   * 额外接受的写法，如 YYYY.MM.DD。Extra accepted patterns.
   */
  formats?: string[];
}
