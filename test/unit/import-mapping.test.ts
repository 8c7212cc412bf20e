import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyProfile,
  headerScore,
  matchColumns,
  normalizeHeader,
  suggestProfile,
  type MappingFormLike,
} from '../../core/import/mapping.ts';
import type { SheetCell, SheetRow } from '../../core/import/types.ts';
import {
  loadPluginFolder,
  normalizeHeader as pluginNormalizeHeader,
  type LoadedPlugin,
  type MappingProfile,
} from '../../core/plugins/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
let expo: LoadedPlugin;
let marathon: LoadedPlugin;

async function load(name: string): Promise<LoadedPlugin> {
  const r = await loadPluginFolder(path.join(root, 'plugins', name));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plugin;
}

beforeAll(async () => {
  expo = await load('demo-expo');
  marathon = await load('city-marathon');
});

const text = (t: string): SheetCell => ({ text: t, numeric: false });
const num = (t: string): SheetCell => ({ text: t, numeric: true });
/** A sheet row from header → cell pairs, in the order of `headers`. */
function rowOf(headers: string[], cells: Record<string, SheetCell | string>, row = 4): SheetRow {
  return {
    row,
    cells: headers.map((h) => {
      const c = cells[h];
      return c === undefined ? null : typeof c === 'string' ? text(c) : c;
    }),
  };
}
const eventOf = (p: LoadedPlugin) => ({ cardTypes: p.cardTypes, zones: p.manifest.event.zones });
const person = () => expo.forms.person as MappingFormLike;

describe('normalizeHeader', () => {
  it.each([
    ['姓\u3000名*', '姓名'],
    ['＊姓 名', '姓名'],
    ['姓\u00A0名', '姓名'],
    ['【姓名】', '姓名'],
    ['身份证号码（必填）', '身份证号码'],
    ['身份证号码(选填)', '身份证号码'],
    ['身份证号码【必填】', '身份证号码'],
    ['身份证号码（18位）', '身份证号码18位'],
    ['国籍/地区', '国籍地区'],
    ['职务、职称', '职务职称'],
    ['出生日期：', '出生日期'],
    ['ＩＤ\u3000Number', 'idnumber'],
    ['E-mail', 'email'],
    ['必填', '必填'],
    ['  ', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizeHeader(input)).toBe(expected);
  });

  it('is one rule: the plugin host re-exports the same function', () => {
    expect(pluginNormalizeHeader).toBe(normalizeHeader);
  });
});

describe('headerScore', () => {
  it('scores exact headers 1, containing headers less, others 0', () => {
    const score = headerScore(person(), expo.mappings);
    expect(score('姓　名*')).toBe(1);
    expect(score('公民身份号码')).toBe(1); // built-in synonym
    expect(score('出生年月')).toBe(1);
    const contained = score('身份证号码（18位）');
    expect(contained).toBeGreaterThan(0.5);
    expect(contained).toBeLessThan(1);
    expect(score('序号')).toBe(0);
    expect(score('')).toBe(0);
    // A sentence of notes that mentions a header is not a header.
    expect(score('填表说明：身份证号码请设置为文本格式，照片以身份证号码命名后打包上传')).toBe(0);
    expect(score('2026中国国际数字经济博览会人员证件申报表')).toBe(0);
  });
});

