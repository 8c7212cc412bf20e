import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer, type Body } from '../support/harness.ts';
import { residentId } from '../support/id-numbers.ts';

let running: RunningServer;
let admin: ApiClient;
let clerk: ApiClient;

const newEvent = (overrides: Record<string, unknown> = {}) => ({
  template: 'blank',
  code: 'FORUM2027',
  name: '2027滨江国际论坛',
  kind: 'forum',
  organizer: '滨江市人民政府',
  startDate: '2027-05-10',
  endDate: '2027-05-12',
  ...overrides,
});

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  await admin.login('admin', ADMIN_PASSWORD);
  await admin.request('POST', '/api/users', { username: 'clerk1', role: 'clerk', password: 'Passw0rd-123' });
  clerk = new ApiClient(running.url);
  await clerk.login('clerk1', 'Passw0rd-123');
});

afterAll(async () => {
  await running?.stop();
});

async function draftOf(code: string): Promise<Body> {
  const res = await admin.request('GET', `/api/events/${code}/draft`);
  expect(res.status).toBe(200);
  return res.body.draft;
}

describe('creating an event', () => {
  it('offers the bundled plugins as templates, to admins only', async () => {
    const res = await admin.request('GET', '/api/event-templates');
    expect(res.status).toBe(200);
    expect(res.body.templates.map((t: Body) => t.code).sort()).toEqual(['city-marathon', 'demo-expo']);
    expect((await clerk.request('GET', '/api/event-templates')).status).toBe(403);
    expect((await clerk.request('POST', '/api/events', newEvent())).status).toBe(403);
  });

  it('creates a usable event from blank, listed with the others', async () => {
    const res = await admin.request('POST', '/api/events', newEvent());
    expect(res.status).toBe(201);
    expect(res.body.event).toEqual({ code: 'FORUM2027', name: '2027滨江国际论坛' });
    const list = await clerk.request('GET', '/api/events');
    expect(list.body.events.map((e: Body) => e.code)).toContain('FORUM2027');
    const form = await clerk.request('GET', '/api/events/FORUM2027/forms/person');
    expect(form.status).toBe(200);
    expect(Object.keys(form.body.schema.properties)).toEqual(
      expect.arrayContaining(['name', 'gender', 'idType', 'idNumber', 'cardType', 'photo']),
    );
    expect(form.body.cardTypes.map((t: Body) => t.code)).toEqual(['STAFF']);
    const draft = await draftOf('FORUM2027');
    expect(draft.revision).toBe(0);
    expect(draft.issues.errors).toEqual([]);
  });

  it('creates an event from a bundled plugin with its card types and own plugin code', async () => {
    const res = await admin.request(
      'POST',
      '/api/events',
      newEvent({ template: 'demo-expo', code: 'EXPO2027', name: '2027数博会', kind: 'expo' }),
    );
    expect(res.status).toBe(201);
    const detail = await admin.request('GET', '/api/events/EXPO2027');
    expect(detail.body.cardTypes.map((t: Body) => t.code)).toEqual([
      'VIP',
      'STAFF',
      'PRESS',
      'SERVICE',
      'VEHICLE',
    ]);
    expect(detail.body.event.plugin.code).toBe('event-expo2027');
    expect(detail.body.event.startDate).toBe('2027-05-10');
  });

  it('refuses a taken code and bad input, naming the field', async () => {
    const taken = await admin.request('POST', '/api/events', newEvent());
    expect(taken.status).toBe(409);
    expect(taken.body.error.details.fields.code).toBeTruthy();
    const bad = await admin.request(
      'POST',
      '/api/events',
      newEvent({ code: 'forum', startDate: '2027-05-12', endDate: '2027-05-10' }),
    );
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['code', 'endDate']);
    expect(bad.body.error.message).toContain('活动代码');
  });
});

