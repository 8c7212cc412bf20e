/* eslint-disable */
/**
 * Generated from schemas/defs.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

/**
 * 插件代码 Plugin code
 *
 * 小写字母开头，小写字母、数字、连字符，2–64 位。Lower-case letter first, then a–z, 0–9 or '-', 2–64 chars.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "pluginCode".
 */
export type PluginCode = string;
/**
 * 活动代码 Event code
 *
 * 大写字母开头，大写字母、数字、'_'、'-'，2–32 位。Upper-case letter first, 2–32 chars.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "eventCode".
 */
export type EventCode = string;
/**
 * 语义化版本号 Semantic version
 *
 * 如 1.0.0、1.2.0-beta.1。Semantic Versioning 2.0.0.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "semver".
 */
export type Semver = string;
/**
 * 记录类别 Record kind
 *
 * 如 person（人员）、vehicle（车辆）。Lower camelCase, e.g. person, vehicle.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "recordKind".
 */
export type RecordKind = string;
/**
 * 字段名 Field key
 *
 * 表单字段的稳定键名，小驼峰。Stable lower camelCase key of a form field.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "fieldKey".
 */
export type FieldKey = string;
/**
 * 场馆代码 Venue code
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "venueCode".
 */
export type VenueCode = string;
/**
 * 区域代码 Zone code
 *
 * 印在证件上的通行区域代码，如 A、B1、VIP。Access zone code printed on cards.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "zoneCode".
 */
export type ZoneCode = string;
/**
 * 证件类型代码 Card type code
 *
 * 如 VIP、STAFF、PRESS。Upper-case letter first, up to 16 chars.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "cardTypeCode".
 */
export type CardTypeCode = string;
/**
 * 版式代码 Layout code
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "layoutCode".
 */
export type LayoutCode = string;
/**
 * 导入映射代码 Mapping profile code
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "mappingCode".
 */
export type MappingCode = string;
/**
 * 申报单位代码 Unit code
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "unitCode".
 */
export type UnitCode = string;
/**
 * 颜色 Colour
 *
 * 十六进制颜色，如 #c0392b。Hex colour #rgb, #rrggbb or #rrggbbaa.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "color".
 */
export type Color = string;
/**
 * 日期 ISO date
 *
 * YYYY-MM-DD。
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "isoDate".
 */
export type IsoDate = string;
/**
 * 名称 Label
 *
 * 给人看的名称或标签（中文）。Human-readable name (Chinese).
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "label".
 */
export type Label = string;
/**
 * 说明文字 Text
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "text".
 */
export type Text = string;
/**
 * 资源文件路径 Asset path
 *
 * 插件内 assets/ 下的文件，如 assets/bg-vip.png；不允许 '..'。A file under assets/ inside the plugin.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "assetPath".
 */
export type AssetPath = string;
/**
 * JSON 文件路径 JSON file path
 *
 * 插件内的相对路径，如 forms/person.json。Relative path of a JSON file inside the plugin.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "jsonFilePath".
 */
export type JsonFilePath = string;
/**
 * 编辑器提示用的 $schema 链接 $schema link for editors
 *
 * 如 ../../schemas/layout.schema.json，仅供编辑器使用，加载时忽略。Ignored by the loader.
 *
 * This interface was referenced by `SharedDefinitions`'s JSON-Schema
 * via the `definition` "schemaLink".
 */
export type SchemaLink = string;

/**
 * 公共定义 Shared definitions
 *
 * 插件契约各文件共用的基础类型（代码、颜色、日期、路径）。Building blocks shared by the plugin contract schemas: codes, colours, dates, paths.
 */
