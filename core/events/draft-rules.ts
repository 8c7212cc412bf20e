import type { CardType, FormField, FormSchema, PluginManifest } from '../types/generated/index.ts';

/** JSON files of a plugin being edited: path → parsed JSON. Assets are kept apart. */
export type DraftFiles = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function manifestOf(files: DraftFiles): PluginManifest | undefined {
  const m = files['plugin.json'];
  return isObject(m) ? (m as unknown as PluginManifest) : undefined;
}

function cardTypesOf(files: DraftFiles, manifest: PluginManifest): CardType[] {
  const file = typeof manifest.cardTypes === 'string' ? files[manifest.cardTypes] : undefined;
  const list = isObject(file) ? file.cardTypes : undefined;
  return Array.isArray(list) ? (list as CardType[]) : [];
}

/**
 * The parts of a plugin that follow from other parts, brought back in line after an edit in the
 * designer, so an admin never has to keep two lists in step by hand:
 * - a form's `cardType` field offers exactly the card types of its record kind;
 * - a `zones` field offers only zones the event still has (all of them when none is left);
 * - card types keep only existing zones, and per-unit quotas only non-negative numbers;
 * - `required` and `x-groups` name only fields that still exist; fields in no group go to the last.
 * Returns new file contents; the input is not changed.
 */
export function reconcileDraft(input: DraftFiles): DraftFiles {
  const files: DraftFiles = structuredClone(input);
  const manifest = manifestOf(files);
  if (!manifest) return files;
  const zones = Array.isArray(manifest.event?.zones)
    ? manifest.event.zones.map((z) => z.code).filter((c) => typeof c === 'string')
    : [];
  const cardTypes = cardTypesOf(files, manifest);
  for (const type of cardTypes) {
    if (Array.isArray(type.zones)) type.zones = type.zones.filter((z) => zones.includes(z));
  }
  for (const kind of Array.isArray(manifest.recordKinds) ? manifest.recordKinds : []) {
    const form = files[kind.form];
    if (!isObject(form) || !isObject(form.properties)) continue;
    reconcileForm(
      form as unknown as FormSchema,
      cardTypes.filter((t) => t.recordKind === kind.kind).map((t) => t.code),
      zones,
    );
  }
  return files;
}

function reconcileForm(form: FormSchema, cardTypeCodes: string[], zones: string[]): void {
  const keys = Object.keys(form.properties);
  for (const key of keys) {
    const field = form.properties[key] as FormField;
    if (field['x-widget'] === 'cardType' && cardTypeCodes.length > 0) {
      delete field.oneOf;
      field.enum = cardTypeCodes as FormField['enum'];
      if (typeof field.default === 'string' && !cardTypeCodes.includes(field.default)) delete field.default;
    }
    if (field['x-widget'] === 'zones' && zones.length > 0) {
      const items = field.items ?? { type: 'string' };
      const kept = (items.enum ?? []).filter((z) => zones.includes(String(z)));
      delete items.oneOf;
      field.items = { ...items, type: 'string', enum: (kept.length ? kept : zones) as [string, ...string[]] };
    }
  }
  if (form.required) form.required = form.required.filter((k) => keys.includes(k));
  if (form['x-groups']) {
    const groups = form['x-groups']
      .map((g) => ({ ...g, fields: g.fields.filter((f) => keys.includes(f)) }))
      .filter((g) => g.fields.length > 0);
    const grouped = new Set(groups.flatMap((g) => g.fields));
    const loose = keys.filter((k) => !grouped.has(k));
    if (loose.length > 0) {
      const last = groups.at(-1);
      if (last) last.fields.push(...loose);
      else groups.push({ label: '基本信息', fields: loose });
    }
    form['x-groups'] = groups as FormSchema['x-groups'];
  }
}
