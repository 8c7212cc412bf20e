import type { Database } from './db/connection.ts';
import type { Unit } from './db/models.ts';
import { TesseraError } from './errors.ts';
import { checkMobile } from './validation/index.ts';

import type { UnitContacts, UnitView } from './unit-view.ts';

export type { UnitContacts, UnitView };

/**
 * The unit a piece of work is for: a unit user's own (never another's), or the one staff name.
 * `doing` says what, for the refusal (导入, 填报, 提交审核).
 */
export async function unitIdFor(
  db: Database,
  actor: { role: string; unit?: { id: number; code: string } | null },
  unitCode: string | undefined,
  doing: string,
): Promise<number> {
  if (actor.role === 'unit') {
    if (!actor.unit) throw new TesseraError('unit_required', '账号未关联单位', 403);
    if (unitCode && unitCode !== actor.unit.code)
      throw new TesseraError('forbidden', `只能为本单位${doing}`, 403);
    return actor.unit.id;
  }
  if (!unitCode)
    throw new TesseraError('unit_required', `请选择申报单位（${doing}的数据属于哪个单位）`, 422, {
      fields: { unitCode: [{ code: 'required', message: '请选择申报单位' }] },
    });
  const unit = await db.models.Unit.findOne({ where: { code: unitCode } });
  if (!unit) throw new TesseraError('unit_not_found', `单位 "${unitCode}" 不存在`, 422);
  return unit.id;
}

const PHONE = /^[0-9+() -]{5,30}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function unitView(u: Unit): UnitView {
  return {
    id: u.id,
    code: u.code,
    name: u.name,
    contactName: u.contactName,
    contactPhone: u.contactPhone,
    contactEmail: u.contactEmail ?? null,
    address: u.address ?? null,
    remark: u.remark ?? null,
  };
}

/** Why a unit code cannot be used, or null (the import of units from the previous system checks it too). */
export function unitCodeProblem(code: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(code)
    ? null
    : `单位代码 "${code}" 只能包含字母、数字、_ -（以字母或数字开头），长度 1–32`;
}

/** Checks and tidies contact fields; a bad one is named with what to do. */
export function cleanContacts(input: UnitContacts): UnitContacts {
  const out: UnitContacts = {};
  const problems: Record<string, string> = {};
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  if (input.name !== undefined) {
    const name = text(input.name);
    if (!name) problems.name = '单位名称不能为空';
    else out.name = name;
  }
  if (input.contactName !== undefined) out.contactName = text(input.contactName);
  if (input.contactPhone !== undefined) {
    const phone = text(input.contactPhone);
    // A mobile number is stored in its canonical spelling; a landline as written.
    const mobile = phone ? checkMobile(phone) : null;
    if (phone && !mobile?.valid && !PHONE.test(phone))
      problems.contactPhone = `联系电话 "${phone}" 无效：请填写手机号码或带区号的固定电话`;
    out.contactPhone = mobile?.valid ? mobile.normalized : phone;
  }
  if (input.contactEmail !== undefined) {
    const email = text(input.contactEmail);
    if (email && !EMAIL.test(email)) problems.contactEmail = `电子邮箱 "${email}" 格式不对`;
    out.contactEmail = email;
  }
  if (input.address !== undefined) out.address = text(input.address);
  if (input.remark !== undefined) out.remark = text(input.remark);
  if (Object.keys(problems).length > 0) {
    throw new TesseraError('invalid_unit', Object.values(problems).join('；'), 422, { fields: problems });
  }
  return out;
}

/** Applying organisations (申报单位); global across events so their history follows them. */
export class Units {
  constructor(private readonly db: Database) {}

  async add(code: string, name: string, contacts: Omit<UnitContacts, 'name'> = {}): Promise<Unit> {
    const problem = unitCodeProblem(code);
    if (problem) {
      throw new TesseraError('invalid_unit_code', problem, 422, { fields: { code: '单位代码格式不对' } });
    }
    const clean = cleanContacts({ ...contacts, name });
    const [unit, created] = await this.db.models.Unit.findOrCreate({
      where: { code },
      defaults: {
        code,
        name: clean.name!,
        contactName: clean.contactName ?? null,
        contactPhone: clean.contactPhone ?? null,
        contactEmail: clean.contactEmail ?? null,
        address: clean.address ?? null,
        remark: clean.remark ?? null,
      },
    });
    if (!created)
      throw new TesseraError('unit_exists', `单位代码 "${code}" 已存在（${unit.name}）`, 409, {
        fields: { code: '单位代码已存在' },
      });
    return unit;
  }

  async update(code: string, changes: UnitContacts): Promise<Unit> {
    const unit = await this.db.models.Unit.findOne({ where: { code } });
    if (!unit) throw new TesseraError('unit_not_found', `单位 "${code}" 不存在`, 404);
    await unit.update(cleanContacts(changes));
    return unit;
  }

  async list(scope: { unitId?: number } = {}): Promise<Unit[]> {
    return this.db.models.Unit.findAll({
      where: scope.unitId === undefined ? {} : { id: scope.unitId },
      order: [['code', 'ASC']],
    });
  }
}
