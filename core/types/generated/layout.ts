/* eslint-disable */
/**
 * Generated from schemas/layout.schema.json by core/plugins/gen-types.ts, do not edit.
 * Change the schema and run `npm run gen:types`.
 */

import type { AssetPath, Color, FieldKey, Label, LayoutCode, RecordKind, SchemaLink, Text } from './defs.ts';

/**
 * 版式元素 Layout element
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "layoutElement".
 */
export type LayoutElement =
  | TextElement
  | FieldElement
  | PhotoElement
  | ImageElement
  | QrcodeElement
  | BarcodeElement
  | RectElement
  | EllipseElement
  | LineElement
  | BandElement;
/**
 * 文字 Text
 *
 * 固定文字，可用 {{字段名}} 插入字段值。Static text; {{field}} inserts a value.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "textElement".
 */
export type TextElement = ElementBase & {
  type: 'text';
  text: string;
  /**
   * 放不下时：shrink 缩小字号, wrap 换行, clip 裁切。Overflow handling.
   */
  fit?: 'shrink' | 'wrap' | 'clip';
  /**
   * 最多行数；不写时为框高按基准字号能容纳的行数。Most lines; default: as many as the box holds at the base size.
   */
  maxLines?: number;
  /**
   * shrink 时最小字号（磅）；缩到此字号仍放不下即为问题记录。默认为基准字号的一半（不小于 4.5 磅）。Smallest size shrink may use; below it the record is reported.
   */
  minFontSizePt?: number;
};
/**
 * 字段 Field
 *
 * 显示一个字段的值。Shows one field's value.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "fieldElement".
 */
export type FieldElement = ElementBase & {
  type: 'field';
  field: FieldKey;
  /**
   * 放不下时：shrink 缩小字号, wrap 换行, clip 裁切。Overflow handling.
   */
  fit?: 'shrink' | 'wrap' | 'clip';
  /**
   * 最多行数；不写时为框高按基准字号能容纳的行数。Most lines; default: as many as the box holds at the base size.
   */
  maxLines?: number;
  /**
   * shrink 时最小字号（磅）；缩到此字号仍放不下即为问题记录。默认为基准字号的一半（不小于 4.5 磅）。Smallest size shrink may use; below it the record is reported.
   */
  minFontSizePt?: number;
};
/**
 * 照片 Photo
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "photoElement".
 */
export type PhotoElement = ElementBase & {
  type: 'photo';
  /**
   * 照片字段，默认 photo。Photo field, default photo.
   */
  field?: FieldKey;
  fit?: 'cover' | 'contain';
};
/**
 * 图片 Image
 *
 * 插件 assets/ 中的图片（徽标等）。An image from the plugin's assets.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "imageElement".
 */
export type ImageElement = ElementBase & {
  type: 'image';
  src: AssetPath;
  fit?: 'cover' | 'contain' | 'stretch';
};
/**
 * 二维码 QR code
 *
 * field 绑定字段（通常为 verifyToken 核验码），或 value 固定内容（可含 {{字段名}}），二选一。Bind a field (usually verifyToken) or give a value.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "qrcodeElement".
 */
export type QrcodeElement = ElementBase & {
  type: 'qrcode';
  field?: FieldKey;
  value?: string;
  /**
   * 纠错等级。Error correction level.
   */
  errorCorrection?: 'L' | 'M' | 'Q' | 'H';
};
/**
 * 条形码 Barcode
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "barcodeElement".
 */
export type BarcodeElement = ElementBase & {
  type: 'barcode';
  symbology: 'code128' | 'code39' | 'ean13' | 'pdf417';
  field: FieldKey;
  /**
   * 在条码下方显示文字。Print human-readable text.
   */
  showText?: boolean;
};
/**
 * 矩形 Rectangle
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "rectElement".
 */
export type RectElement = ElementBase & {
  type: 'rect';
};
/**
 * 椭圆 Ellipse
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "ellipseElement".
 */
export type EllipseElement = ElementBase & {
  type: 'ellipse';
};
/**
 * 直线 Line
 *
 * 从 (x, y) 到 (x + width, y + height)，颜色与粗细取 style.borderColor / borderWidthMm。
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "lineElement".
 */
export type LineElement = ElementBase & {
  type: 'line';
};
/**
 * 色带 Band
 *
 * 证件类型色带；color 为 "cardType" 时使用证件类型的颜色。Colour band; "cardType" uses the card type colour.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "bandElement".
 */
export type BandElement = ElementBase & {
  type: 'band';
  color: Color | 'cardType';
};

/**
 * 证件版式 Card layout (layouts/*.json)
 *
 * 证件正反面的版式模型：以毫米定位的元素，绑定字段、照片、二维码、条码和背景图；高级模式可直接写 Handlebars + CSS。The layout model of a card, front and back, in millimetres.
 */
