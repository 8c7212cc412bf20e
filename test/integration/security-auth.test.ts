// Sign-in protection against a real server and PostgreSQL: throttling per address (password
// spraying, unknown names included) and per account, lock expiry and unlock, session fixation, idle
// expiry, sign-out, password change and reset ending every session. Each test acts from its own
// address (X-Forwarded-For behind TESSERA_TRUST_PROXY=1), so their failures do not add up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import type { RunningServer } from '../../server/serve.ts';
import { ADMIN_PASSWORD, ApiClient, startTestServer } from '../support/harness.ts';

const PASSWORD = 'Passw0rd-123';
/** Small limits keep the test quick; the rules are the same as with the defaults. */
const ADDRESS_MAX = 8;
const LOCKOUT = 5;

let running: RunningServer;
let admin: ApiClient;
let addressSeq = 0;
const trustProxyBefore = process.env.TESSERA_TRUST_PROXY;

/** A browser at an address of its own. */
const visitor = (ip = `10.9.0.${++addressSeq}`) => new ApiClient(running.url, { 'x-forwarded-for': ip });

async function addUser(username: string, role = 'clerk'): Promise<number> {
  const res = await admin.request('POST', '/api/users', { username, password: PASSWORD, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.user.id as number;
}

const sql = (query: string, replacements: Record<string, unknown> = {}) =>
  running.engine.db.sequelize.query(query, { replacements });

async function lastAudit(action: string, where: { username?: string; ip?: string } = {}) {
  const { AuditEntry } = running.engine.db.models;
  return AuditEntry.findOne({ where: { action, ...where }, order: [['id', 'DESC']] });
}

beforeAll(async () => {
  process.env.TESSERA_TRUST_PROXY = '1';
  const base = loadConfig({});
  running = await startTestServer({
    auth: { ...base.auth, addressMaxFailures: ADDRESS_MAX, lockoutFailures: LOCKOUT },
  });
  admin = visitor('10.0.0.1');
  expect((await admin.login('admin', ADMIN_PASSWORD)).status).toBe(200);
});

afterAll(async () => {
  await running?.stop();
  if (trustProxyBefore === undefined) delete process.env.TESSERA_TRUST_PROXY;
  else process.env.TESSERA_TRUST_PROXY = trustProxyBefore;
});

describe('throttling per account', () => {
  it('locks an account after repeated wrong passwords, says when to retry, and audits the lock', async () => {
    const id = await addUser('lock-me');
    const client = visitor('10.1.0.1');
    for (let i = 0; i < LOCKOUT; i++) {
      const res = await client.login('lock-me', 'wrong-password');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_credentials');
    }
    const res = await client.login('lock-me', PASSWORD);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('account_locked');
    expect(res.body.error.message).toMatch(/请 1[45] 分钟后再试/);
    expect(Number(client.lastHeaders?.get('retry-after'))).toBeGreaterThan(800);

    const lock = await lastAudit('account_lock');
    expect(lock?.targetId).toBe(String(id));
    expect(lock?.ip).toBe('10.1.0.1');
    expect((await lastAudit('login_failed', { username: 'lock-me' }))?.ip).toBe('10.1.0.1');
    const users = await admin.request('GET', '/api/users');
    const listed = users.body.users.find((u: { username: string }) => u.username === 'lock-me');
    expect(listed.lockedUntil).not.toBeNull();
    expect(listed.failedLogins).toBe(LOCKOUT);
  });

  it('lets the account in again once the lock has run out, and counts afresh', async () => {
    await addUser('lock-expires');
    const client = visitor();
    for (let i = 0; i < LOCKOUT; i++) await client.login('lock-expires', 'wrong-password');
    expect((await client.login('lock-expires', PASSWORD)).status).toBe(429);

    await sql(`UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'lock-expires'`);
    // One more wrong password after the lock starts a new count instead of locking again at once.
    expect((await client.login('lock-expires', 'wrong-password')).status).toBe(401);
    const [[row]] = (await sql(
      `SELECT failed_logins, locked_until FROM users WHERE username = 'lock-expires'`,
    )) as [{ failed_logins: number; locked_until: Date | null }[], unknown];
    expect(row).toEqual({ failed_logins: 1, locked_until: null });
    expect((await client.login('lock-expires', PASSWORD)).status).toBe(200);
  });

  it('locks an unknown name exactly like a real one, so a lock does not reveal who exists', async () => {
    await addUser('real-name');
    const real = visitor();
    const ghost = visitor('10.2.0.1');
    const answers = { real: [] as string[], ghost: [] as string[] };
    for (let i = 0; i <= LOCKOUT; i++) {
      const a = await real.login('real-name', 'wrong-password');
      const b = await ghost.login('no-such-user', 'wrong-password');
      answers.real.push(`${a.status} ${a.body.error.code} ${a.body.error.message}`);
      answers.ghost.push(`${b.status} ${b.body.error.code} ${b.body.error.message}`);
    }
    expect(answers.ghost).toEqual(answers.real);
    expect(answers.real.at(-1)).toMatch(/^429 account_locked/);

    const failed = await lastAudit('login_failed', { username: 'no-such-user' });
    expect(failed?.ip).toBe('10.2.0.1');
    expect(failed?.detail).toEqual({ reason: 'account_locked' });
  });

  it("lets an admin unlock an account (audited), but not a non-admin and not the admin's own", async () => {
    const id = await addUser('unlock-me');
    const client = visitor();
    for (let i = 0; i < LOCKOUT; i++) await client.login('unlock-me', 'wrong-password');
    expect((await client.login('unlock-me', PASSWORD)).status).toBe(429);

    const clerk = visitor();
    await addUser('some-clerk');
    expect((await clerk.login('some-clerk', PASSWORD)).status).toBe(200);
    expect((await clerk.request('POST', `/api/users/${id}/unlock`)).status).toBe(403);

    const res = await admin.request('POST', `/api/users/${id}/unlock`);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'unlock-me', lockedUntil: null, failedLogins: 0 });
    const audit = await lastAudit('account_unlock');
    expect(audit).toMatchObject({
      username: 'admin',
      ip: '10.0.0.1',
      targetType: 'user',
      targetId: String(id),
    });
    expect((await client.login('unlock-me', PASSWORD)).status).toBe(200);

    const self = await admin.request('GET', '/api/users');
    const adminId = self.body.users.find((u: { username: string }) => u.username === 'admin').id;
    expect((await admin.request('POST', `/api/users/${adminId}/unlock`)).status).toBe(422);
    expect((await admin.request('POST', '/api/users/999999/unlock')).status).toBe(404);
  });
});