describe('suggestProfile', () => {
  const messy = [
    '序号',
    '姓\u3000名*',
    '性别',
    '民族',
    '出生年月',
    '身份证号码（必填）',
    '工作单位及职务',
    '手机',
    '申请证件类型',
    '照片文件名',
    '备注',
  ];

  it('maps a messy office header row column by column', () => {
    const s = suggestProfile(person(), 'person', messy, eventOf(expo));
    expect(s.columns.map((c) => c.field)).toEqual([
      null,
      'name',
      'gender',
      'ethnicity',
      'birthDate',
      'idNumber',
      'organization',
      'mobile',
      'cardType',
      'photo',
      'remark',
    ]);
    const by = Object.fromEntries(s.columns.map((c) => [c.header, c]));
    expect(by['姓\u3000名*']).toMatchObject({ confidence: 1, source: 'label' });
    expect(by['出生年月']).toMatchObject({ confidence: 1, source: 'synonym' });
    expect(by['身份证号码（必填）']).toMatchObject({ confidence: 1, source: 'excelHeaders' });
    expect(by['工作单位及职务']!.source).toBe('contains');
    expect(by['工作单位及职务']!.confidence).toBeGreaterThan(0.5);
    expect(by['工作单位及职务']!.confidence).toBeLessThan(1);
    expect(by['序号']).toMatchObject({ field: null, confidence: 0 });
    // The ID type is not in the sheet: the form's default (居民身份证) is a visible fixed value.
    expect(s.profile.fixed).toEqual({ idType: '1' });
    expect(s.unmatchedRequired).toEqual([]);
    expect(s.profile).toMatchObject({ code: 'auto', name: '自动识别', recordKind: 'person' });
    expect(s.basedOn).toBeNull();
    // Each field once, each column once.
    const fields = s.profile.columns.map((c) => c.field);
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('adds default transforms by widget', () => {
    const s = suggestProfile(person(), 'person', messy, eventOf(expo));
    const col = (f: string) => s.profile.columns.find((c) => c.field === f)!;
    expect(col('name').transforms).toEqual([{ op: 'trim' }]);
    expect(col('idNumber').transforms).toEqual([{ op: 'halfWidth' }, { op: 'trim' }, { op: 'upper' }]);
    expect(col('mobile').transforms).toEqual([{ op: 'halfWidth' }, { op: 'trim' }]);
    expect(col('birthDate').transforms).toEqual([{ op: 'trim' }, { op: 'date' }]);
    const gender = col('gender').transforms![1]!;
    expect(gender).toMatchObject({ op: 'map', otherwise: 'reject' });
    expect(gender.op === 'map' && gender.values).toMatchObject({
      男: 'M',
      女: 'F',
      男性: 'M',
      M: 'M',
      male: 'M',
      '1': 'M',
    });
    const card = col('cardType').transforms![1]!;
    expect(card.op === 'map' && card.values).toMatchObject({ 贵宾证: 'VIP', 工作证: 'STAFF', VIP: 'VIP' });
    expect(col('idNumber').required).toBe(true);
  });

  it('starts from a plugin profile that fits, keeping its transforms', () => {
    const s = suggestProfile(person(), 'person', messy, { profiles: expo.mappings });
    expect(s.basedOn).toBe('person-standard');
    expect(s.columns.find((c) => c.header === '性别')).toMatchObject({ source: 'profile', confidence: 1 });
    // 申请证件类型 is not among the profile's headers, yet the profile's cardType map comes along.
    const card = s.profile.columns.find((c) => c.field === 'cardType')!;
    expect(card.headers[0]).toBe('申请证件类型');
    expect(card.transforms).toEqual(
      expo.mappings[0]!.columns.find((c) => c.field === 'cardType')!.transforms,
    );
    expect(s.columns.find((c) => c.header === '工作单位及职务')!.field).toBe('organization');
    const m = matchColumns(s.profile, messy);
    expect(m.missing.filter((x) => x.required)).toEqual([]);
  });

  it('gives 证件类型 to the ID type when 人员类别 names the card (best overall assignment)', () => {
    const headers = [
      '姓名',
      '性别',
      '证件类型',
      '证件号码',
      '所属单位/代表队',
      '人员类别',
      '联系电话',
      '紧急联系人',
      '紧急联系电话',
      '血型',
    ];
    const s = suggestProfile(marathon.forms.person as MappingFormLike, 'person', headers, eventOf(marathon));
    expect(s.columns.map((c) => c.field)).toEqual([
      'name',
      'gender',
      'idType',
      'idNumber',
      'organization',
      'cardType',
      'mobile',
      'emergencyContact',
      'emergencyPhone',
      'bloodType',
    ]);
    expect(s.columns.every((c) => c.confidence === 1)).toBe(true);
  });

  it('maps a vehicle sheet and fixes the only card type of the kind', () => {
    const headers = [
      '序号',
      '车牌号',
      '车辆类型',
      '品牌型号',
      '单位名称',
      '司机',
      '司机身份证号',
      '司机电话',
    ];
    const s = suggestProfile(expo.forms.vehicle as MappingFormLike, 'vehicle', headers, eventOf(expo));
    expect(s.columns.map((c) => c.field)).toEqual([
      null,
      'plateNumber',
      'vehicleType',
      'brandModel',
      'organization',
      'driverName',
      'driverIdNumber',
      'mobile',
    ]);
    expect(s.profile.fixed).toEqual({ cardType: 'VEHICLE' });
    expect(s.unmatchedRequired).toEqual([]);
    const plate = s.profile.columns.find((c) => c.field === 'plateNumber')!;
    expect(plate.transforms).toEqual([{ op: 'halfWidth' }, { op: 'trim' }, { op: 'upper' }]);
  });

  it('lists required fields no column feeds', () => {
    const s = suggestProfile(person(), 'person', ['姓名', '备注'], eventOf(expo));
    expect(s.unmatchedRequired).toEqual(['gender', 'idNumber', 'organization', 'mobile', 'cardType']);
  });
});

describe('applyProfile', () => {
  const headers = ['姓名', '性别', '出生日期', '身份证号', '手机', '申请证件', '通行区域', '单位'];
  const suggest = () => suggestProfile(person(), 'person', headers, eventOf(expo)).profile;

  it('runs the transforms: trims, maps choices, reads dates, folds widths', () => {
    const profile = suggest();
    const m = matchColumns(profile, headers);
    const r = applyProfile(
      profile,
      m,
      rowOf(headers, {
        姓名: '\u3000张三 ',
        性别: '男性',
        出生日期: '1990年3月7日',
        身份证号: '１１０１０５１９４９１２３１００２ｘ',
        手机: '１３８ 0013 8000',
        申请证件: '贵宾',
        通行区域: '展馆区、主会场',
        单位: ' 滨江市某某公司',
      }),
    );
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({
      name: '张三',
      gender: 'M',
      birthDate: '1990-03-07',
      idNumber: '11010519491231002X',
      mobile: '138 0013 8000',
      cardType: 'VIP',
      zones: ['A', 'B'],
      organization: '滨江市某某公司',
      idType: '1',
    });
    // Width and case do not make another spelling; codes are accepted too.
    const r2 = applyProfile(profile, m, rowOf(headers, { 性别: 'Ｆ', 申请证件: 'staff', 通行区域: 'a,p' }));
    expect(r2.values).toMatchObject({ gender: 'F', cardType: 'STAFF', zones: ['A', 'P'] });
  });

  it('a value the map rejects is an issue, the raw text kept', () => {
    const profile = suggest();
    const r = applyProfile(
      profile,
      matchColumns(profile, headers),
      rowOf(headers, { 性别: '未知', 通行区域: '展馆区、火星' }),
    );
    expect(r.issues).toEqual([
      { field: 'gender', code: 'not-in-map', message: '值“未知”不在对照表中，可选：男、女' },
      expect.objectContaining({ field: 'zones', code: 'not-in-map' }),
    ]);
    expect(r.issues[1]!.message).toMatch(/^值“火星”不在对照表中，可选：展馆区、主会场/);
    expect(r.values.gender).toBe('未知');
    expect(r.values.zones).toBe('展馆区、火星');
  });

  it('a date cell gives its ISO date to a date field', () => {
    const profile = suggest();
    const r = applyProfile(
      profile,
      matchColumns(profile, headers),
      rowOf(headers, { 出生日期: { text: '32939', numeric: true, date: '1990-03-07' } }),
    );
    expect(r.values.birthDate).toBe('1990-03-07');
  });

  it('an ID number Excel stored as a number is flagged, never passed on as valid', () => {
    const profile = suggest();
    const m = matchColumns(profile, headers);
    for (const shown of ['110105194912310000', '1.10105E+17', '1.10105194912310E+17']) {
      const r = applyProfile(profile, m, rowOf(headers, { 身份证号: num(shown), 手机: num('13800138000') }));
      expect(r.issues).toEqual([
        {
          field: 'idNumber',
          code: 'id-number-as-number',
          message: `证件号码在 Excel 中被存成了数字，后几位已丢失（显示为 ${shown}）。请把该列设为“文本”格式后重新填写`,
        },
      ]);
      expect(r.values.idNumber).toBe(shown);
      expect(r.values.mobile).toBe('13800138000');
    }
    // Fifteen digits fit in a number: a legacy ID stored as one is intact.
    const legacy = applyProfile(profile, m, rowOf(headers, { 身份证号: num('110105491231002') }));
    expect(legacy.issues).toEqual([]);
    // Any field with x-widget idNumber counts when the form is given.
    const form: MappingFormLike = {
      properties: { guardianId: { type: 'string', 'x-label': '监护人证件号', 'x-widget': 'idNumber' } },
    };
    const p2: MappingProfile = {
      code: 'g',
      name: 'g',
      recordKind: 'person',
      columns: [{ headers: ['监护人证件号'], field: 'guardianId' }],
    };
    const r = applyProfile(
      p2,
      matchColumns(p2, ['监护人证件号']),
      rowOf(['监护人证件号'], { 监护人证件号: num('1.1E+17') }),
      {
        form,
      },
    );
    expect(r.issues[0]!.code).toBe('id-number-as-number');
  });

  it('split, lower, date formats, map otherwise keep, and fixed values', () => {
    const profile: MappingProfile = {
      code: 'custom',
      name: '自定义',
      recordKind: 'person',
      columns: [
        { headers: ['学院'], field: 'organization', transforms: [{ op: 'split', separator: '/', index: 0 }] },
        { headers: ['部门'], field: 'position', transforms: [{ op: 'split', separator: '/', index: -1 }] },
        { headers: ['邮箱'], field: 'remark', transforms: [{ op: 'trim' }, { op: 'lower' }] },
        { headers: ['生日'], field: 'birthDate', transforms: [{ op: 'date', formats: ['DD/MM/YYYY'] }] },
        {
          headers: ['民族'],
          field: 'ethnicity',
          transforms: [{ op: 'map', values: { 汉: '汉族' }, otherwise: 'keep' }],
        },
      ],
      fixed: { cardType: 'STAFF', zones: ['A', 'C'] },
    };
    const headers2 = ['学院', '部门', '邮箱', '生日', '民族'];
    const m = matchColumns(profile, headers2);
    const r = applyProfile(
      profile,
      m,
      rowOf(headers2, {
        学院: '滨江大学/计算机学院',
        部门: '团委/志愿者部',
        邮箱: ' A@B.CN ',
        生日: '07/03/1990',
        民族: '汉',
      }),
    );
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({
      organization: '滨江大学',
      position: '志愿者部',
      remark: 'a@b.cn',
      birthDate: '1990-03-07',
      ethnicity: '汉族',
      cardType: 'STAFF',
      zones: ['A', 'C'],
    });
    expect(applyProfile(profile, m, rowOf(headers2, { 民族: '回族' })).values.ethnicity).toBe('回族');
  });
});

describe('plugin profiles on their own sheets', () => {
  it('demo-expo person-standard', () => {
    const profile = expo.mappings.find((p) => p.code === 'person-standard')!;
    const headers = [
      '序号',
      '姓名',
      '性别',
      '民族',
      '身份证件类型',
      '身份证号码',
      '单位名称',
      '职务',
      '联系电话',
      '证件类型',
      '照片',
    ];
    const m = matchColumns(profile, headers);
    expect(m.missing.filter((x) => x.required)).toEqual([]);
    expect(m.columns.map((c) => [c.field, c.col])).toContainEqual(['idNumber', 5]);
    const r = applyProfile(
      profile,
      m,
      rowOf(headers, {
        姓名: '李 四 ',
        性别: '女',
        身份证件类型: '台胞证',
        身份证号码: ' 8300001990010112３4 ',
        单位名称: '滨江日报社',
        联系电话: '13900139000',
        证件类型: '记者证',
        照片: 'lisi.jpg',
      }),
    );
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({
      name: '李 四',
      gender: 'F',
      idType: '3',
      idNumber: '830000199001011234',
      organization: '滨江日报社',
      mobile: '13900139000',
      cardType: 'PRESS',
      photo: 'lisi.jpg',
    });
  });

  it('demo-expo vehicle-standard: fixed card type and zone', () => {
    const profile = expo.mappings.find((p) => p.code === 'vehicle-standard')!;
    const headers = ['车牌', '车型', '使用单位', '驾驶员', '驾驶员身份证号码', '手机'];
    const m = matchColumns(profile, headers);
    const r = applyProfile(
      profile,
      m,
      rowOf(headers, {
        车牌: '浙ａ１２３４５',
        车型: '大巴',
        使用单位: '滨江公交',
        驾驶员: '王五',
        手机: '13700137000',
      }),
    );
    expect(r.values).toMatchObject({
      plateNumber: '浙A12345',
      vehicleType: 'LARGE',
      cardType: 'VEHICLE',
      zones: ['P'],
    });
    expect(m.missing).toEqual([
      { field: 'brandModel', headers: ['品牌型号', '车辆品牌', '厂牌型号'], required: false },
      { field: 'bodyColor', headers: ['车身颜色', '颜色'], required: false },
    ]);
  });

  it('city-marathon volunteers: split school name, fixed values; chosen by suggestProfile', () => {
    const headers = [
      '序号',
      '姓名',
      '性别',
      '身份证号',
      '学校/学院',
      '服务岗位',
      '手机号码',
      '紧急联系人',
      '紧急联系电话',
    ];
    const s = suggestProfile(marathon.forms.person as MappingFormLike, 'person', headers, {
      profiles: marathon.mappings,
      ...eventOf(marathon),
    });
    expect(s.basedOn).toBe('volunteers');
    expect(s.columns.slice(1).every((c) => c.source === 'profile' && c.confidence === 1)).toBe(true);
    const r = applyProfile(
      s.profile,
      matchColumns(s.profile, headers),
      rowOf(headers, {
        姓名: '赵六',
        性别: 'Female',
        '学校/学院': '滨江大学/外国语学院',
        手机号码: '13600136000',
      }),
    );
    expect(r.values).toMatchObject({
      name: '赵六',
      gender: 'F',
      organization: '滨江大学',
      mobile: '13600136000',
      cardType: 'VOLUNTEER',
      idType: '1',
      nationality: '中国',
    });
  });

  it('city-marathon officials-media: blood type upper-cased then mapped', () => {
    const profile = marathon.mappings.find((p) => p.code === 'officials-media')!;
    const headers = ['姓名', '性别', '身份证号码', '所属单位', '手机', '人员类别', '血型'];
    const r = applyProfile(
      profile,
      matchColumns(profile, headers),
      rowOf(headers, { 姓名: '钱七', 性别: 'Male', 人员类别: '裁判员', 血型: 'ab型' }),
    );
    expect(r.values).toMatchObject({ gender: 'M', cardType: 'OFFICIAL', bloodType: 'AB' });
  });
});
