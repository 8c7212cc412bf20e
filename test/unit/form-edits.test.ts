import { describe, expect, it } from 'vitest';
import { blankEventFiles } from '../../core/events/blank-template.ts';
import { catalogField, newField } from '../../core/events/field-catalog.ts';
import {
  addField,
  addSection,
  changeWidget,
  fieldKeyProblem,
  moveField,
  nudgeField,
  optionsOf,
  removeField,
  removeSection,
  sectionsOf,
  setRequired,
  withOptions,
} from '../../core/events/form-edits.ts';
import { reconcileDraft } from '../../core/events/draft-rules.ts';
import { validatePluginBundle } from '../../core/plugins/index.ts';
import type { FormSchema } from '../../core/plugins/index.ts';

const info = {
  code: 'FORUM2027',
  name: '2027滨江国际论坛',
  kind: 'forum' as const,
  organizer: '滨江市人民政府',
  startDate: '2027-05-10',
  endDate: '2027-05-12',
};

function blankPerson(): FormSchema {
  return structuredClone(blankEventFiles(info, 'event-forum2027')['forms/person.json']) as FormSchema;
}

describe('the blank event', () => {
  it('is a valid plugin whose card type options come from its card types', () => {
    const files = blankEventFiles(info, 'event-forum2027');
    const result = validatePluginBundle({ files }, { name: 'blank', source: 'test' });
    expect(result.ok ? [] : result.errors).toEqual([]);
    const person = files['forms/person.json'] as FormSchema;
    expect(person.properties.cardType?.enum).toEqual(['STAFF']);
    expect(person.properties.zones?.items?.enum).toEqual(['A']);
  });
});

describe('form edits', () => {
  it('adds a field to a section, keeps properties in section order and marks it required', () => {
    const form = addField(blankPerson(), 'hotel', newField('text', '入住酒店'), {
      section: 0,
      required: true,
    });
    const sections = sectionsOf(form);
    expect(sections[0]!.fields.at(-1)).toBe('hotel');
    expect(Object.keys(form.properties)).toEqual(sections.flatMap((s) => s.fields));
    expect(form.required).toContain('hotel');
    // `required` stays in field order.
    const order = Object.keys(form.properties);
    expect([...form.required!].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(form.required);
  });

  it('refuses a bad or taken key with a reason', () => {
    const form = blankPerson();
    expect(fieldKeyProblem(form, 'name')).toContain('已存在');
    expect(fieldKeyProblem(form, 'Hotel')).toContain('小写字母开头');
    expect(fieldKeyProblem(form, 'hotelName')).toBeNull();
    expect(() => addField(form, '1x', newField('text', 'x'))).toThrow();
  });

  it('moves fields within and across sections', () => {
    let form = blankPerson();
    const first = sectionsOf(form)[0]!.fields;
    form = moveField(form, first[0]!, 0, 2);
    expect(sectionsOf(form)[0]!.fields[2]).toBe(first[0]);
    // Nudging the first field of section 1 up puts it at the end of section 0.
    const second = sectionsOf(form)[1]!.fields[0]!;
    form = nudgeField(form, second, -1);
    expect(sectionsOf(form)[0]!.fields.at(-1)).toBe(second);
    expect(Object.keys(form.properties)).toEqual(sectionsOf(form).flatMap((s) => s.fields));
  });

  it('removes a field everywhere it is mentioned', () => {
    let form = blankPerson();
    form = removeField(form, 'idNumber');
    expect(form.properties.idNumber).toBeUndefined();
    expect(form.required).not.toContain('idNumber');
    expect(sectionsOf(form).flatMap((s) => s.fields)).not.toContain('idNumber');
  });

  it('removes a section by handing its fields to the one before', () => {
    let form = addSection(blankPerson(), '住宿');
    form = addField(form, 'hotel', newField('text', '酒店'), { section: sectionsOf(form).length - 1 });
    const count = sectionsOf(form).length;
    form = removeSection(form, count - 1);
    expect(sectionsOf(form)).toHaveLength(count - 1);
    expect(sectionsOf(form).at(-1)!.fields.at(-1)).toBe('hotel');
  });

  it('changes a widget keeping the description of the field', () => {
    const text = { ...newField('text', '饮食'), 'x-help': '如有禁忌请注明' };
    const select = changeWidget(text, 'select');
    expect(select).toMatchObject({
      type: 'string',
      'x-widget': 'select',
      'x-label': '饮食',
      'x-help': '如有禁忌请注明',
    });
    expect(optionsOf(select).length).toBeGreaterThan(0);
    expect(select.maxLength).toBeUndefined();
    const multi = withOptions(changeWidget(select, 'checkbox'), [
      { value: 'VEG', label: '素食' },
      { value: 'HALAL', label: '清真' },
    ]);
    expect(multi.type).toBe('array');
    expect(optionsOf(multi)).toEqual([
      { value: 'VEG', label: '素食' },
      { value: 'HALAL', label: '清真' },
    ]);
  });

  it('every catalogue field and every new widget validates inside a plugin', () => {
    const files = blankEventFiles(info, 'event-forum2027');
    let form = files['forms/person.json'] as FormSchema;
    for (const key of ['ethnicity', 'nationality', 'remark', 'position']) {
      const template = catalogField('person', key);
      if (template && !(key in form.properties)) form = addField(form, key, structuredClone(template.field));
    }
    const widgets = [
      'text',
      'textarea',
      'select',
      'radio',
      'checkbox',
      'date',
      'number',
      'mobile',
      'plate',
    ] as const;
    widgets.forEach((w, i) => {
      form = addField(form, `custom${i}`, newField(w, `自定义${i}`));
    });
    form = setRequired(form, 'custom0', true);
    const reconciled = reconcileDraft({ ...files, 'forms/person.json': form });
    const result = validatePluginBundle({ files: reconciled }, { name: 'blank', source: 'test' });
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