describe('editing the draft and publishing', () => {
  it('saves a form edit with its check results and keeps invalid work', async () => {
    const draft = await draftOf('FORUM2027');
    const form = structuredClone(draft.files['forms/person.json']);
    form.properties.dietary = {
      type: 'string',
      'x-label': '饮食禁忌',
      'x-widget': 'select',
      oneOf: [
        { const: 'NONE', title: '无' },
        { const: 'HALAL', title: '清真' },
      ],
    };
    form.properties.badField = { type: 'string', 'x-label': '坏字段', 'x-widget': 'select' }; // no options
    const saved = await admin.request('PUT', '/api/events/FORUM2027/draft', {
      revision: 0,
      files: { 'forms/person.json': form },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.draft.revision).toBe(1);
    const errors = saved.body.draft.issues.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'forms/person.json', code: 'missing-options' });
    expect(errors[0].pointer).toBe('/properties/badField');
    // The field not in any group went to the last group.
    const groups = saved.body.draft.files['forms/person.json']['x-groups'];
    expect(groups.at(-1).fields).toEqual(expect.arrayContaining(['dietary', 'badField']));

    const refused = await admin.request('POST', '/api/events/FORUM2027/publish', { revision: 1 });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.issues[0].pointer).toBe('/properties/badField');
    // The published form is untouched until then.
    const live = await clerk.request('GET', '/api/events/FORUM2027/forms/person');
    expect(live.body.schema.properties.dietary).toBeUndefined();
  });

  it('refuses a stale revision with 409', async () => {
    const res = await admin.request('PUT', '/api/events/FORUM2027/draft', {
      revision: 0,
      files: { 'forms/person.json': (await draftOf('FORUM2027')).files['forms/person.json'] },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('draft_conflict');
    expect(res.body.error.details.revision).toBe(1);
  });

  it('keeps card type options of forms in step with the card types', async () => {
    const draft = await draftOf('FORUM2027');
    const form = structuredClone(draft.files['forms/person.json']);
    delete form.properties.badField;
    form.required.push('dietary');
    const cardTypes = structuredClone(draft.files['card-types.json']);
    cardTypes.cardTypes.push({
      ...cardTypes.cardTypes[0],
      code: 'GUEST',
      name: '嘉宾证',
      important: true,
      importanceLevel: 1,
      numbering: { pattern: 'G-{seq:4}' },
      quota: { perUnit: 5, total: 100 },
    });
    const saved = await admin.request('PUT', '/api/events/FORUM2027/draft', {
      revision: draft.revision,
      files: { 'forms/person.json': form, 'card-types.json': cardTypes },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.draft.issues.errors).toEqual([]);
    expect(saved.body.draft.files['forms/person.json'].properties.cardType.enum).toEqual(['STAFF', 'GUEST']);
  });

  it('will not change the event code', async () => {
    const draft = await draftOf('FORUM2027');
    const manifest = structuredClone(draft.files['plugin.json']);
    manifest.event.code = 'OTHER2027';
    const res = await admin.request('PUT', '/api/events/FORUM2027/draft', {
      revision: draft.revision,
      files: { 'plugin.json': manifest },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('event_code_fixed');
  });

  it('publishes a new version that the generated form and new records use', async () => {
    const draft = await draftOf('FORUM2027');
    const res = await admin.request('POST', '/api/events/FORUM2027/publish', { revision: draft.revision });
    expect(res.status).toBe(200);
    expect(res.body.version).toMatchObject({ version: 2, declaredVersion: '1.0.1', source: 'designer' });
    expect((await draftOf('FORUM2027')).revision).toBe(0);

    const form = await clerk.request('GET', '/api/events/FORUM2027/forms/person');
    expect(form.body.schema.properties.dietary['x-label']).toBe('饮食禁忌');
    expect(form.body.cardTypes.map((t: Body) => t.code)).toEqual(['STAFF', 'GUEST']);

    await admin.request('POST', '/api/units', { code: 'FU1', name: '论坛单位' });
    const values = {
      name: '王芳',
      gender: 'F',
      idType: '1',
      idNumber: residentId('440305', '19920115', '128'),
      organization: '滨江市外事办',
      mobile: '13900139000',
      cardType: 'GUEST',
    };
    const missing = await clerk.request('POST', '/api/events/FORUM2027/records', {
      kind: 'person',
      unitCode: 'FU1',
      values,
    });
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.body.error.details.fields)).toContain('dietary');
    const created = await clerk.request('POST', '/api/events/FORUM2027/records', {
      kind: 'person',
      unitCode: 'FU1',
      values: { ...values, dietary: 'HALAL' },
    });
    expect(created.status).toBe(201);

    const versions = await admin.request('GET', '/api/events/FORUM2027/versions');
    expect(versions.body.versions.map((v: Body) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(versions.body.versions[0].createdBy).toBe('admin');
  });

  it('discards a draft without touching the published version', async () => {
    const draft = await draftOf('FORUM2027');
    const manifest = structuredClone(draft.files['plugin.json']);
    manifest.event.name = '改了但不要的名字';
    await admin.request('PUT', '/api/events/FORUM2027/draft', {
      revision: 0,
      files: { 'plugin.json': manifest },
    });
    const discarded = await admin.request('DELETE', '/api/events/FORUM2027/draft');
    expect(discarded.status).toBe(200);
    expect(discarded.body.draft.revision).toBe(0);
    expect(discarded.body.draft.files['plugin.json'].event.name).toBe('2027滨江国际论坛');
  });
});

describe('units with contacts', () => {
  it('adds and updates contacts, naming a bad field', async () => {
    const added = await admin.request('POST', '/api/units', {
      code: 'MEDIA01',
      name: '滨江日报社',
      contactName: '李娜',
      contactPhone: '139 0013 9000',
      contactEmail: 'lina@example.cn',
    });
    expect(added.status).toBe(201);
    expect(added.body.unit).toMatchObject({ contactPhone: '13900139000', contactEmail: 'lina@example.cn' });
    const bad = await admin.request('PATCH', '/api/units/MEDIA01', { contactEmail: 'lina.example.cn' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toHaveProperty('contactEmail');
    const ok = await admin.request('PATCH', '/api/units/MEDIA01', { address: '滨江市文化路 1 号' });
    expect(ok.body.unit).toMatchObject({ address: '滨江市文化路 1 号', contactName: '李娜' });
    expect((await clerk.request('PATCH', '/api/units/MEDIA01', { address: 'x' })).status).toBe(403);
  });
});

describe('exporting and importing bundles', () => {
  it('round-trips an event through its bundle, as a new event and as a new version', async () => {
    const exported = await admin.request('GET', '/api/events/FORUM2027/bundle');
    expect(exported.status).toBe(200);
    const bundle = exported.body;
    expect(bundle.format).toBe('tessera-plugin-bundle');
    expect(bundle.checksum).toMatch(/^[0-9a-f]{64}$/);

    // Same event code: refused as a new event, accepted into the event as a new version.
    const clash = await admin.upload('/api/event-bundles', {
      bundle: {
        fileName: 'forum.tessera.json',
        data: Buffer.from(JSON.stringify(bundle)),
        type: 'application/json',
      },
    });
    expect(clash.status).toBe(409);

    const copy = structuredClone(bundle);
    delete copy.checksum;
    copy.files['plugin.json'].event.code = 'FORUM2028';
    copy.files['plugin.json'].event.name = '2028滨江国际论坛';
    const created = await admin.upload('/api/event-bundles', {
      bundle: {
        fileName: 'forum2028.tessera.json',
        data: Buffer.from(JSON.stringify(copy)),
        type: 'application/json',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.event.code).toBe('FORUM2028');
    const form = await clerk.request('GET', '/api/events/FORUM2028/forms/person');
    expect(form.body.schema.properties.dietary).toBeDefined();

    // The same content again is the same version; changed content a new one.
    const same = await admin.request('POST', '/api/event-bundles?into=FORUM2027', bundle);
    expect(same.status).toBe(200);
    expect(same.body.version.version).toBe(2);
    const changed = structuredClone(bundle);
    delete changed.checksum;
    changed.files['plugin.json'].event.name = '2027滨江国际论坛（更新）';
    const into = await admin.request('POST', '/api/event-bundles?into=FORUM2027', changed);
    expect(into.status).toBe(200);
    expect(into.body.version).toMatchObject({ version: 3, source: 'import' });
    const detail = await clerk.request('GET', '/api/events/FORUM2027');
    expect(detail.body.event.name).toBe('2027滨江国际论坛（更新）');
  });

  it('rejects a broken bundle with the file and pointer of each problem', async () => {
    const exported = (await admin.request('GET', '/api/events/FORUM2027/bundle')).body;
    const broken = structuredClone(exported);
    delete broken.checksum;
    broken.files['plugin.json'].event.code = 'FORUM2029';
    broken.files['card-types.json'].cardTypes[0].layout = 'no-such-layout';
    const res = await admin.request('POST', '/api/event-bundles', broken);
    expect(res.status).toBe(422);
    expect(res.body.error.details.issues[0]).toMatchObject({
      file: 'card-types.json',
      pointer: '/cardTypes/0/layout',
    });
    const notJson = await admin.upload('/api/event-bundles', {
      bundle: {
        fileName: '活动.xlsx',
        data: new Uint8Array([0x50, 0x4b, 3, 4]),
        type: 'application/octet-stream',
      },
    });
    expect(notJson.status).toBe(422);
    expect(notJson.body.error.message).toContain('活动.xlsx');
  });
});
