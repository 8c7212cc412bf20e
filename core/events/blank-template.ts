import type { CardLayout, CardTypesFile, FormSchema, PluginManifest } from '../types/generated/index.ts';
import { FIELD_CATALOG, type CatalogKind } from './field-catalog.ts';
import { reconcileDraft, type DraftFiles } from './draft-rules.ts';

export interface NewEventInfo {
  code: string;
  name: string;
  kind: PluginManifest['event']['kind'];
  organizer: string;
  startDate: string;
  endDate: string;
}

const FORM_GROUPS: Record<CatalogKind, { label: string; fields: string[] }[]> = {
  person: [
    { label: '基本信息', fields: ['name', 'gender', 'birthDate'] },
    { label: '身份证件', fields: ['idType', 'idNumber'] },
    { label: '单位与联系方式', fields: ['organization', 'position', 'mobile'] },
    { label: '申请证件', fields: ['cardType', 'zones', 'photo'] },
  ],
  vehicle: [
    { label: '车辆信息', fields: ['plateNumber', 'vehicleType', 'brandModel', 'organization'] },
    { label: '驾驶员', fields: ['driverName', 'mobile'] },
    { label: '申请证件', fields: ['cardType', 'zones'] },
  ],
};

/** A form with the catalogue's fields named by the groups, required as the catalogue says. */
function blankForm(kind: CatalogKind, label: string): FormSchema {
  const groups = FORM_GROUPS[kind];
  const keys = groups.flatMap((g) => g.fields);
  const templates = FIELD_CATALOG[kind].filter((t) => keys.includes(t.key));
  const properties: FormSchema['properties'] = {};
  for (const key of keys) {
    const template = templates.find((t) => t.key === key);
    if (template) properties[key] = structuredClone(template.field);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: label,
    type: 'object',
    'x-recordKind': kind,
    'x-label': label,
    'x-groups': groups as FormSchema['x-groups'],
    properties,
    required: templates.filter((t) => t.required).map((t) => t.key),
  };
}

const text = (size: number, bold = false) => ({
  fontFamily: 'Noto Sans SC',
  fontSizePt: size,
  ...(bold ? { fontWeight: 'bold' as const } : {}),
  color: '#1b2631',
});

function badgeLayout(): CardLayout {
  return {
    code: 'badge',
    name: '人员证件（竖版 CR80）',
    recordKind: 'person',
    size: { preset: 'CR80-PORTRAIT', widthMm: 54, heightMm: 85.6 },
    bleedMm: 2,
    safeMarginMm: 3,
    front: {
      background: { color: '#ffffff' },
      elements: [
        {
          id: 'event',
          type: 'field',
          xMm: 4,
          yMm: 4,
          widthMm: 46,
          heightMm: 8,
          field: 'eventName',
          fit: 'shrink',
          maxLines: 2,
          style: text(7, true),
        },
        { id: 'band', type: 'band', xMm: -2, yMm: 13.5, widthMm: 58, heightMm: 9, color: 'cardType' },
        {
          id: 'photo',
          type: 'photo',
          xMm: 16,
          yMm: 25,
          widthMm: 22,
          heightMm: 29.3,
          field: 'photo',
          fit: 'cover',
        },
        {
          id: 'name',
          type: 'field',
          xMm: 4,
          yMm: 57,
          widthMm: 46,
          heightMm: 7,
          field: 'name',
          fit: 'shrink',
          style: { ...text(12, true), align: 'center' },
        },
        {
          id: 'organization',
          type: 'field',
          xMm: 4,
          yMm: 64.5,
          widthMm: 46,
          heightMm: 5,
          field: 'organization',
          fit: 'shrink',
          style: { ...text(7), align: 'center' },
        },
        {
          id: 'cardNumber',
          type: 'field',
          xMm: 4,
          yMm: 77,
          widthMm: 30,
          heightMm: 4,
          field: 'cardNumber',
          style: text(6),
        },
        {
          id: 'qr',
          type: 'qrcode',
          xMm: 37,
          yMm: 70,
          widthMm: 13,
          heightMm: 13,
          field: 'verifyToken',
          errorCorrection: 'M',
        },
      ],
    },
  } as CardLayout;
}

