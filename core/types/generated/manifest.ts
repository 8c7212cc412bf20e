/* eslint-disable */
/**
 * Generated from schemas/manifest.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type {
  Color,
  EventCode,
  IsoDate,
  JsonFilePath,
  Label,
  PluginCode,
  RecordKind,
  SchemaLink,
  Semver,
  Text,
  VenueCode,
  ZoneCode,
} from './defs.ts';

/**
 * 插件清单 Plugin manifest (plugin.json)
 *
 * 一个活动插件的入口：活动信息、场馆与通行区域、记录类别及其表单，以及证件类型、导入映射、证件版式文件的位置。Entry point of an event plugin.
 */
export interface PluginManifest {
  $schema?: SchemaLink;
  /**
   * 插件格式版本，目前为 1。Plugin format version.
   */
  schemaVersion: 1;
  code: PluginCode;
  /**
   * 插件版本（语义化版本）。每条记录都会记住采集时的插件版本。Plugin version; records remember it.
   */
  version: Semver;
  /**
   * 插件名称。Plugin name.
   */
  name: Label;
  /**
   * 插件说明。Plugin description.
   */
  description?: Text;
  /**
   * 制作者（单位或个人）。Author.
   */
  author?: string;
  event: EventInfo;
  /**
   * 本活动采集的记录类别（人员、车辆…），每类一个表单。Record kinds, one form each.
   *
   * @minItems 1
   */
  recordKinds: RecordKindDef[];
  /**
   * 证件类型文件，通常为 card-types.json。Card types file.
   */
  cardTypes: JsonFilePath;
  /**
   * Excel 导入映射文件列表（mappings/*.json）。Excel mapping profile files.
   */
  mappings?: JsonFilePath[];
  /**
   * 证件版式文件列表（layouts/*.json）。Card layout files.
   */
  layouts?: JsonFilePath[];
  photo?: PhotoSpec;
}
/**
 * 活动信息 Event
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "eventInfo".
 */
export interface EventInfo {
  code: EventCode;
  /**
   * 活动全称，如“2026中国国际数字经济博览会”。Full event name.
   */
  name: Label;
  /**
   * 简称，用于证件和列表。Short name for cards and lists.
   */
  shortName?: string;
  /**
   * 活动类型：expo 展会, conference 会议, forum 论坛, sports 体育赛事, performance 文艺演出, festival 节庆, other 其他。
   */
  kind: 'expo' | 'conference' | 'forum' | 'sports' | 'performance' | 'festival' | 'other';
  /**
   * 主办单位。Organiser.
   */
  organizer: Label;
  /**
   * 承办、协办单位。Co-organisers.
   */
  coOrganizers?: Label[];
  /**
   * 开始日期。Start date.
   */
  startDate: IsoDate;
  /**
   * 结束日期（含）。End date, inclusive.
   */
  endDate: IsoDate;
  /**
   * IANA 时区，如 Asia/Shanghai。IANA time zone.
   */
  timezone: string;
  collection?: CollectionWindow;
  contact?: Contact;
  /**
   * 场馆。Venues.
   *
   * @minItems 1
   */
  venues: Venue[];
  /**
   * 通行区域，证件类型从中选择。Access zones that card types grant.
   *
   * @minItems 1
   */
  zones: Zone[];
}
/**
 * 申报时间 Collection window
 *
 * 申报单位可以提交数据的时间段。When units may submit records.
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "collectionWindow".
 */
export interface CollectionWindow {
  opensOn: IsoDate;
  closesOn: IsoDate;
}
/**
 * 制证中心联系方式 Accreditation office contact
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "contact".
 */
export interface Contact {
  name: Label;
  phone?: string;
  email?: string;
  address?: Label;
}
/**
 * 场馆 Venue
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "venue".
 */
export interface Venue {
  code: VenueCode;
  name: Label;
  address?: Label;
}
/**
 * 通行区域 Access zone
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "zone".
 */
export interface Zone {
  code: ZoneCode;
  name: Label;
  color?: Color;
  /**
   * 所属场馆代码。Venue code.
   */
  venue?: VenueCode;
  description?: Text;
}
/**
 * 记录类别 Record kind declaration
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "recordKindDef".
 */
export interface RecordKindDef {
  kind: RecordKind;
  /**
   * 中文名称，如“人员”。Chinese label.
   */
  label: Label;
  /**
   * 表单文件，如 forms/person.json。Form file.
   */
  form: JsonFilePath;
  description?: Text;
}
/**
 * 证件照要求 Photo requirements
 *
 * 采集和导入时检查证件照。Checked on upload and import.
 *
 * This interface was referenced by `PluginManifest`'s JSON-Schema
 * via the `definition` "photoSpec".
 */
export interface PhotoSpec {
  minWidthPx?: number;
  minHeightPx?: number;
  /**
   * 宽高比（宽/高），如 0.75 为 3:4。Width / height.
   */
  aspectRatio?: number;
  maxBytes?: number;
  /**
   * 底色要求。Required background.
   */
  background?: 'white' | 'blue' | 'red' | 'any';
}
