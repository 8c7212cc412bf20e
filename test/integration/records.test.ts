import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;
let unitA: ApiClient;
let unitB: ApiClient;
let designer: ApiClient;

const ZHANG = residentId('110101', '19900307', '661'); // male
const LI = residentId('310104', '19851231', '242'); // female

const person = (overrides: Record<string, unknown> = {}) => ({
  name: '张伟',
  gender: 'M',
  birthDate: '1990-03-07',
  idType: '1',
  idNumber: ZHANG,
  organization: '北京市某某局',
  mobile: '13800138000',
  cardType: 'STAFF',
  ...overrides,
});

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' });
  await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' });
  const users = [
    { username: 'clerk1', role: 'clerk' },
    { username: 'unit-a', role: 'unit', unitCode: 'UA' },
    { username: 'unit-b', role: 'unit', unitCode: 'UB' },
    { username: 'designer1', role: 'designer' },
  ];
  for (const u of users) {
    expect((await admin.request('POST', '/api/users', { ...u, password: 'Passw0rd-123' })).status).toBe(201);
  }
  const clients = await Promise.all(
    users.map(async (u) => {
      const client = new ApiClient(running.url);
      await client.login(u.username, 'Passw0rd-123');
      return client;
    }),
  );
  [clerk, unitA, unitB, designer] = clients as [ApiClient, ApiClient, ApiClient, ApiClient];
});

afterAll(async () => {
  await running?.stop();
});