export interface CardLayout {
  $schema?: SchemaLink;
  code: LayoutCode;
  name: Label;
  description?: Text;
  recordKind: RecordKind;
  size: CardSize;
  /**
   * 出血，默认 2 mm。Bleed, default 2 mm.
   */
  bleedMm?: number;
  /**
   * 安全边距，默认 3 mm。Safe margin, default 3 mm.
   */
  safeMarginMm?: number;
  /**
   * 正面。Front.
   */
  front: CardFace;
  /**
   * 背面（双面打印）。Back, for duplex printing.
   */
  back?: CardFace;
  template?: LayoutTemplate;
}
/**
 * 成品尺寸 Card size
 *
 * CR80 85.6×54 横版, CR80-PORTRAIT 54×85.6 竖版, A6 105×148, A7 74×105, 90x54, VEHICLE-A5 210×148 车辆通行证, custom 自定义。widthMm/heightMm 须与预设一致。Trimmed size; must match the preset.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "cardSize".
 */
export interface CardSize {
  preset: 'CR80' | 'CR80-PORTRAIT' | 'A6' | 'A7' | '90x54' | 'VEHICLE-A5' | 'custom';
  widthMm: number;
  heightMm: number;
}
/**
 * 高级模式模板 Advanced template
 *
 * Handlebars 源码；存在时代替版式模型渲染。字段值只能用 {{field}}（自动转义），禁止 {{{ }}}。Handlebars source used instead of the model; no triple-stash.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "layoutTemplate".
 */
export interface LayoutTemplate {
  front?: string;
  back?: string;
  css?: string;
}
/**
 * 证件一面 Card face
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "cardFace".
 */
export interface CardFace {
  background?: FaceBackground;
  elements: LayoutElement[];
}
/**
 * 背景 Background
 *
 * 底色和/或背景图（铺满含出血的区域）。Colour and/or image covering the bleed box.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "faceBackground".
 */
export interface FaceBackground {
  color?: Color;
  image?: AssetPath;
  fit?: 'cover' | 'contain' | 'stretch';
}
/**
 * 元素公共属性 Element base
 *
 * 位置与尺寸以毫米计，原点为成品（裁切后）左上角。Position and size in mm from the trimmed card's top-left corner.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "elementBase".
 */
export interface ElementBase {
  /**
   * 元素标识，在同一版式内唯一。Unique within the layout.
   */
  id: string;
  type: 'text' | 'field' | 'photo' | 'image' | 'qrcode' | 'barcode' | 'rect' | 'ellipse' | 'line' | 'band';
  /**
   * 设计器中显示的名称。Name shown in the designer.
   */
  name?: string;
  xMm: number;
  yMm: number;
  widthMm: number;
  heightMm: number;
  /**
   * 顺时针旋转角度。Clockwise rotation in degrees.
   */
  rotation?: number;
  /**
   * 叠放顺序，大的在上。Stacking order.
   */
  z?: number;
  /**
   * 在设计器中锁定。Locked in the designer.
   */
  locked?: boolean;
  visibleIf?: Condition;
  style?: Style;
  /**
   * 条件样式，按顺序叠加。Conditional styles, applied in order.
   */
  styleRules?: StyleRule[];
}
/**
 * 显示条件 Condition
 *
 * field 与 value 比较：eq 等于, ne 不等于, in 属于, notIn 不属于, empty 为空, notEmpty 非空。in/notIn 的 value 为数组，empty/notEmpty 不写 value。Compare a bound field with a value.
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "condition".
 */
export interface Condition {
  field: FieldKey;
  op: 'eq' | 'ne' | 'in' | 'notIn' | 'empty' | 'notEmpty';
  value?: string | number | boolean | (string | number)[];
}
/**
 * 样式 Style
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "style".
 */
export interface Style {
  /**
   * 字体，如 Noto Sans SC。Font family.
   */
  fontFamily?: string;
  /**
   * 字号（磅）。Font size in points.
   */
  fontSizePt?: number;
  /**
   * 字重：normal、bold 或 100–900。Font weight.
   */
  fontWeight?: ('normal' | 'bold') | number;
  /**
   * 文字颜色。Text colour.
   */
  color?: Color;
  /**
   * 背景色。Background colour.
   */
  background?: Color;
  /**
   * 水平对齐。Horizontal alignment.
   */
  align?: 'left' | 'center' | 'right' | 'justify';
  /**
   * 垂直对齐。Vertical alignment.
   */
  vAlign?: 'top' | 'middle' | 'bottom';
  letterSpacingMm?: number;
  /**
   * 行高（字号的倍数）。Line height multiple.
   */
  lineHeight?: number;
  borderColor?: Color;
  borderWidthMm?: number;
  radiusMm?: number;
  opacity?: number;
}
/**
 * 条件样式 Style rule
 *
 * This interface was referenced by `CardLayout`'s JSON-Schema
 * via the `definition` "styleRule".
 */
export interface StyleRule {
  when: Condition;
  style: Style;
}
