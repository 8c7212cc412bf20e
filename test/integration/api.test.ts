import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/serve.ts';
import { allRoutes } from '../../server/routes/index.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

let running: RunningServer;
let admin: ApiClient;

beforeAll(async () => {
  running = await startTestServer();
  admin = new ApiClient(running.url);
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
});

afterAll(async () => {
  await running?.stop();
});

describe('health and documents', () => {
  it('reports ok with the database up', async () => {
    const res = await new ApiClient(running.url).request('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.database.status).toBe('up');
  });

  it('serves an OpenAPI document listing every route of the route table', async () => {
    const res = await new ApiClient(running.url).request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const route of allRoutes()) {
      const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      expect(
        res.body.paths[path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
  });

  it('answers unknown API paths with a JSON error body', async () => {
    const res = await admin.request('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('sets security headers', async () => {
    const response = await fetch(`${running.url}/api/health`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});

describe('bundled events', () => {
  it('lists both bundled events', async () => {
    const res = await admin.request('GET', '/api/events');
    expect(res.status).toBe(200);
    const codes = res.body.events.map((e: { code: string }) => e.code);
    expect(codes).toContain('EXPO2026');
    expect(codes.length).toBeGreaterThanOrEqual(2);
    const expo = res.body.events.find((e: { code: string }) => e.code === 'EXPO2026');
    expect(expo.plugin.code).toBe('demo-expo');
    expect(expo.cardTypeCount).toBe(5);
  });

  it('gives an event overview with the card types of the plugin', async () => {
    const res = await admin.request('GET', '/api/events/EXPO2026');
    expect(res.status).toBe(200);
    const codes = res.body.cardTypes.map((t: { code: string }) => t.code).sort();
    expect(codes).toEqual(['PRESS', 'SERVICE', 'STAFF', 'VEHICLE', 'VIP']);
    expect(res.body.cardTypes.find((t: { code: string }) => t.code === 'VIP').important).toBe(true);
    const person = res.body.recordKinds.find((k: { kind: string }) => k.kind === 'person');
    const idNumber = person.fields.find((f: { key: string }) => f.key === 'idNumber');
    expect(idNumber.sensitive).toBe(true);
    expect(res.body.event.plugin.storedVersion).toBe(1);
  });

  it('answers an unknown event with 404 event_not_found', async () => {
    const res = await admin.request('GET', '/api/events/NOPE');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('event_not_found');
  });

  it('stores a versioned copy of each bundled plugin once, however often the server starts', async () => {
    const rows = await running.engine.db.models.PluginVersion.findAll({ where: { pluginCode: 'demo-expo' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.source).toBe('bundled');
  });
});

describe('sign-in, sessions and CSRF', () => {
  it('rejects a wrong password with 401 invalid_credentials and audits it', async () => {
    const res = await new ApiClient(running.url).login('admin', 'wrong-password');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
    const audit = await running.engine.db.models.AuditEntry.findOne({
      where: { action: 'login_failed', username: 'admin' },
    });
    expect(audit).not.toBeNull();
  });

  it('requires a session for the API', async () => {
    const res = await new ApiClient(running.url).request('GET', '/api/events');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('stores sessions server-side as a hash of the token, with an httpOnly cookie', async () => {
    const response = await fetch(`${running.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/tessera_sid=[^;]+/);
    expect(cookie.toLowerCase()).toContain('httponly');
    expect(cookie.toLowerCase()).toContain('samesite=lax');
    const token = /tessera_sid=([^;]+)/.exec(cookie)![1]!;
    const stored = await running.engine.db.models.Session.findAll();
    expect(stored.some((s) => s.id === token)).toBe(false);
    expect(stored.length).toBeGreaterThan(0);
  });

  it('refuses a state-changing request without the CSRF token', async () => {
    const client = new ApiClient(running.url);
    await client.login('admin', ADMIN_PASSWORD);
    const token = client.csrfToken;
    client.csrfToken = '';
    const res = await client.request('POST', '/api/units', { code: 'CSRF1', name: '跨站测试单位' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf_token_invalid');
    client.csrfToken = token;
    expect((await client.request('POST', '/api/units', { code: 'CSRF1', name: '跨站测试单位' })).status).toBe(
      201,
    );
  });

  it('ends the session on logout', async () => {
    const client = new ApiClient(running.url);
    await client.login('admin', ADMIN_PASSWORD);
    expect((await client.request('GET', '/api/auth/me')).status).toBe(200);
    expect((await client.request('POST', '/api/auth/logout', {})).status).toBe(204);
    expect((await client.request('GET', '/api/auth/me')).status).toBe(401);
  });

  it('locks an account after repeated wrong passwords', async () => {
    await running.engine.units.add('LOCKU', '锁定测试单位');
    await running.engine.accounts.createUser({
      username: 'locked',
      password: 'Right-Passw0rd',
      role: 'clerk',
    });
    const client = new ApiClient(running.url);
    for (let i = 0; i < 5; i++) expect((await client.login('locked', 'bad-password')).status).toBe(401);
    const res = await client.login('locked', 'Right-Passw0rd');
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('account_locked');
  });
});

describe('roles and unit scoping', () => {
  it('lets only admins manage units and users', async () => {
    await running.engine.accounts.createUser({
      username: 'reviewer1',
      password: 'Reviewer-Passw0rd',
      role: 'reviewer',
    });
    const reviewer = new ApiClient(running.url);
    await reviewer.login('reviewer1', 'Reviewer-Passw0rd');
    const res = await reviewer.request('POST', '/api/units', { code: 'R1', name: '不该建成' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await reviewer.request('GET', '/api/users')).status).toBe(403);
  });

  it('shows a unit user only its own unit', async () => {
    expect((await admin.request('POST', '/api/units', { code: 'UA', name: '甲单位' })).status).toBe(201);
    expect((await admin.request('POST', '/api/units', { code: 'UB', name: '乙单位' })).status).toBe(201);
    const created = await admin.request('POST', '/api/users', {
      username: 'unit-a',
      password: 'UnitA-Passw0rd',
      role: 'unit',
      unitCode: 'UA',
    });
    expect(created.status).toBe(201);
    expect(created.body.user.unit.code).toBe('UA');

    const unitUser = new ApiClient(running.url);
    expect((await unitUser.login('unit-a', 'UnitA-Passw0rd')).status).toBe(200);
    const units = await unitUser.request('GET', '/api/units');
    expect(units.body.units.map((u: { code: string }) => u.code)).toEqual(['UA']);
    const all = await admin.request('GET', '/api/units');
    expect(all.body.units.map((u: { code: string }) => u.code)).toEqual(expect.arrayContaining(['UA', 'UB']));
  });

  it('refuses a unit user without a unit', async () => {
    const res = await admin.request('POST', '/api/users', {
      username: 'orphan',
      password: 'Orphan-Passw0rd',
      role: 'unit',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('unit_required');
  });

  it('declares an access rule for every route', () => {
    for (const route of allRoutes()) {
      expect(route.access === 'public' || route.access === 'any' || route.access.length > 0).toBe(true);
    }
    const publicRoutes = allRoutes()
      .filter((r) => r.access === 'public')
      .map((r) => `${r.method} ${r.path}`);
    // /metrics checks its own rule (an admin session or the scraper's bearer token): test/integration/ops-monitoring.test.ts.
    expect(publicRoutes.sort()).toEqual([
      'GET /api/health',
      'GET /api/openapi.json',
      // The public key of the QR tokens: gate apps check cards offline with it.
      'GET /api/verify/key',
      'GET /metrics',
      'POST /api/auth/login',
    ]);
  });
});
