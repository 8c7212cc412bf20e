import type { Database } from './db/connection.ts';
import type { Unit } from './db/models.ts';
import { TesseraError } from './errors.ts';

/** Applying organisations (申报单位); global across events so their history follows them. */
export class Units {
  constructor(private readonly db: Database) {}

  async add(code: string, name: string): Promise<Unit> {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(code)) {
      throw new TesseraError('invalid_unit_code', `单位代码 "${code}" 只能包含字母、数字、_ -，长度 1–32`);
    }
    if (!name.trim()) throw new TesseraError('invalid_unit_name', '单位名称不能为空');
    const [unit, created] = await this.db.models.Unit.findOrCreate({
      where: { code },
      defaults: { code, name: name.trim(), contactName: null, contactPhone: null },
    });
    if (!created) throw new TesseraError('unit_exists', `单位代码 "${code}" 已存在（${unit.name}）`, 409);
    return unit;
  }

  async list(scope: { unitId?: number } = {}): Promise<Unit[]> {
    return this.db.models.Unit.findAll({
      where: scope.unitId === undefined ? {} : { id: scope.unitId },
      order: [['code', 'ASC']],
    });
  }
}
