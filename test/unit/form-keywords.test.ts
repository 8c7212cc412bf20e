import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FORM_FIELD_KEYWORDS,
  FORM_ROOT_KEYWORDS,
  FORM_WIDGETS,
} from '../../core/validation/form-keywords.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
interface MetaSchema {
  properties: Record<string, unknown>;
  $defs: { formField: { properties: Record<string, unknown> }; formWidget: { enum: string[] } };
}
const meta = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'schemas/form.schema.json'), 'utf8'),
) as MetaSchema;
const xKeys = (props: Record<string, unknown>) =>
  Object.keys(props)
    .filter((k) => k.startsWith('x-'))
    .sort();

describe('form x- keywords: createAjv and schemas/form.schema.json agree', () => {
  it('field keywords', () => {
    expect(Object.keys(FORM_FIELD_KEYWORDS).sort()).toEqual(xKeys(meta.$defs.formField.properties));
  });

  it('root keywords (x-label is both a root and a field keyword)', () => {
    const root = xKeys(meta.properties).filter((k) => !(k in FORM_FIELD_KEYWORDS));
    expect(Object.keys(FORM_ROOT_KEYWORDS).sort()).toEqual(root);
  });

  it('widgets', () => {
    expect([...FORM_WIDGETS]).toEqual(meta.$defs.formWidget.enum);
  });
});