describe('throttling per address', () => {
  it('refuses an address after too many failures, whatever names it tried, and only that address', async () => {
    await addUser('sprayed');
    const spray = visitor('10.66.0.1');
    const names = ['sprayed', 'ghost-1', 'admin', 'ghost-2', 'ghost-3', 'sprayed', 'ghost-4', 'ghost-5'];
    expect(names).toHaveLength(ADDRESS_MAX);
    for (const name of names) {
      const res = await spray.login(name, 'Spring2026!');
      expect(res.status, name).toBe(401);
      expect(res.body.error.message).toBe('用户名或密码错误');
    }
    // Even the right password is refused from there now, before it is checked.
    const refused = await spray.login('sprayed', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('login_throttled');
    expect(refused.body.error.message).toMatch(/登录失败次数过多.*请 1[45] 分钟后再试/);
    expect(Number(spray.lastHeaders?.get('retry-after'))).toBeGreaterThan(800);
    expect((await spray.login('ghost-9', 'x')).body.error.code).toBe('login_throttled');
    const audit = await lastAudit('login_failed', { ip: '10.66.0.1' });
    expect(audit?.detail).toEqual({ reason: 'login_throttled' });

    // The same account from another address signs in: the address is throttled, not the account.
    expect((await visitor('10.66.0.2').login('sprayed', PASSWORD)).status).toBe(200);

    // The window slides: once the failures are old enough the address may try again.
    await sql(`UPDATE login_failures SET at = at - interval '16 minutes' WHERE ip = '10.66.0.1'`);
    expect((await spray.login('sprayed', PASSWORD)).status).toBe(200);
  });

  it('shares its count between server processes through PostgreSQL', async () => {
    // What another process on the database wrote counts here too.
    await sql(
      `INSERT INTO login_failures (at, ip, username)
       SELECT now(), '10.77.0.1', 'elsewhere-' || g FROM generate_series(1, :n) g`,
      { n: ADDRESS_MAX },
    );
    const res = await visitor('10.77.0.1').login('admin', ADMIN_PASSWORD);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('login_throttled');
  });
});

describe('sessions', () => {
  it('issues a fresh token at sign-in and ends the one the browser came with (no fixation)', async () => {
    await addUser('fixation-a');
    await addUser('fixation-b');
    const client = visitor();
    expect((await client.login('fixation-a', PASSWORD)).status).toBe(200);
    const before = client.cookie;
    expect(before).toMatch(/^tessera_sid=/);
    // Signing in again (as someone else, with the old cookie sent along) gives another token…
    expect((await client.login('fixation-b', PASSWORD)).status).toBe(200);
    expect(client.cookie).not.toBe(before);
    expect((await client.request('GET', '/api/auth/me')).body.user.username).toBe('fixation-b');
    // …and the old token is dead on the server.
    const stale = visitor();
    stale.cookie = before;
    expect((await stale.request('GET', '/api/auth/me')).status).toBe(401);

    // A token made up by an attacker is never adopted.
    const planted = visitor();
    planted.cookie = 'tessera_sid=attacker-chosen-value';
    expect((await planted.login('fixation-a', PASSWORD)).status).toBe(200);
    expect(planted.cookie).not.toBe('tessera_sid=attacker-chosen-value');
  });

  it('ends the session on the server at sign-out (audited)', async () => {
    const id = await addUser('signs-out');
    const client = visitor();
    await client.login('signs-out', PASSWORD);
    const cookie = client.cookie;
    expect((await client.request('POST', '/api/auth/logout')).status).toBe(204);
    const replay = visitor();
    replay.cookie = cookie;
    expect((await replay.request('GET', '/api/auth/me')).status).toBe(401);
    const [[count]] = (await sql('SELECT count(*)::int AS n FROM sessions WHERE user_id = :id', { id })) as [
      { n: number }[],
      unknown,
    ];
    expect(count!.n).toBe(0);
    expect(await lastAudit('logout', { username: 'signs-out' })).not.toBeNull();
  });

  it('ends a session left idle longer than TESSERA_SESSION_IDLE_MINUTES, and notes use at most once a minute', async () => {
    const id = await addUser('idle-user');
    const client = visitor();
    await client.login('idle-user', PASSWORD);
    const lastSeen = async () => {
      const [[row]] = (await sql('SELECT last_seen_at FROM sessions WHERE user_id = :id', { id })) as [
        { last_seen_at: Date }[],
        unknown,
      ];
      return row!.last_seen_at.getTime();
    };
    // A request within the minute writes nothing.
    await sql(`UPDATE sessions SET last_seen_at = now() - interval '30 seconds' WHERE user_id = :id`, { id });
    const quiet = await lastSeen();
    expect((await client.request('GET', '/api/auth/me')).status).toBe(200);
    expect(await lastSeen()).toBe(quiet);
    // Older than a minute: the request refreshes it, so an active user is never idle.
    await sql(`UPDATE sessions SET last_seen_at = now() - interval '100 minutes' WHERE user_id = :id`, {
      id,
    });
    expect((await client.request('GET', '/api/auth/me')).status).toBe(200);
    expect(Date.now() - (await lastSeen())).toBeLessThan(60_000);

    const idle = running.engine.config.auth.sessionIdleMinutes;
    expect(idle).toBe(120);
    await sql(`UPDATE sessions SET last_seen_at = now() - interval '121 minutes' WHERE user_id = :id`, {
      id,
    });
    const res = await client.request('GET', '/api/auth/me');
    expect(res.status).toBe(401);
    expect((await sql('SELECT 1 FROM sessions WHERE user_id = :id', { id }))[0]).toHaveLength(0);
  });

  it('ends a session past its absolute lifetime even while in use', async () => {
    const id = await addUser('ttl-user');
    const client = visitor();
    await client.login('ttl-user', PASSWORD);
    await sql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = :id`, { id });
    expect((await client.request('GET', '/api/auth/me')).status).toBe(401);
  });
});

describe('passwords', () => {
  it('changes the own password: other sessions end, this one goes on with a fresh token', async () => {
    const id = await addUser('changer');
    const here = visitor();
    const there = visitor();
    await here.login('changer', PASSWORD);
    await there.login('changer', PASSWORD);
    const before = here.cookie;

    const res = await here.request('POST', '/api/auth/password', {
      oldPassword: PASSWORD,
      newPassword: 'New-Secret-2026',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    here.csrfToken = res.body.csrfToken;
    expect(here.cookie).not.toBe(before);
    expect((await here.request('GET', '/api/auth/me')).status).toBe(200);
    expect((await there.request('GET', '/api/auth/me')).status).toBe(401);
    const stale = visitor();
    stale.cookie = before;
    expect((await stale.request('GET', '/api/auth/me')).status).toBe(401);

    expect((await visitor().login('changer', PASSWORD)).status).toBe(401);
    expect((await visitor().login('changer', 'New-Secret-2026')).status).toBe(200);
    const audit = await lastAudit('password_change');
    expect(audit).toMatchObject({ username: 'changer', targetType: 'user', targetId: String(id) });
    const users = await admin.request('GET', '/api/users');
    expect(
      users.body.users.find((u: { username: string }) => u.username === 'changer').passwordChangedAt,
    ).not.toBeNull();
  });

  it('refuses a wrong current password, a weak or unchanged new one, and requests without session or token', async () => {
    await addUser('careless');
    const client = visitor();
    await client.login('careless', PASSWORD);
    const change = (body: unknown) => client.request('POST', '/api/auth/password', body);

    const wrong = await change({ oldPassword: 'not-my-password', newPassword: 'Another-Pass-1' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toMatchObject({ code: 'wrong_password', message: '原密码不正确' });
    expect(await lastAudit('password_change_failed', { username: 'careless' })).not.toBeNull();

    const short = await change({ oldPassword: PASSWORD, newPassword: 'short' });
    expect(short.status).toBe(422);
    expect(short.body.error.code).toBe('weak_password');
    expect(short.body.error.message).toContain('至少 8 位');
    expect((await change({ oldPassword: PASSWORD, newPassword: 'xcareless99' })).body.error.message).toBe(
      '新密码不能包含用户名',
    );
    expect((await change({ oldPassword: PASSWORD, newPassword: 'aaaaaaaaaa' })).body.error.code).toBe(
      'weak_password',
    );
    expect((await change({ oldPassword: PASSWORD, newPassword: PASSWORD })).body.error.code).toBe(
      'same_password',
    );
    expect((await change({ oldPassword: PASSWORD })).status).toBe(400);
    // Nothing changed: the old password still works.
    expect((await visitor().login('careless', PASSWORD)).status).toBe(200);

    const anonymous = visitor();
    expect(
      (await anonymous.request('POST', '/api/auth/password', { oldPassword: PASSWORD, newPassword: 'x' }))
        .status,
    ).toBe(401);
    client.csrfToken = '';
    expect((await change({ oldPassword: PASSWORD, newPassword: 'Another-Pass-1' })).status).toBe(403);
  });

  it("lets an admin reset another user's password: the user's sessions end, a lock is lifted", async () => {
    const id = await addUser('forgetful');
    const user = visitor();
    await user.login('forgetful', PASSWORD);
    for (let i = 0; i < LOCKOUT; i++) await visitor().login('forgetful', 'wrong-password');

    const res = await admin.request('POST', `/api/users/${id}/password`, { newPassword: 'Reset-By-Admin-7' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user.lockedUntil).toBeNull();
    expect((await user.request('GET', '/api/auth/me')).status).toBe(401);
    expect((await visitor().login('forgetful', 'Reset-By-Admin-7')).status).toBe(200);
    expect(await lastAudit('password_reset')).toMatchObject({
      username: 'admin',
      ip: '10.0.0.1',
      targetId: String(id),
    });
    // The admin's own password is changed with the current one, not reset.
    const users = await admin.request('GET', '/api/users');
    const adminId = users.body.users.find((u: { username: string }) => u.username === 'admin').id;
    const own = await admin.request('POST', `/api/users/${adminId}/password`, {
      newPassword: 'Whatever-123',
    });
    expect(own.status).toBe(422);
    expect(own.body.error.message).toContain('修改密码');
  });

  it('ends every session of a user who is disabled, and refuses their sign-in like a wrong password', async () => {
    const id = await addUser('leaver');
    const user = visitor();
    await user.login('leaver', PASSWORD);
    const res = await admin.request('PATCH', `/api/users/${id}`, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body.user.disabled).toBe(true);
    expect((await user.request('GET', '/api/auth/me')).status).toBe(401);
    const again = await visitor().login('leaver', PASSWORD);
    expect(again.status).toBe(401);
    expect(again.body.error.message).toBe('用户名或密码错误');
    expect(await lastAudit('user_disable')).toMatchObject({ username: 'admin', targetId: String(id) });
    expect((await admin.request('PATCH', `/api/users/${id}`, { disabled: false })).status).toBe(200);
    expect((await visitor().login('leaver', PASSWORD)).status).toBe(200);
  });
});
