import { toHalfWidth } from '../validation/format-result.ts';

/**
 * The built-in header dictionary of the import mapping (browser-safe): how collection sheets
 * written in Chinese offices name the standard fields, and the one rule by which two headers are
 * "the same". Forms add their own spellings (`x-excelHeaders`) and mapping profiles theirs; those
 * win over this dictionary when they disagree (see mapping.ts).
 */

/**
 * Hints written next to a header that say nothing about which field it is. They are dropped only
 * inside brackets ("身份证号码（必填）"), so a header that *is* such a word stays as it is.
 */
const HINT_WORDS = [
  '必填',
  '必填项',
  '必须填写',
  '选填',
  '选填项',
  '非必填',
  '可选',
  '可不填',
  '如有',
  '若有',
  'required',
  'optional',
];
// After toHalfWidth, （） are (); 【】〔〕 have no half-width form.
const BRACKETED_HINT = new RegExp(`[(\\[【〔]\\s*(?:${HINT_WORDS.join('|')})\\s*[)\\]】〕]`, 'giu');

/** Blanks (incl. NBSP and zero-width characters), punctuation and symbols: noise in a header. */
const NOISE = /[\p{P}\p{S}\p{Z}\s\u00AD\u180E\u200B-\u200D\u2060\uFEFF]/gu;

/**
 * The comparison key of a header: full-width folded to half-width, bracketed hints such as
 * （必填）/（选填） dropped, blanks (U+3000 and NBSP included), punctuation and symbols removed,
 * letters lower-cased. So “姓 名*” (with U+3000), “姓名” and “【姓名】” are one header, and
 * “身份证号码（必填）” is “身份证号码”. Other bracketed words stay (without the brackets):
 * “身份证号码（18位）” is a longer header that merely contains “身份证号码”.
 */
export function normalizeHeader(text: string): string {
  return toHalfWidth(text).replace(BRACKETED_HINT, '').replace(NOISE, '').toLowerCase();
}

/**
 * Header spellings of the standard field vocabulary and common extras, as found in real
 * collection sheets. Keys are field keys; a spelling applies only when the form has that field.
 * Spellings that mean different fields in different offices (“证件类型”: the ID document or the
 * requested card?) go to the more common meaning; a form's own `x-excelHeaders` overrides.
 */
export const HEADER_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  // person
  name: ['姓名', '名字', '人员姓名', '中文姓名', '真实姓名', '申请人', '申请人姓名', '持证人', '持证人姓名'],
  gender: ['性别', '性別'],
  ethnicity: ['民族', '族别'],
  birthDate: ['出生日期', '出生年月', '出生年月日', '生日', '出生时间', '出生'],
  idType: ['身份证件类型', '身份证件种类', '证件种类', '证件类型', '有效证件类型', '证件名称'],
  idNumber: [
    '身份证号',
    '身份证号码',
    '公民身份号码',
    '公民身份证号码',
    '居民身份证号码',
    '身份证件号码',
    '身份证件号',
    '身份号码',
    '证件号码',
    '证件号',
    '证件编号',
    '有效证件号码',
    '身份证',
    '护照号码',
    '护照号',
  ],
  organization: [
    '单位',
    '工作单位',
    '单位名称',
    '所在单位',
    '所属单位',
    '工作单位名称',
    '申报单位',
    '服务单位',
    '公司',
    '公司名称',
    '机构',
    '机构名称',
  ],
  position: ['职务', '职位', '职称', '职务/职称', '职务职称', '岗位', '工作岗位'],
  mobile: [
    '手机',
    '手机号',
    '手机号码',
    '联系电话',
    '联系方式',
    '电话',
    '电话号码',
    '移动电话',
    '联系手机',
    '驾驶员手机',
    '驾驶员电话',
    '司机电话',
    '司机手机',
  ],
  cardType: ['申请证件', '申请证件类型', '申请证件类别', '证件类别', '申领证件', '申请类别', '人员类别'],
  zones: ['通行区域', '区域', '申请区域', '通行范围', '通行权限', '权限区域'],
  photo: ['照片', '照片文件名', '照片名', '照片名称', '相片', '相片文件名', '证件照', '免冠照片', '照片文件'],
  // vehicle
  plateNumber: ['车牌号码', '车牌号', '车牌', '号牌号码', '号牌', '车号', '机动车号牌'],
  vehicleType: ['车辆类型', '车型', '车辆类别', '车辆种类'],
  brandModel: ['品牌型号', '车辆品牌', '厂牌型号', '品牌', '车辆型号', '车辆品牌型号'],
  driverName: ['驾驶员姓名', '驾驶员', '司机', '司机姓名', '驾驶人', '驾驶人姓名'],
  driverIdNumber: [
    '驾驶员身份证号',
    '驾驶员身份证号码',
    '驾驶员证件号码',
    '驾驶人身份证号码',
    '司机身份证号',
    '司机身份证号码',
    '驾驶证号',
    '驾驶证号码',
  ],
  // common extras
  nationality: ['国籍', '国籍/地区', '国家/地区', '国家地区', '国别'],
  remark: ['备注', '说明', '备注说明'],
  bodyColor: ['车身颜色', '颜色', '车辆颜色'],
  email: ['电子邮箱', '邮箱', '电子邮件', 'email', 'e-mail'],
  emergencyContact: ['紧急联系人', '紧急联系人姓名'],
  emergencyPhone: ['紧急联系电话', '紧急联系人电话', '紧急联系人手机'],
};

/**
 * Other ways offices write an option's display text (the form's `oneOf` title), for the value
 * maps that mapping suggestions build. Gender codes 1/2 are GB/T 2261.1's.
 */
export const OPTION_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  男: ['男性', 'male', 'm', '1'],
  女: ['女性', 'female', 'f', '2'],
  居民身份证: ['身份证', '二代身份证', '居民身份证号码', '中华人民共和国居民身份证'],
  港澳居民来往内地通行证: ['回乡证', '港澳居民通行证'],
  台湾居民来往大陆通行证: ['台胞证', '台湾居民通行证'],
  护照: ['passport', '外国护照'],
  外国人永久居留身份证: ['永久居留证', '外国人永久居留证', '永居证'],
  港澳台居民居住证: ['居住证'],
  是: ['y', 'yes', '√', 'true', '有'],
  否: ['n', 'no', '×', 'false', '无'],
};
