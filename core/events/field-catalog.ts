// The field catalogue of the no-code form editor: definitions of the standard field vocabulary
// (and a few common extras) that an admin adds with one click, and presets for custom fields by
// widget. Browser-safe: the designer imports it, the blank event template is built from it.
// cardType/zones option lists are left empty here; reconcileForms (draft-rules.ts) fills them
// from the event's card types and zones.
import type { FormField } from '../types/generated/index.ts';
import type { FormWidgetName } from '../validation/form-keywords.ts';
import { STANDARD_FIELDS } from '../plugins/system-fields.ts';

const PERSON_FIELDS: Record<string, FormField> = {
  name: {
    type: 'string',
    'x-label': '姓名',
    'x-widget': 'text',
    minLength: 1,
    maxLength: 50,
    'x-excelHeaders': ['姓名', '名字'],
    'x-index': true,
    'x-placeholder': '与身份证件一致',
    'x-width': 6,
  },
  gender: {
    type: 'string',
    'x-label': '性别',
    'x-widget': 'radio',
    oneOf: [
      {
        const: 'M',
        title: '男',
      },
      {
        const: 'F',
        title: '女',
      },
    ],
    'x-excelHeaders': ['性别'],
    'x-width': 3,
  },
  ethnicity: {
    type: 'string',
    'x-label': '民族',
    'x-widget': 'select',
    enum: [
      '汉族',
      '蒙古族',
      '回族',
      '藏族',
      '维吾尔族',
      '苗族',
      '彝族',
      '壮族',
      '布依族',
      '朝鲜族',
      '满族',
      '侗族',
      '瑶族',
      '白族',
      '土家族',
      '哈尼族',
      '哈萨克族',
      '傣族',
      '黎族',
      '傈僳族',
      '佤族',
      '畲族',
      '高山族',
      '拉祜族',
      '水族',
      '东乡族',
      '纳西族',
      '景颇族',
      '柯尔克孜族',
      '土族',
      '达斡尔族',
      '仫佬族',
      '羌族',
      '布朗族',
      '撒拉族',
      '毛南族',
      '仡佬族',
      '锡伯族',
      '阿昌族',
      '普米族',
      '塔吉克族',
      '怒族',
      '乌孜别克族',
      '俄罗斯族',
      '鄂温克族',
      '德昂族',
      '保安族',
      '裕固族',
      '京族',
      '塔塔尔族',
      '独龙族',
      '鄂伦春族',
      '赫哲族',
      '门巴族',
      '珞巴族',
      '基诺族',
      '其他',
    ],
    default: '汉族',
    'x-excelHeaders': ['民族'],
    'x-width': 3,
  },
  birthDate: {
    type: 'string',
    format: 'date',
    'x-label': '出生日期',
    'x-widget': 'date',
    'x-excelHeaders': ['出生日期', '出生年月日', '生日'],
    'x-help': '居民身份证持有人可不填，系统按证件号码核对',
    'x-width': 6,
  },
  idType: {
    type: 'string',
    'x-label': '身份证件类型',
    'x-widget': 'select',
    oneOf: [
      {
        const: '1',
        title: '居民身份证',
      },
      {
        const: '2',
        title: '港澳居民来往内地通行证',
      },
      {
        const: '3',
        title: '台湾居民来往大陆通行证',
      },
      {
        const: '4',
        title: '护照',
      },
      {
        const: '5',
        title: '外国人永久居留身份证',
      },
      {
        const: '6',
        title: '港澳台居民居住证',
      },
    ],
    default: '1',
    'x-excelHeaders': ['身份证件类型', '证件种类'],
    'x-width': 6,
  },
  idNumber: {
    type: 'string',
    'x-label': '证件号码',
    'x-widget': 'idNumber',
    minLength: 5,
    maxLength: 30,
    'x-excelHeaders': ['身份证号', '身份证号码', '公民身份号码', '证件号码'],
    'x-sensitive': true,
    'x-index': true,
    'x-help': '居民身份证须为 18 位，最后一位 X 大写',
    'x-width': 6,
  },
  nationality: {
    type: 'string',
    'x-label': '国籍/地区',
    'x-widget': 'text',
    default: '中国',
    maxLength: 50,
    'x-excelHeaders': ['国籍', '国家/地区', '国籍地区'],
    'x-width': 6,
  },
  organization: {
    type: 'string',
    'x-label': '工作单位',
    'x-widget': 'text',
    minLength: 2,
    maxLength: 100,
    'x-excelHeaders': ['单位', '单位名称', '所在单位', '工作单位名称'],
    'x-index': true,
    'x-width': 12,
  },
  position: {
    type: 'string',
    'x-label': '职务',
    'x-widget': 'text',
    maxLength: 50,
    'x-excelHeaders': ['职位', '职务/职称', '职称'],
    'x-width': 6,
  },
  mobile: {
    type: 'string',
    format: 'cn-mobile',
    'x-label': '手机号码',
    'x-widget': 'mobile',
    'x-excelHeaders': ['手机', '手机号', '手机号码', '联系电话', '联系方式'],
    'x-sensitive': true,
    'x-placeholder': '11 位手机号码',
    'x-width': 6,
  },
  cardType: {
    type: 'string',
    'x-label': '申请证件',
    'x-widget': 'cardType',
    'x-excelHeaders': ['证件类型', '证件类别', '申请证件类型'],
    'x-width': 6,
    enum: [],
  },
  zones: {
    type: 'array',
    'x-label': '通行区域',
    'x-widget': 'zones',
    uniqueItems: true,
    items: {
      type: 'string',
      enum: [],
    },
    'x-excelHeaders': ['区域', '申请区域'],
    'x-width': 6,
  },
  photo: {
    type: 'string',
    'x-label': '照片',
    'x-widget': 'photo',
    'x-excelHeaders': ['照片文件名', '相片'],
    'x-help': '白底免冠正面证件照，3:4，不小于 358×441 像素',
    'x-width': 6,
  },
  remark: {
    type: 'string',
    'x-label': '备注',
    'x-widget': 'textarea',
    maxLength: 500,
    'x-excelHeaders': ['说明'],
    'x-width': 12,
  },
};

