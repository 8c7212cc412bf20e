import type { CardSize } from '../types/generated/index.ts';

/**
 * Fields the engine supplies to every card, whatever the event: a layout may bind them like
 * form fields. Keys are stable (layouts and templates refer to them).
 */
export interface SystemField {
  key: SystemFieldKey;
  label: string;
  description: string;
}

export type SystemFieldKey =
  | 'cardNumber'
  | 'cardTypeCode'
  | 'cardTypeName'
  | 'eventCode'
  | 'eventName'
  | 'unitCode'
  | 'unitName'
  | 'zoneNames'
  | 'verifyToken'
  | 'verifyUrl'
  | 'issueDate';

export const SYSTEM_FIELDS: readonly SystemField[] = [
  { key: 'cardNumber', label: '证件编号', description: '按证件类型的编号规则生成，如 VIP-00001' },
  { key: 'cardTypeCode', label: '证件类型代码', description: '如 VIP、STAFF' },
  { key: 'cardTypeName', label: '证件类型', description: '如 贵宾证、工作证' },
  { key: 'eventCode', label: '活动代码', description: '如 EXPO2026' },
  { key: 'eventName', label: '活动名称', description: '活动全称' },
  { key: 'unitCode', label: '申报单位代码', description: '提交该记录的单位代码' },
  { key: 'unitName', label: '申报单位', description: '提交该记录的单位名称' },
  { key: 'zoneNames', label: '通行区域', description: '本证可进入的区域名称，以顿号分隔' },
  { key: 'verifyToken', label: '核验码', description: '现场扫码核验证件真伪与状态的令牌（二维码内容）' },
  {
    key: 'verifyUrl',
    label: '核验网址',
    description:
      '打开即核验的网址（<系统网址>/v/<核验码>；未设置 TESSERA_PUBLIC_URL 时即核验码），二维码通常绑定它',
  },
  { key: 'issueDate', label: '签发日期', description: '证件签发（打印）日期，YYYY-MM-DD' },
];

const SYSTEM_FIELD_KEYS: ReadonlySet<string> = new Set(SYSTEM_FIELDS.map((f) => f.key));

export function isSystemField(name: string): name is SystemFieldKey {
  return SYSTEM_FIELD_KEYS.has(name);
}

/** Standard field vocabulary (stable keys); events may add more. */
export const STANDARD_FIELDS: Readonly<Record<'person' | 'vehicle', readonly string[]>> = {
  person: [
    'name',
    'gender',
    'ethnicity',
    'birthDate',
    'idType',
    'idNumber',
    'organization',
    'position',
    'mobile',
    'cardType',
    'zones',
    'photo',
  ],
  vehicle: [
    'plateNumber',
    'vehicleType',
    'brandModel',
    'driverName',
    'driverIdNumber',
    'mobile',
    'cardType',
    'zones',
  ],
};

/** Trimmed card sizes of the layout presets, in millimetres. */
export const LAYOUT_SIZE_PRESETS = {
  CR80: { widthMm: 85.6, heightMm: 54 },
  'CR80-PORTRAIT': { widthMm: 54, heightMm: 85.6 },
  A6: { widthMm: 105, heightMm: 148 },
  A7: { widthMm: 74, heightMm: 105 },
  '90x54': { widthMm: 90, heightMm: 54 },
  'VEHICLE-A5': { widthMm: 210, heightMm: 148 },
} as const satisfies Record<Exclude<CardSize['preset'], 'custom'>, { widthMm: number; heightMm: number }>;
