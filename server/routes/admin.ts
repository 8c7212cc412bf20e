import { TesseraError } from '../../core/errors.ts';
import { ROLE_LABELS, ROLES } from '../../core/db/models.ts';
import { unitView, type UnitContacts } from '../../core/units.ts';
import { defineRoutes } from '../route-table.ts';

const asString = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || !value.trim())
    throw new TesseraError('invalid_request', `缺少字段 ${field}`);
  return value.trim();
};

export const adminRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/api/units',
    summary: '单位列表 (units; a unit user sees only its own)',
    tag: 'units',
    access: 'any',
    handler: async (ctx, engine) => {
      const user = ctx.state.user!;
      const units = await engine.units.list(
        user.role === 'unit' && user.unit ? { unitId: user.unit.id } : {},
      );
      ctx.body = { units: units.map(unitView) };
    },
  },
  {
    method: 'POST',
    path: '/api/units',
    summary: '添加单位 (add a unit)',
    tag: 'units',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const body = (ctx.request.body ?? {}) as Record<string, unknown> & UnitContacts;
      const unit = await engine.units.add(asString(body.code, 'code'), asString(body.name, 'name'), body);
      await engine.audit.record(
        'unit_add',
        { userId: ctx.state.user!.id, username: ctx.state.user!.username, ip: ctx.ip },
        { type: 'unit', id: unit.id },
      );
      ctx.status = 201;
      ctx.body = { unit: unitView(unit) };
    },
  },
  {
    method: 'PATCH',
    path: '/api/units/:code',
    summary: '修改单位名称和联系方式 (update a unit)',
    tag: 'units',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const body = (ctx.request.body ?? {}) as UnitContacts;
      const unit = await engine.units.update(ctx.params.code as string, body);
      await engine.audit.record(
        'unit_update',
        { userId: ctx.state.user!.id, username: ctx.state.user!.username, ip: ctx.ip },
        { type: 'unit', id: unit.id },
        { fields: Object.keys(body) },
      );
      ctx.body = { unit: unitView(unit) };
    },
  },
  {
    method: 'GET',
    path: '/api/users',
    summary:
      '用户列表 (users with their sign-in state: disabled, locked until, last sign-in, password changed)',
    tag: 'users',
    access: ['admin'],
    handler: async (ctx, engine) => {
      ctx.body = {
        users: await engine.accounts.list(),
        roles: ROLES.map((code) => ({ code, label: ROLE_LABELS[code] })),
      };
    },
  },
  {
    method: 'POST',
    path: '/api/users',
    summary: '添加用户 (add a user)',
    tag: 'users',
    access: ['admin'],
    handler: async (ctx, engine) => {
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      const user = await engine.accounts.createUser({
        username: asString(body.username, 'username'),
        password: asString(body.password, 'password'),
        role: asString(body.role, 'role'),
        unitCode: typeof body.unitCode === 'string' && body.unitCode ? body.unitCode : undefined,
        displayName: typeof body.displayName === 'string' && body.displayName ? body.displayName : undefined,
      });
      await engine.audit.record(
        'user_add',
        { userId: ctx.state.user!.id, username: ctx.state.user!.username, ip: ctx.ip },
        {
          type: 'user',
          id: user.id,
        },
        { role: user.role },
      );
      ctx.status = 201;
      ctx.body = { user: await engine.accounts.toSessionUser(user) };
    },
  },
]);
