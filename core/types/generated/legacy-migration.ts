/* eslint-disable */
/**
 * Generated from schemas/legacy-migration.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type { CardTypeCode, EventCode, FieldKey, Label, SchemaLink } from './defs.ts';
import type { MappingColumn, SheetSelector } from './mapping.ts';

/**
 * 源文件 Source file
 *
 * 相对映射文件的路径：.xlsx 或 .csv（UTF-8 或 GBK）。Path relative to the mapping file.
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "sourceFile".
 */
export type SourceFile = string;
/**
 * 旧系统列 Legacy column
 *
 * 可接受的表头（同义词），忽略空白和全角半角差异。Accepted headers.
 *
 * @minItems 1
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "legacyColumn".
 */
export type LegacyColumn = string[];

/**
 * 旧系统数据迁移映射 Legacy migration mapping
 *
 * 把旧制证系统导出的 Excel/CSV 表格和照片文件夹迁入一个活动：单位、人员、车辆、证件类型、证件状态与编号。文件路径相对本映射文件。Describes how the previous system's exports map onto an event; paths are relative to this file.
 */
export interface LegacyMigrationMapping {
  $schema?: SchemaLink;
  /**
   * 这次迁移的名称（报告标题）。Name shown in the report.
   */
  name?: Label;
  /**
   * 迁入的活动代码。Target event.
   */
  event: EventCode;
  /**
   * 旧系统时间（制证、发放时间）所在时区，IANA 名称，如 Asia/Shanghai。Time zone of legacy timestamps.
   */
  timeZone: string;
  units?: UnitSource;
  /**
   * 人员表（可多个文件）。Person sheets.
   */
  persons?: RecordSource[];
  /**
   * 车辆表（可多个文件）。Vehicle sheets.
   */
  vehicles?: RecordSource[];
  /**
   * 旧系统证件类型名称或代码 → 本活动证件类型代码，如 {"贵宾证": "VIP", "G01": "VIP"}。忽略空白和全角半角差异。Legacy card type name or code → event card type code.
   */
  cardTypes: {
    [k: string]: CardTypeCode | undefined;
  };
  /**
   * 旧系统状态文字 → 记录状态和证件状态，如 {"已发放": {"record": "approved", "card": "issued"}}。Legacy status text → record and card status.
   */
  statuses: {
    [k: string]: StatusTarget | undefined;
  };
  /**
   * 照片文件夹（可多个）。Photo folders.
   */
  photos?: PhotoFolder[];
}
/**
 * 单位表 Unit sheet
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "unitSource".
 */
export interface UnitSource {
  file: SourceFile;
  sheet?: SheetSelector;
  /**
   * 单位代码列（迁入后的单位代码）。Unit code column.
   */
  code: LegacyColumn;
  /**
   * 单位名称列。Unit name column.
   */
  name: LegacyColumn;
  /**
   * 联系人列。
   */
  contactName?: LegacyColumn;
  /**
   * 联系电话列。
   */
  contactPhone?: LegacyColumn;
}
/**
 * 人员或车辆表 Record sheet
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "recordSource".
 */
export interface RecordSource {
  file: SourceFile;
  sheet?: SheetSelector;
  /**
   * 旧系统记录编号列：重复迁移时据此识别已迁入的行。不写则人员用“单位+证件号码”、车辆用车牌。Legacy record id column; default unit + ID number (persons) or plate (vehicles).
   */
  key?: LegacyColumn;
  /**
   * 所属单位列：单位代码或单位名称（与单位表或系统中已有单位对应）。Unit code or name column.
   */
  unit: LegacyColumn;
  /**
   * 证件类型列，值按 cardTypes 对照。Card type column, mapped through cardTypes.
   */
  cardType?: LegacyColumn;
  /**
   * 状态列，值按 statuses 对照；不写或为空时记录为 approved、无证件。Status column, mapped through statuses.
   */
  status?: LegacyColumn;
  /**
   * 证件编号列。Card number column.
   */
  cardNumber?: LegacyColumn;
  /**
   * 制证时间列。Printed-at column.
   */
  printedAt?: LegacyColumn;
  /**
   * 发放时间列。Issued-at column.
   */
  issuedAt?: LegacyColumn;
  /**
   * 领证人列。Issued-to column.
   */
  issuedTo?: LegacyColumn;
  /**
   * 照片文件名列（照片按文件名匹配时）。Photo file name column.
   */
  photoFile?: LegacyColumn;
  /**
   * 其余列 → 表单字段，与导入映射方案的列写法相同（表头同义词、转换）。Other columns → form fields, as in an import mapping profile.
   *
   * @minItems 1
   */
  columns: MappingColumn[];
  /**
   * 对每一行都填入的固定值。Values set on every row.
   */
  fixed?: {
    [k: string]: string | number | boolean | string[] | undefined;
  };
}
/**
 * 状态对照 Status target
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "statusTarget".
 */
export interface StatusTarget {
  /**
   * 记录状态；有证件时须为 approved。Record status; approved when there is a card.
   */
  record: 'draft' | 'submitted' | 'approved' | 'rejected' | 'returned' | 'deleted';
  /**
   * 证件状态；不写表示尚未制证。Card status; absent: no card yet.
   */
  card?: 'printed' | 'issued' | 'returned' | 'lost' | 'damaged' | 'revoked';
  /**
   * 写入证件的状态原因，如“旧系统作废”。Reason stored with the card status.
   */
  reason?: string;
}
/**
 * 照片文件夹 Photo folder
 *
 * This interface was referenced by `LegacyMigrationMapping`'s JSON-Schema
 * via the `definition` "photoFolder".
 */
export interface PhotoFolder {
  /**
   * 相对映射文件的文件夹，含子文件夹。Folder relative to the mapping file, subfolders included.
   */
  folder: string;
  /**
   * 匹配方式：idNumber 文件名含证件号码（x 大小写均可）；fileColumn 按 photoFile 列的文件名；name 按姓名。How photos are matched to rows.
   */
  match: 'idNumber' | 'fileColumn' | 'name';
}
