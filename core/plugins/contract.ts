import type { AnySchemaObject, ValidateFunction } from 'ajv';
import { createAjv, type TesseraAjv } from '../validation/ajv.ts';
import defsSchema from '../../schemas/defs.schema.json' with { type: 'json' };
import manifestSchema from '../../schemas/manifest.schema.json' with { type: 'json' };
import formSchema from '../../schemas/form.schema.json' with { type: 'json' };
import cardTypesSchema from '../../schemas/card-types.schema.json' with { type: 'json' };
import mappingSchema from '../../schemas/mapping.schema.json' with { type: 'json' };
import layoutSchema from '../../schemas/layout.schema.json' with { type: 'json' };
import pluginBundleSchema from '../../schemas/plugin-bundle.schema.json' with { type: 'json' };

/** The plugin contract: schemas/*.schema.json, by role. */
export const CONTRACT_SCHEMAS = {
  defs: defsSchema,
  manifest: manifestSchema,
  form: formSchema,
  cardTypes: cardTypesSchema,
  mapping: mappingSchema,
  layout: layoutSchema,
  pluginBundle: pluginBundleSchema,
} as const satisfies Record<string, { $id: string }>;

export type ContractSchemaName = Exclude<keyof typeof CONTRACT_SCHEMAS, 'defs'>;

let ajv: TesseraAjv | undefined;
const validators = new Map<ContractSchemaName, ValidateFunction>();

/**
 * One shared ajv holding the contract schemas, compiled on first use. `verbose` keeps the
 * offending data and schema in each error for better messages.
 */
function contractAjv(): TesseraAjv {
  if (!ajv) {
    ajv = createAjv({ verbose: true });
    for (const schema of Object.values(CONTRACT_SCHEMAS)) ajv.addSchema(schema as AnySchemaObject);
  }
  return ajv;
}

export function contractValidator(name: ContractSchemaName): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    const found = contractAjv().getSchema(CONTRACT_SCHEMAS[name].$id);
    if (!found) throw new Error(`契约 schema ${name} 未加载`);
    v = found;
    validators.set(name, v);
  }
  return v;
}
