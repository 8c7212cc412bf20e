import { createHash, randomBytes } from 'node:crypto';
import { Op } from 'sequelize';
import type { Database } from '../db/connection.ts';
import { ROLES, type Role, type User } from '../db/models.ts';
import { TesseraError } from '../errors.ts';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';

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

/** Failed logins before an account is locked, and for how long. */
export const LOCKOUT_THRESHOLD = 5;
export const LOCKOUT_MINUTES = 15;

const tokenId = (token: string) => createHash('sha256').update(token).digest('hex');

export class Accounts {
  constructor(
    private readonly db: Database,
    private readonly sessionTtlHours: number,
  ) {}

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

  /**
   * Checks a password. Wrong passwords count towards a lockout of the account; the same
   * message is given for an unknown user so usernames cannot be probed.
   */
  async login(
    username: string,
    password: string,
    meta: { ip?: string; userAgent?: string },
  ): Promise<IssuedSession> {
    const { User, Session } = this.db.models;
    const user = await User.findOne({ where: { username } });
    if (user?.lockedUntil && user.lockedUntil > new Date()) {
      throw new TesseraError(
        'account_locked',
        `账号已被临时锁定，请 ${LOCKOUT_MINUTES} 分钟后再试或联系管理员`,
        429,
      );
    }
    const ok = user !== null && !user.disabled && (await verifyPassword(user.passwordHash, password));
    if (!user || !ok) {
      if (user) {
        const failed = user.failedLogins + 1;
        await user.update({
          failedLogins: failed,
          lockedUntil: failed >= LOCKOUT_THRESHOLD ? new Date(Date.now() + LOCKOUT_MINUTES * 60_000) : null,
        });
      }
      throw new TesseraError('invalid_credentials', '用户名或密码错误', 401);
    }
    await user.update({ failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() });
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.sessionTtlHours * 3_600_000);
    await Session.create({
      id: tokenId(token),
      userId: user.id,
      csrfToken,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
      expiresAt,
    });
    await Session.destroy({ where: { expiresAt: { [Op.lt]: new Date() } } });
    return { token, csrfToken, expiresAt, user: await this.toSessionUser(user) };
  }

  /** The session behind a cookie token, or undefined when unknown, expired or the user disabled. */
  async resolveSession(token: string): Promise<{ csrfToken: string; user: SessionUser } | undefined> {
    const { Session, User } = this.db.models;
    const session = await Session.findByPk(tokenId(token));
    if (!session) return undefined;
    if (session.expiresAt <= new Date()) {
      await session.destroy();
      return undefined;
    }
    const user = await User.findByPk(session.userId);
    if (!user || user.disabled) return undefined;
    return { csrfToken: session.csrfToken, user: await this.toSessionUser(user) };
  }

  async logout(token: string): Promise<void> {
    await this.db.models.Session.destroy({ where: { id: tokenId(token) } });
  }
}