function vehicleLayout(): CardLayout {
  return {
    code: 'vehicle',
    name: '车辆通行证（A5 横版）',
    recordKind: 'vehicle',
    size: { preset: 'VEHICLE-A5', widthMm: 210, heightMm: 148 },
    bleedMm: 3,
    safeMarginMm: 5,
    front: {
      background: { color: '#ffffff' },
      elements: [
        {
          id: 'event',
          type: 'field',
          xMm: 10,
          yMm: 10,
          widthMm: 190,
          heightMm: 12,
          field: 'eventName',
          fit: 'shrink',
          style: text(20, true),
        },
        { id: 'band', type: 'band', xMm: -3, yMm: 26, widthMm: 216, heightMm: 22, color: 'cardType' },
        {
          id: 'plate',
          type: 'field',
          xMm: 10,
          yMm: 58,
          widthMm: 190,
          heightMm: 34,
          field: 'plateNumber',
          fit: 'shrink',
          style: { ...text(72, true), align: 'center' },
        },
        {
          id: 'zones',
          type: 'field',
          xMm: 10,
          yMm: 100,
          widthMm: 140,
          heightMm: 14,
          field: 'zoneNames',
          fit: 'shrink',
          style: text(24, true),
        },
        {
          id: 'cardNumber',
          type: 'field',
          xMm: 10,
          yMm: 126,
          widthMm: 100,
          heightMm: 8,
          field: 'cardNumber',
          style: text(12),
        },
        {
          id: 'qr',
          type: 'qrcode',
          xMm: 165,
          yMm: 100,
          widthMm: 35,
          heightMm: 35,
          field: 'verifyToken',
          errorCorrection: 'M',
        },
      ],
    },
  } as CardLayout;
}

/**
 * A blank event that is usable at once: person and vehicle forms from the standard field
 * vocabulary, one zone, a staff card and a vehicle pass with plain layouts. The admin renames and
 * extends it in the designer.
 */
export function blankEventFiles(info: NewEventInfo, pluginCode: string): DraftFiles {
  const manifest: PluginManifest = {
    schemaVersion: 1,
    code: pluginCode,
    version: '1.0.0',
    name: info.name,
    event: {
      code: info.code,
      name: info.name,
      kind: info.kind,
      organizer: info.organizer,
      startDate: info.startDate,
      endDate: info.endDate,
      timezone: 'Asia/Shanghai',
      venues: [{ code: 'MAIN', name: '主场馆' }],
      zones: [{ code: 'A', name: '全部区域', color: '#c0392b', venue: 'MAIN' }],
    },
    recordKinds: [
      { kind: 'person', label: '人员', form: 'forms/person.json' },
      { kind: 'vehicle', label: '车辆', form: 'forms/vehicle.json' },
    ],
    cardTypes: 'card-types.json',
    layouts: ['layouts/badge.json', 'layouts/vehicle.json'],
    photo: { minWidthPx: 358, minHeightPx: 441, aspectRatio: 0.75, maxBytes: 2000000, background: 'white' },
  } as PluginManifest;
  const cardTypes: CardTypesFile = {
    cardTypes: [
      {
        code: 'STAFF',
        name: '工作证',
        recordKind: 'person',
        important: false,
        importanceLevel: 5,
        zones: ['A'],
        color: '#2471a3',
        numbering: { pattern: `${info.code}-S{seq:5}` },
        quota: { perUnit: null, total: null },
        layout: 'badge',
      },
      {
        code: 'VEHICLE',
        name: '车辆通行证',
        recordKind: 'vehicle',
        important: false,
        importanceLevel: 6,
        zones: ['A'],
        color: '#566573',
        numbering: { pattern: `${info.code}-V{seq:5}` },
        quota: { perUnit: null, total: null },
        layout: 'vehicle',
      },
    ],
  };
  return reconcileDraft({
    'plugin.json': manifest,
    'forms/person.json': blankForm('person', '人员信息'),
    'forms/vehicle.json': blankForm('vehicle', '车辆信息'),
    'card-types.json': cardTypes,
    'layouts/badge.json': badgeLayout(),
    'layouts/vehicle.json': vehicleLayout(),
  });
}