const VEHICLE_FIELDS: Record<string, FormField> = {
  plateNumber: {
    type: 'string',
    format: 'cn-plate',
    'x-label': '车牌号码',
    'x-widget': 'plate',
    'x-excelHeaders': ['车牌', '车牌号', '号牌号码'],
    'x-index': true,
    'x-placeholder': '如 浙A12345、浙AD12345',
    'x-width': 6,
  },
  vehicleType: {
    type: 'string',
    'x-label': '车辆类型',
    'x-widget': 'select',
    oneOf: [
      {
        const: 'SMALL',
        title: '小型客车',
      },
      {
        const: 'MEDIUM',
        title: '中型客车',
      },
      {
        const: 'LARGE',
        title: '大型客车',
      },
      {
        const: 'VAN',
        title: '厢式货车',
      },
      {
        const: 'TRUCK',
        title: '货车',
      },
      {
        const: 'SPECIAL',
        title: '专用车辆',
      },
    ],
    'x-excelHeaders': ['车型', '车辆类别'],
    'x-width': 6,
  },
  brandModel: {
    type: 'string',
    'x-label': '品牌型号',
    'x-widget': 'text',
    maxLength: 50,
    'x-excelHeaders': ['车辆品牌', '厂牌型号', '品牌'],
    'x-width': 6,
  },
  bodyColor: {
    type: 'string',
    'x-label': '车身颜色',
    'x-widget': 'text',
    maxLength: 20,
    'x-excelHeaders': ['颜色', '车辆颜色'],
    'x-width': 6,
  },
  organization: {
    type: 'string',
    'x-label': '使用单位',
    'x-widget': 'text',
    minLength: 2,
    maxLength: 100,
    'x-excelHeaders': ['单位', '单位名称', '所属单位'],
    'x-index': true,
    'x-width': 12,
  },
  driverName: {
    type: 'string',
    'x-label': '驾驶员姓名',
    'x-widget': 'text',
    maxLength: 50,
    'x-excelHeaders': ['驾驶员', '司机', '司机姓名'],
    'x-width': 6,
  },
  driverIdNumber: {
    type: 'string',
    format: 'cn-id-number',
    'x-label': '驾驶员身份证号',
    'x-widget': 'idNumber',
    'x-excelHeaders': ['驾驶员身份证号码', '司机身份证号', '驾驶员证件号码'],
    'x-sensitive': true,
    'x-index': true,
    'x-width': 6,
  },
  mobile: {
    type: 'string',
    format: 'cn-mobile',
    'x-label': '驾驶员手机',
    'x-widget': 'mobile',
    'x-excelHeaders': ['手机', '手机号', '手机号码', '联系电话', '驾驶员电话'],
    'x-sensitive': true,
    'x-placeholder': '11 位手机号码',
    'x-width': 6,
  },
  cardType: {
    type: 'string',
    'x-label': '申请证件',
    'x-widget': 'cardType',
    'x-excelHeaders': ['证件类型'],
    'x-width': 6,
    enum: [],
  },
  zones: {
    type: 'array',
    'x-label': '通行区域',
    'x-widget': 'zones',
    uniqueItems: true,
    items: {
      type: 'string',
      enum: [],
    },
    'x-width': 6,
  },
};

