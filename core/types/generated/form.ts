/* eslint-disable */
/**
 * Generated from schemas/form.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type { FieldKey, Label, RecordKind, Text } from './defs.ts';

/**
 * 控件 Widget
 *
 * text 单行文本, textarea 多行文本, select 下拉, radio 单选, checkbox 多选/勾选, date 日期, number 数字, idNumber 证件号码, mobile 手机号, plate 车牌号, photo 照片, cardType 证件类型, zones 通行区域。
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formWidget".
 */
export type FormWidget =
  | 'text'
  | 'textarea'
  | 'select'
  | 'radio'
  | 'checkbox'
  | 'date'
  | 'number'
  | 'idNumber'
  | 'mobile'
  | 'plate'
  | 'photo'
  | 'cardType'
  | 'zones';
/**
 * 格式 Format
 *
 * date 日期, date-time, email, uri, cn-id-number 居民身份证号码, cn-mobile 手机号码, cn-plate 车牌号码。
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formFormat".
 */
export type FormFormat = 'date' | 'date-time' | 'email' | 'uri' | 'cn-id-number' | 'cn-mobile' | 'cn-plate';
/**
 * 条件显示 Visibility condition
 *
 * {"field": "idType", "in": ["4", "5"]} 或 {"field": "idType", "notIn": ["1"]}；in 与 notIn 二选一。field 须是同一表单中的另一个字段。Exactly one of `in` / `notIn`; `field` names another field of the same form.
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formVisibleIf".
 */
export type FormVisibleIf =
  | {
      /**
       * 控制显示的字段。The controlling field.
       */
      field: FieldKey;
      /**
       * 该字段取这些值之一时显示。Shown when the value is one of these.
       */
      in: FormVisibleValues;
    }
  | {
      /**
       * 控制显示的字段。The controlling field.
       */
      field: FieldKey;
      /**
       * 该字段不取这些值时显示（未填写也显示）。Shown when the value is none of these (or empty).
       */
      notIn: FormVisibleValues;
    };
/**
 * 条件取值 Condition values
 *
 * @minItems 1
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formVisibleValues".
 */
export type FormVisibleValues = (string | number | boolean)[];

/**
 * 采集表单 Form (forms/<kind>.json)
 *
 * 检查一个表单文件的结构。表单本身是 JSON Schema (2020-12)：每个字段带中文标签 x-label 和控件 x-widget；加载时还会用项目的 ajv 编译它，证明它是有效的 JSON Schema。Meta-schema for a form: a real JSON Schema whose properties carry x- UI keywords.
 */
export interface FormSchema {
  $schema: 'https://json-schema.org/draft/2020-12/schema';
  $id?: string;
  $comment?: string;
  title?: string;
  description?: string;
  type: 'object';
  /**
   * 本表单对应的记录类别，须与 plugin.json 中的声明一致。Record kind; must match the manifest.
   */
  'x-recordKind': RecordKind;
  /**
   * 表单中文名称，如“人员信息”。Chinese name of the form.
   */
  'x-label': Label;
  /**
   * 字段分组（表单中的分节），按顺序显示。Sections of the form, in order.
   */
  'x-groups'?: FormGroup[];
  /**
   * 字段，键为稳定字段名，顺序即表单和导出模板的列顺序。Fields; key order is display order.
   */
  properties: {
    [k: string]: FormField | undefined;
  };
  /**
   * 必填字段。Required fields.
   */
  required?: FieldKey[];
  additionalProperties?: boolean;
  /**
   * 条件规则（if/then/else），如证件类型为居民身份证时校验身份证号码。Conditional rules.
   */
  allOf?: FormRule[];
}
/**
 * 字段分组 Field group
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formGroup".
 */
export interface FormGroup {
  label: Label;
  description?: Text;
  /**
   * @minItems 1
   */
  fields: FieldKey[];
}
/**
 * 表单字段 Form field
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formField".
 */
export interface FormField {
  /**
   * 数据类型。Data type (records are flat: no nested objects).
   */
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  title?: string;
  description?: string;
  $comment?: string;
  /**
   * 中文标签（表单、Excel 模板列名、审核界面）。Chinese label.
   */
  'x-label': Label;
  'x-widget': FormWidget;
  /**
   * Excel 表头同义词，导入时自动识别列。Header synonyms for Excel import.
   */
  'x-excelHeaders'?: string[];
  /**
   * 敏感个人信息：列表和导出中默认脱敏，加密存储，查看完整值要留痕。Sensitive personal information.
   */
  'x-sensitive'?: boolean;
  /**
   * 建立检索索引（按此字段秒查）。Build a lookup index.
   */
  'x-index'?: boolean;
  /**
   * 输入框占位提示。Placeholder.
   */
  'x-placeholder'?: string;
  /**
   * 字段下方的帮助文字。Help text.
   */
  'x-help'?: string;
  /**
   * 表单栅格宽度（12 栏）。Grid span out of 12.
   */
  'x-width'?: number;
  /**
   * 条件显示：只有当另一字段的当前值（数组字段为其任一元素）在 in 列表中（或不在 notIn 列表中）时才显示本字段；隐藏的字段不必填、不校验，其值不保存。Show the field only when another field's value (for arrays: any element) is in `in` (or not in `notIn`); a hidden field is neither required nor validated and its value is dropped.
   */
  'x-visibleIf'?: FormVisibleIf;
  /**
   * 默认值。Default value.
   */
  default?: string | number | boolean | unknown[];
  examples?: unknown[];
  readOnly?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: FormFormat;
  /**
   * 可选值（无显示文字时用）。Allowed values.
   *
   * @minItems 1
   */
  enum?: (string | number | boolean)[];
  /**
   * 带显示文字的选项：[{"const":"M","title":"男"}]。Options with display text.
   *
   * @minItems 1
   */
  oneOf?: FormOption[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  items?: FormItem;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}
/**
 * 选项 Option
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formOption".
 */
export interface FormOption {
  /**
   * 存储值。Stored value.
   */
  const: string | number;
  /**
   * 显示文字。Display text.
   */
  title: string;
  description?: string;
}
/**
 * 数组元素 Array item
 *
 * 多选字段（checkbox、zones）的元素。Item schema of a multi-value field.
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formItem".
 */
export interface FormItem {
  type: 'string' | 'integer';
  /**
   * @minItems 1
   */
  enum?: (string | number)[];
  /**
   * @minItems 1
   */
  oneOf?: FormOption[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}
/**
 * 条件规则 Conditional rule
 *
 * JSON Schema if/then/else，由 ajv 编译检查。Checked by compiling the form.
 *
 * This interface was referenced by `FormSchema`'s JSON-Schema
 * via the `definition` "formRule".
 */
export interface FormRule {
  $comment?: string;
  description?: string;
  if: {
    [k: string]: unknown | undefined;
  };
  then?: {
    [k: string]: unknown | undefined;
  };
  else?: {
    [k: string]: unknown | undefined;
  };
}