describe('records through the generated form', () => {
  it('serves the form of a record kind with its card types', async () => {
    const res = await clerk.request('GET', '/api/events/EXPO2026/forms/person');
    expect(res.status).toBe(200);
    expect(res.body.schema.properties.idNumber['x-label']).toBeTruthy();
    expect(res.body.cardTypes.map((t: { code: string }) => t.code)).toEqual(
      expect.arrayContaining(['VIP', 'STAFF', 'PRESS', 'SERVICE']),
    );
    expect(res.body.cardTypes.map((t: { code: string }) => t.code)).not.toContain('VEHICLE');
  });

  it('rejects a wrong ID number at the field, then saves the corrected one, encrypted and masked', async () => {
    const bad = ZHANG.slice(0, 17) + (ZHANG[17] === '1' ? '2' : '1');
    const rejected = await clerk.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: person({ idNumber: bad }),
    });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.code).toBe('validation_failed');
    expect(rejected.body.error.details.fields.idNumber[0].message).toMatch(/校验/);

    const saved = await clerk.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: person({ idNumber: ` ${ZHANG.slice(0, 6)} ${ZHANG.slice(6)} ` }),
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body.record.idNumberMasked).toBe(`${ZHANG.slice(0, 6)}********${ZHANG.slice(14)}`);
    expect(saved.body.record.values.idNumber).toBe(saved.body.record.idNumberMasked);

    const row = await running.engine.db.models.EventRecord.findByPk(saved.body.record.id);
    expect(row!.idNumberEnc!.toString('latin1')).not.toContain(ZHANG.slice(0, 10));
    expect(row!.pluginVersionId).toBeGreaterThan(0);
    expect(JSON.stringify(row!.data)).not.toContain(ZHANG);
  });

  it('cross-checks birth date and gender against the ID number', async () => {
    const res = await clerk.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: person({ idNumber: LI, name: '李娜', birthDate: '1985-12-30', gender: 'M' }),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.birthDate[0].code).toBe('birth-date-mismatch');
    expect(res.body.error.details.fields.gender[0].code).toBe('gender-mismatch');
  });

  it('refuses the same person twice for one unit in the event', async () => {
    const res = await clerk.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: person(),
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.idNumber[0].code).toBe('duplicate');
  });

  it('finds the record by full ID number (lower-case x, blanks), by name prefix, and not by a wrong number', async () => {
    const byId = await clerk.request(
      'GET',
      `/api/events/EXPO2026/records?q=${encodeURIComponent(ZHANG.toLowerCase())}`,
    );
    expect(byId.body.total).toBe(1);
    expect(byId.body.records[0].name).toBe('张伟');
    const byName = await clerk.request('GET', `/api/events/EXPO2026/records?q=${encodeURIComponent('张')}`);
    expect(byName.body.records.map((r: { name: string }) => r.name)).toContain('张伟');
    const none = await clerk.request('GET', `/api/events/EXPO2026/records?q=${LI}`);
    expect(none.body.total).toBe(0);
  });

  it('keeps units apart: a unit sees only its own records and cannot file for another unit', async () => {
    const created = await unitB.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      values: person({ idNumber: LI, name: '李娜', birthDate: '1985-12-31', gender: 'F' }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.record.unit.code).toBe('UB');

    const listA = await unitA.request('GET', '/api/events/EXPO2026/records?kind=person');
    expect(listA.body.records.every((r: { unit: { code: string } }) => r.unit.code === 'UA')).toBe(true);
    const peek = await unitA.request('GET', `/api/events/EXPO2026/records/${created.body.record.id}`);
    expect(peek.status).toBe(404);
    const forOther = await unitA.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UB',
      values: person({ idNumber: residentId('440305', '20000229', '123'), birthDate: '2000-02-29' }),
    });
    expect(forOther.status).toBe(403);
  });

  it('shows the full ID number only to roles that need it, and audits every read', async () => {
    const list = await clerk.request('GET', `/api/events/EXPO2026/records?q=${ZHANG}`);
    const id = list.body.records[0].id;
    const full = await clerk.request('GET', `/api/events/EXPO2026/records/${id}/id-number`);
    expect(full.body.idNumber).toBe(ZHANG);
    expect((await unitA.request('GET', `/api/events/EXPO2026/records/${id}/id-number`)).status).toBe(403);
    expect((await designer.request('GET', `/api/events/EXPO2026/records/${id}/id-number`)).status).toBe(403);
    const audit = await running.engine.db.models.AuditEntry.findAll({
      where: { action: 'id_number_read', targetId: String(id) },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.username).toBe('clerk1');
  });

  it('updates with optimistic versions and records the history', async () => {
    const list = await clerk.request('GET', `/api/events/EXPO2026/records?q=${ZHANG}`);
    const { id, version } = list.body.records[0];
    const values = person({ position: '处长' });
    const first = await clerk.request('PUT', `/api/events/EXPO2026/records/${id}`, { values, version });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.record.version).toBe(version + 1);
    const stale = await admin.request('PUT', `/api/events/EXPO2026/records/${id}`, { values, version });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    const history = await clerk.request('GET', `/api/events/EXPO2026/records/${id}/history`);
    expect(history.body.entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['record_create', 'record_update', 'id_number_read']),
    );
    const update = history.body.entries.find((e: { action: string }) => e.action === 'record_update');
    expect(update.detail.changed).toEqual(['position']);
  });

  it('keeps the stored ID number when an edit sends back the masked one', async () => {
    const list = await clerk.request('GET', `/api/events/EXPO2026/records?q=${ZHANG}`);
    const { id, version, idNumberMasked } = list.body.records[0];
    const res = await clerk.request('PUT', `/api/events/EXPO2026/records/${id}`, {
      values: person({ position: '副处长', idNumber: idNumberMasked }),
      version,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await clerk.request('GET', `/api/events/EXPO2026/records/${id}/id-number`)).body.idNumber).toBe(
      ZHANG,
    );
  });

  it('does not let a designer enter records', async () => {
    const res = await designer.request('POST', '/api/events/EXPO2026/records', {
      kind: 'person',
      unitCode: 'UA',
      values: person(),
    });
    expect(res.status).toBe(403);
  });

  it('lists vehicles with plate, type and driver, the plate found by search', async () => {
    const res = await clerk.request('POST', '/api/events/EXPO2026/records', {
      kind: 'vehicle',
      unitCode: 'UA',
      values: {
        plateNumber: '浙a·12345',
        vehicleType: 'SMALL',
        organization: '北京市某某局',
        driverName: '赵强',
        driverIdNumber: LI,
        mobile: '13800138001',
        cardType: 'VEHICLE',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const list = await clerk.request('GET', '/api/events/EXPO2026/records?kind=vehicle&q=浙A12345');
    expect(list.body.records).toHaveLength(1);
    expect(list.body.records[0]).toMatchObject({
      plateNumber: '浙A12345',
      vehicleType: 'SMALL',
      driverName: '赵强',
    });
  });
});