export type CatalogKind = 'person' | 'vehicle';

export interface FieldTemplate {
  key: string;
  /** Part of the standard vocabulary (stable key other modules rely on). */
  standard: boolean;
  /** Required in a new event's form. */
  required: boolean;
  field: FormField;
}

const REQUIRED: Record<CatalogKind, readonly string[]> = {
  person: ['name', 'gender', 'idType', 'idNumber', 'organization', 'mobile', 'cardType', 'photo'],
  vehicle: ['plateNumber', 'vehicleType', 'organization', 'driverName', 'mobile', 'cardType'],
};

function templates(kind: CatalogKind, fields: Record<string, FormField>): FieldTemplate[] {
  return Object.entries(fields).map(([key, field]) => ({
    key,
    standard: STANDARD_FIELDS[kind].includes(key),
    required: REQUIRED[kind].includes(key),
    field,
  }));
}

/** Catalogue fields per record kind, in the order a new form lists them. */
export const FIELD_CATALOG: Readonly<Record<CatalogKind, readonly FieldTemplate[]>> = {
  person: templates('person', PERSON_FIELDS),
  vehicle: templates('vehicle', VEHICLE_FIELDS),
};

export function catalogField(kind: string, key: string): FieldTemplate | undefined {
  return kind === 'person' || kind === 'vehicle' ? FIELD_CATALOG[kind].find((t) => t.key === key) : undefined;
}

/** The value type each widget stores. */
export const WIDGET_TYPES: Readonly<Record<FormWidgetName, FormField['type']>> = {
  text: 'string',
  textarea: 'string',
  select: 'string',
  radio: 'string',
  checkbox: 'array',
  date: 'string',
  number: 'number',
  idNumber: 'string',
  mobile: 'string',
  plate: 'string',
  photo: 'string',
  cardType: 'string',
  zones: 'array',
};

export const WIDGET_LABELS: Readonly<Record<FormWidgetName, string>> = {
  text: '单行文本',
  textarea: '多行文本',
  select: '下拉选择',
  radio: '单选',
  checkbox: '多选',
  date: '日期',
  number: '数字',
  idNumber: '证件号码',
  mobile: '手机号码',
  plate: '车牌号码',
  photo: '照片',
  cardType: '证件类型',
  zones: '通行区域',
};

/**
 * A new custom field for a widget, with what the contract needs for it to validate (options for
 * choice widgets, the format for dates, items for multi-value fields).
 */
export function newField(widget: FormWidgetName, label: string): FormField {
  const field: FormField = { type: WIDGET_TYPES[widget], 'x-label': label, 'x-widget': widget, 'x-width': 6 };
  switch (widget) {
    case 'text':
      return { ...field, maxLength: 100 };
    case 'textarea':
      return { ...field, maxLength: 500, 'x-width': 12 };
    case 'select':
    case 'radio':
      return {
        ...field,
        oneOf: [
          { const: '1', title: '选项一' },
          { const: '2', title: '选项二' },
        ],
      };
    case 'checkbox':
      return { ...field, uniqueItems: true, items: { type: 'string', enum: ['选项一', '选项二'] } };
    case 'date':
      return { ...field, format: 'date' };
    case 'mobile':
      return { ...field, format: 'cn-mobile', 'x-sensitive': true };
    case 'plate':
      return { ...field, format: 'cn-plate', 'x-index': true };
    case 'idNumber':
      return { ...field, minLength: 5, maxLength: 30, 'x-sensitive': true, 'x-index': true };
    case 'zones':
      return { ...field, uniqueItems: true, items: { type: 'string', enum: [] } };
    case 'cardType':
      return { ...field, enum: [] };
    default:
      return field;
  }
}
