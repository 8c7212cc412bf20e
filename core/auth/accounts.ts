import { createHash, randomBytes } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { AuthConfig, TesseraConfig } from '../config.ts';
import type { Database } from '../db/connection.ts';
import { ROLES, type Role, type User } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import {
  generatePassword,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  unknownUserHash,
  verifyPassword,
} from './passwords.ts';
import { LoginThrottle, minutesUntil, type Block } from './throttle.ts';
import type { AccountView } from './views.ts';

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  unit: { id: number; code: string; name: string } | null;
}

export interface IssuedSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: SessionUser;
}

/** Who asks, as the audit log and the throttle need it. */
export interface RequestMeta {
  ip: string;
  userAgent?: string | undefined;
}

/** Defaults of the account lock (TESSERA_LOGIN_LOCKOUT_FAILURES / _MINUTES). */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MINUTES = 15;

/** last_seen_at is written at most this often per session: no write on every request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

const tokenId = (token: string) => createHash('sha256').update(token).digest('hex');

interface SessionRow {
  csrf_token: string;
  expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  unit_id: string | null;
  unit_code: string | null;
  unit_name: string | null;
}

export class Accounts {
  private readonly throttle: LoginThrottle;
  private readonly auth: AuthConfig;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<TesseraConfig, 'sessionTtlHours' | 'auth'>,
    private readonly audit: AuditLog,
  ) {
    this.auth = config.auth;
    this.throttle = new LoginThrottle(db, config.auth);
  }

  async createUser(input: {
    username: string;
    password: string;
    role: string;
    unitCode?: string | undefined;
    displayName?: string | undefined;
  }): Promise<User> {
    const { User, Unit } = this.db.models;
    if (!/^[A-Za-z0-9_.-]{2,64}$/.test(input.username)) {
      throw new TesseraError(
        'invalid_username',
        `用户名 "${input.username}" 只能包含字母、数字、_ . -，长度 2–64`,
      );
    }
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new TesseraError('invalid_role', `角色 "${input.role}" 无效，可选：${ROLES.join(', ')}`);
    }
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new TesseraError('weak_password', `密码至少 ${MIN_PASSWORD_LENGTH} 位`);
    }
    let unitId: number | null = null;
    if (input.unitCode) {
      const unit = await Unit.findOne({ where: { code: input.unitCode } });
      if (!unit)
        throw new TesseraError('unit_not_found', `单位 "${input.unitCode}" 不存在，请先添加单位`, 404);
      unitId = unit.id;
    }
    if (input.role === 'unit' && unitId === null) {
      throw new TesseraError('unit_required', '申报单位用户必须指定所属单位 (--unit <code>)');
    }
    if (await User.findOne({ where: { username: input.username } })) {
      throw new TesseraError('username_taken', `用户名 "${input.username}" 已存在`, 409);
    }
    return User.create({
      username: input.username,
      displayName: input.displayName ?? input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role as Role,
      unitId,
      lockedUntil: null,
      lastLoginAt: null,
    });
  }

  /** Creates `admin` on first start; returns the generated password when none was configured. */
  async ensureFirstAdmin(
    configuredPassword: string | undefined,
  ): Promise<{ created: boolean; password?: string }> {
    const { User } = this.db.models;
    if (await User.findOne({ where: { role: 'admin' } })) return { created: false };
    const password = configuredPassword ?? generatePassword();
    await this.createUser({ username: 'admin', password, role: 'admin', displayName: '系统管理员' }).catch(
      (error: unknown) => {
        // Another process created it a moment ago.
        if (!(error instanceof TesseraError && error.code === 'username_taken')) throw error;
      },
    );
    return configuredPassword ? { created: true } : { created: true, password };
  }

  /**
   * Who the command line acts as: a built-in account `cli` that can never sign in (disabled,
   * random password), so the audit log names the shell as the author of what it did.
   */
  async commandLineActor(): Promise<SessionUser & { ip: string }> {
    const { User } = this.db.models;
    let user = await User.findOne({ where: { username: 'cli' } });
    if (!user) {
      await this.createUser({
        username: 'cli',
        password: generatePassword(),
        role: 'admin',
        displayName: '命令行',
      }).catch((error: unknown) => {
        if (!(error instanceof TesseraError && error.code === 'username_taken')) throw error;
      });
      user = await User.findOne({ where: { username: 'cli' } });
      await user!.update({ disabled: true });
    }
    return { ...(await this.toSessionUser(user!)), ip: 'cli' };
  }

  async toSessionUser(user: User): Promise<SessionUser> {
    const unit = user.unitId ? await this.db.models.Unit.findByPk(user.unitId) : null;
    return {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      unit: unit ? { id: unit.id, code: unit.code, name: unit.name } : null,
    };
  }

  /** The admin's user list: every account but the command line's, with its sign-in state. */
  async list(): Promise<AccountView[]> {
    const rows = await this.db.sequelize.query<{
      id: string;
      username: string;
      display_name: string;
      role: Role;
      disabled: boolean;
      failed_logins: number;
      locked_until: Date | null;
      last_login_at: Date | null;
      password_changed_at: Date | null;
      unit_id: string | null;
      unit_code: string | null;
      unit_name: string | null;
    }>(
      `SELECT u.id, u.username, u.display_name, u.role, u.disabled, u.failed_logins, u.locked_until,
              u.last_login_at, u.password_changed_at, n.id AS unit_id, n.code AS unit_code, n.name AS unit_name
         FROM users u LEFT JOIN units n ON n.id = u.unit_id
        WHERE u.username <> 'cli' ORDER BY u.username`,
      { type: QueryTypes.SELECT },
    );
    const now = Date.now();
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return rows.map((r) => ({
      id: Number(r.id),
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      unit: r.unit_id ? { id: Number(r.unit_id), code: r.unit_code!, name: r.unit_name! } : null,
      disabled: r.disabled,
      failedLogins: r.failed_logins,
      lockedUntil: r.locked_until && new Date(r.locked_until).getTime() > now ? iso(r.locked_until) : null,
      lastLoginAt: iso(r.last_login_at),
      passwordChangedAt: iso(r.password_changed_at),
    }));
  }

  /**
   * Signs in. Refused, in this order: an address with too many recent failures (429, before any
   * password is checked, whatever names it tries — password spraying), a locked account (429), a
   * wrong password (401). An unknown name gets the very same answers — it locks like an account,
   * and its password is checked against a dummy hash so it takes as long — so names cannot be
   * probed. Success always issues a fresh token and ends the session the request came with (no
   * fixation). Every outcome is in the audit log with the address.
   */
  async login(
    username: string,
    password: string,
    meta: RequestMeta & { presentedToken?: string | undefined },
  ): Promise<IssuedSession> {
    const { User, Session } = this.db.models;
    const actor = { username, ip: meta.ip };
    const refuse = async (
      error: TesseraError,
      user: User | null,
      then?: (() => Promise<void>) | null,
    ): Promise<never> => {
      await this.audit.record(
        'login_failed',
        { ...actor, userId: user?.id ?? null },
        user ? { type: 'user', id: user.id } : {},
        { reason: error.code },
      );
      await then?.();
      throw error;
    };

    const addressBlock = await this.throttle.addressBlock(meta.ip);
    if (addressBlock) return refuse(addressThrottled(addressBlock), null);

    const user = await User.findOne({ where: { username } });
    const now = new Date();
    const lock =
      user === null
        ? await this.throttle.unknownNameBlock(username, now)
        : user.lockedUntil && user.lockedUntil > now
          ? { until: user.lockedUntil }
          : null;
    if (lock) {
      await this.throttle.recordFailure(meta.ip, username, now);
      return refuse(accountLocked(lock), user);
    }

    const verified = await verifyPassword(user?.passwordHash ?? (await unknownUserHash()), password);
    if (!user || user.disabled || !verified) {
      const locked = await this.countFailure(user, username, meta);
      return refuse(new TesseraError('invalid_credentials', '用户名或密码错误', 401), user, locked);
    }

    await user.update({ failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() });
    if (meta.presentedToken) await Session.destroy({ where: { id: tokenId(meta.presentedToken) } });
    const session = await this.issueSession(user, meta);
    await this.audit.record(
      'login',
      { userId: user.id, username: user.username, ip: meta.ip },
      { type: 'user', id: user.id },
      { userAgent: meta.userAgent?.slice(0, 200) ?? null },
    );
    await this.sweep();
    return session;
  }

  /**
   * A wrong password: one more failure for the address and the name, and the account locked at the
   * threshold. Returns the audit of the lock, written after the failure that caused it.
   */
  private async countFailure(
    user: User | null,
    username: string,
    meta: RequestMeta,
  ): Promise<(() => Promise<void>) | null> {
    const now = new Date();
    await this.throttle.recordFailure(meta.ip, username, now);
    if (!user) return null;
    // A lock that has run out starts the count again.
    const expired = user.lockedUntil !== null && user.lockedUntil <= now;
    const failed = (expired ? 0 : user.failedLogins) + 1;
    const locks = failed >= this.auth.lockoutFailures;
    const lockedUntil = locks ? new Date(now.getTime() + this.auth.lockoutMinutes * 60_000) : null;
    await user.update({ failedLogins: failed, lockedUntil });
    if (!locks) return null;
    return () =>
      this.audit.record(
        'account_lock',
        { username, ip: meta.ip },
        { type: 'user', id: user.id },
        { failures: failed, until: lockedUntil!.toISOString() },
      );
  }

  private async issueSession(user: User, meta: RequestMeta): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.sessionTtlHours * 3_600_000);
    await this.db.models.Session.create({
      id: tokenId(token),
      userId: user.id,
      csrfToken,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      expiresAt,
    });
    return { token, csrfToken, expiresAt, user: await this.toSessionUser(user) };
  }

  /** Ended sessions (past their lifetime or idle too long) and failures no window reaches. */
  private async sweep(): Promise<void> {
    await this.db.sequelize.query(
      'DELETE FROM sessions WHERE expires_at < now() OR last_seen_at < :idleSince',
      { replacements: { idleSince: new Date(Date.now() - this.auth.sessionIdleMinutes * 60_000) } },
    );
    await this.throttle.prune();
  }

  /**
   * The session behind a cookie token, or undefined when unknown, past its lifetime, idle longer
   * than TESSERA_SESSION_IDLE_MINUTES, or its user disabled. One query; last_seen_at is written at
   * most once a minute per session.
   */
  async resolveSession(token: string): Promise<{ csrfToken: string; user: SessionUser } | undefined> {
    const id = tokenId(token);
    const [row] = await this.db.sequelize.query<SessionRow>(
      `SELECT s.csrf_token, s.expires_at, s.last_seen_at, u.id AS user_id, u.username, u.display_name,
              u.role, u.disabled, n.id AS unit_id, n.code AS unit_code, n.name AS unit_name
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN units n ON n.id = u.unit_id
        WHERE s.id = :id`,
      { type: QueryTypes.SELECT, replacements: { id } },
    );
    if (!row) return undefined;
    const now = Date.now();
    const lastSeen = new Date(row.last_seen_at).getTime();
    if (
      new Date(row.expires_at).getTime() <= now ||
      now - lastSeen >= this.auth.sessionIdleMinutes * 60_000 ||
      row.disabled
    ) {
      await this.db.models.Session.destroy({ where: { id } });
      return undefined;
    }
    if (now - lastSeen >= LAST_SEEN_GRANULARITY_MS) {
      await this.db.sequelize.query('UPDATE sessions SET last_seen_at = now() WHERE id = :id', {
        replacements: { id },
      });
    }
    return {
      csrfToken: row.csrf_token,
      user: {
        id: Number(row.user_id),
        username: row.username,
        displayName: row.display_name,
        role: row.role,
        unit: row.unit_id ? { id: Number(row.unit_id), code: row.unit_code!, name: row.unit_name! } : null,
      },
    };
  }

  /** Signs out: the session is gone from the server, not only from the browser. */
  async logout(token: string, meta: RequestMeta, user: SessionUser | undefined): Promise<void> {
    await this.db.models.Session.destroy({ where: { id: tokenId(token) } });
    await this.audit.record(
      'logout',
      { userId: user?.id ?? null, username: user?.username ?? null, ip: meta.ip },
      user ? { type: 'user', id: user.id } : {},
    );
  }

  /** Ends every session of a user (password changed or reset, account disabled). */
  private async revokeSessions(userId: number, transaction?: Transaction): Promise<number> {
    return this.db.models.Session.destroy({ where: { userId }, transaction });
  }

  private checkNewPassword(user: User, password: string): void {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new TesseraError('weak_password', `新密码至少 ${MIN_PASSWORD_LENGTH} 位`, 422);
    }
    if (user.username.length >= 3 && password.toLowerCase().includes(user.username.toLowerCase())) {
      throw new TesseraError('weak_password', '新密码不能包含用户名', 422);
    }
    if (new Set(password).size < 4) {
      throw new TesseraError('weak_password', '新密码过于简单：至少包含 4 个不同的字符', 422);
    }
  }

  private async setPassword(user: User, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.db.sequelize.transaction(async (transaction) => {
      await this.db.sequelize.query(
        `UPDATE users SET password_hash = :hash, password_changed_at = now(), failed_logins = 0,
                locked_until = NULL, updated_at = now() WHERE id = :id`,
        { transaction, replacements: { hash: passwordHash, id: user.id } },
      );
      await this.revokeSessions(user.id, transaction);
    });
  }

  /**
   * A user changes their own password: the current one must be right (a wrong one counts like a
   * failed sign-in). Every session of the user ends — other browsers are signed out — and this
   * request gets a fresh one.
   */
  async changePassword(
    userId: number,
    input: { oldPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<IssuedSession> {
    const user = await this.db.models.User.findByPk(userId);
    if (!user || user.disabled) throw new TesseraError('unauthenticated', '请先登录', 401);
    const block = await this.throttle.addressBlock(meta.ip);
    if (block) throw addressThrottled(block);
    if (!(await verifyPassword(user.passwordHash, input.oldPassword))) {
      const locked = await this.countFailure(user, user.username, meta);
      await this.audit.record(
        'password_change_failed',
        { userId: user.id, username: user.username, ip: meta.ip },
        { type: 'user', id: user.id },
        { reason: 'wrong_password' },
      );
      await locked?.();
      throw new TesseraError('wrong_password', '原密码不正确', 422);
    }
    if (input.newPassword === input.oldPassword) {
      throw new TesseraError('same_password', '新密码不能与原密码相同', 422);
    }
    this.checkNewPassword(user, input.newPassword);
    await this.setPassword(user, input.newPassword);
    await this.audit.record(
      'password_change',
      { userId: user.id, username: user.username, ip: meta.ip },
      { type: 'user', id: user.id },
    );
    return this.issueSession(user, meta);
  }

  private async managed(userId: number, actor: SessionUser, verb: string): Promise<User> {
    const user = await this.db.models.User.findByPk(userId);
    if (!user || user.username === 'cli') throw new TesseraError('user_not_found', '用户不存在', 404);
    if (user.id === actor.id) {
      throw new TesseraError(
        'own_account',
        `不能${verb}自己的账号${verb === '重设密码' ? '：请用右上角“修改密码”（需输入原密码）' : ''}`,
        422,
      );
    }
    return user;
  }

  /** An admin sets another user's password (they forgot it); the user's sessions end, a lock is lifted. */
  async resetPassword(
    userId: number,
    newPassword: string,
    actor: SessionUser & { ip: string },
  ): Promise<AccountView> {
    const user = await this.managed(userId, actor, '重设密码');
    this.checkNewPassword(user, newPassword);
    await this.setPassword(user, newPassword);
    await this.audit.record(
      'password_reset',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'user', id: user.id },
      { user: user.username },
    );
    return this.view(user.id);
  }

  /** An admin lifts a lock before it runs out. */
  async unlock(userId: number, actor: SessionUser & { ip: string }): Promise<AccountView> {
    const user = await this.managed(userId, actor, '解锁');
    const wasLocked = user.lockedUntil !== null && user.lockedUntil > new Date();
    await user.update({ failedLogins: 0, lockedUntil: null });
    await this.audit.record(
      'account_unlock',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'user', id: user.id },
      { user: user.username, wasLocked },
    );
    return this.view(user.id);
  }

  /** An admin disables (every session ends at once) or enables an account. */
  async setDisabled(
    userId: number,
    disabled: boolean,
    actor: SessionUser & { ip: string },
  ): Promise<AccountView> {
    const user = await this.managed(userId, actor, disabled ? '停用' : '启用');
    await this.db.sequelize.transaction(async (transaction) => {
      await user.update({ disabled }, { transaction });
      if (disabled) await this.revokeSessions(user.id, transaction);
    });
    await this.audit.record(
      disabled ? 'user_disable' : 'user_enable',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'user', id: user.id },
      { user: user.username },
    );
    return this.view(user.id);
  }

  private async view(userId: number): Promise<AccountView> {
    const found = (await this.list()).find((u) => u.id === userId);
    if (!found) throw new TesseraError('user_not_found', '用户不存在', 404);
    return found;
  }
}

function addressThrottled(block: Block): TesseraError {
  const minutes = minutesUntil(block.until);
  return new TesseraError(
    'login_throttled',
    `登录失败次数过多，本机所在地址已暂停登录，请 ${minutes} 分钟后再试`,
    429,
    { retryAt: block.until.toISOString(), retryAfterSeconds: minutes * 60 },
  );
}

function accountLocked(block: Block): TesseraError {
  const minutes = minutesUntil(block.until);
  return new TesseraError(
    'account_locked',
    `账号因多次密码错误已被临时锁定，请 ${minutes} 分钟后再试，或联系管理员解锁`,
    429,
    { retryAt: block.until.toISOString(), retryAfterSeconds: minutes * 60 },
  );
}
