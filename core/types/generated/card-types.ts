/* eslint-disable */
/**
 * Generated from schemas/card-types.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type {
  CardTypeCode,
  Color,
  IsoDate,
  Label,
  LayoutCode,
  RecordKind,
  SchemaLink,
  Text,
  UnitCode,
  ZoneCode,
} from './defs.ts';

/**
 * 证件类型 Card types (card-types.json)
 *
 * 本活动的证件类型：名称、记录类别、重要程度、通行区域、编号规则、配额和打印版式。Card types of the event.
 */
export interface CardTypesFile {
  $schema?: SchemaLink;
  /**
   * @minItems 1
   */
  cardTypes: CardType[];
}
/**
 * 证件类型 Card type
 *
 * This interface was referenced by `CardTypesFile`'s JSON-Schema
 * via the `definition` "cardType".
 */
export interface CardType {
  code: CardTypeCode;
  /**
   * 证件名称，如“贵宾证”。Card name.
   */
  name: Label;
  /**
   * 简称，印在证件色带上，如“贵宾”。Short name printed on the band.
   */
  shortName?: string;
  description?: Text;
  /**
   * 适用的记录类别（person 人员 / vehicle 车辆）。Record kind this card is issued for.
   */
  recordKind: RecordKind;
  /**
   * 重要证件：审核员优先看到，统计单列。Important card: reviewers see these first.
   */
  important: boolean;
  /**
   * 重要程度 1–9，1 最高，用于排序。Importance 1 (highest) to 9.
   */
  importanceLevel: number;
  /**
   * 默认通行区域（活动区域代码）。Zone codes granted.
   */
  zones: ZoneCode[];
  /**
   * 证件类型主色（色带、列表标识）。Colour of the card type.
   */
  color: Color;
  /**
   * 是否必须有照片，人员证件默认需要。Photo required.
   */
  requiresPhoto?: boolean;
  numbering: Numbering;
  quota: Quota;
  /**
   * 打印所用版式代码。Layout code used to print it.
   */
  layout: LayoutCode;
  /**
   * 有效期起。Valid from.
   */
  validFrom?: IsoDate;
  /**
   * 有效期止（含）。Valid to, inclusive.
   */
  validTo?: IsoDate;
}
/**
 * 编号规则 Numbering
 *
 * 证件编号模板，可用 {event} 活动代码、{type} 证件类型代码、{year} 年份、{unit} 单位代码、{seq:N} N 位流水号（必须且只能有一个）。Card number pattern; exactly one {seq} or {seq:N}.
 *
 * This interface was referenced by `CardTypesFile`'s JSON-Schema
 * via the `definition` "numbering".
 */
export interface Numbering {
  /**
   * 编号模板，须含且只含一个 {seq} 或 {seq:N}，其余可用 {event} {type} {year} {unit}，如 VIP-{seq:5}。Must contain exactly one {seq}.
   */
  pattern: string;
  /**
   * 起始流水号，默认 1。First sequence number.
   */
  start?: number;
}
/**
 * 配额 Quota
 *
 * null 表示不限。perUnit 每个申报单位上限；total 全活动上限；byUnit 对个别单位的单独上限。null means unlimited.
 *
 * This interface was referenced by `CardTypesFile`'s JSON-Schema
 * via the `definition` "quota".
 */
export interface Quota {
  perUnit: number | null;
  total: number | null;
  byUnit?: {
    [k: string]: number | undefined;
  };
}
