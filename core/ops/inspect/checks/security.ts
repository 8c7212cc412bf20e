import { verifyPassword } from '../../../auth/passwords.ts';
import { select, timeText, type Check } from '../check.ts';

/** Passwords people try first; a configured admin password equal to one of them is a finding. */
export const WEAK_PASSWORDS: readonly string[] = [
  'admin',
  'admin123',
  'admin888',
  'Admin@123',
  'admin@123',
  'administrator',
  'password',
  'Passw0rd',
  'P@ssw0rd',
  'password123',
  '12345678',
  '123456789',
  '1234567890',
  '11111111',
  '88888888',
  '00000000',
  'qwerty123',
  'abc12345',
  'abcd1234',
  'tessera',
  'tessera123',
  'changeme',
];

/** A failed-login burst: this many failures from one address within 24 hours. */
export const FAILED_LOGIN_BURST = 20;

/** Accounts whose password is checked against the weak list (argon2 costs ~20 ms per try). */
const PASSWORD_SAMPLE = 40;

interface UserRow {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** 安全检查: default and weak passwords, admin accounts, cookie/TLS settings, failed logins. */
export const securityCheck: Check = {
  id: 'security',
  title: '安全检查',
  async run(ctx, out) {
    const { config, now } = ctx;
    const configured = config.adminPassword;
    if (
      configured &&
      (WEAK_PASSWORDS.some((w) => w.toLowerCase() === configured.toLowerCase()) || configured.length < 10)
    ) {
      out.find(
        '严重',
        '管理员初始密码是常见弱密码',
        `环境变量 TESSERA_ADMIN_PASSWORD 的值${configured.length < 10 ? `只有 ${configured.length} 位` : '在常见弱密码表中'}。`,
        '为 TESSERA_ADMIN_PASSWORD 设置 12 位以上的随机密码；若 admin 已用它登录过，同时修改 admin 的密码。',
      );
    }

    const users = await select<UserRow>(
      ctx.db,
      `SELECT id, username, role, disabled, password_hash, failed_logins, locked_until, last_login_at, created_at
         FROM users WHERE username <> 'cli' ORDER BY role = 'admin' DESC, last_login_at DESC NULLS LAST, id`,
    );
    const enabled = users.filter((u) => !u.disabled);
    const admins = enabled.filter((u) => u.role === 'admin');
    out.fact('启用的账号', `${enabled.length} 个（停用 ${users.length - enabled.length} 个）`);
    out.fact('管理员账号', `${admins.length} 个：${admins.map((a) => a.username).join('、') || '无'}`);
    out.table(
      '管理员账号',
      ['用户名', '最近登录', '创建时间', '连续登录失败'],
      admins.map((a) => [a.username, timeText(a.last_login_at), timeText(a.created_at), a.failed_logins]),
    );
    if (admins.length > 3) {
      out.find(
        '提示',
        `管理员账号有 ${admins.length} 个`,
        `启用的管理员：${admins.map((a) => a.username).join('、')}。`,
        '管理员权限只给确需的人；其余改为对应角色或停用。',
      );
    }
    const idleAdmins = admins.filter(
      (a) => now.getTime() - (a.last_login_at ?? a.created_at).getTime() > 90 * 86_400_000,
    );
    if (idleAdmins.length) {
      out.find(
        '提示',
        `${idleAdmins.length} 个管理员账号 90 天以上未登录`,
        idleAdmins.map((a) => `${a.username}（最近登录 ${timeText(a.last_login_at)}）`).join('；'),
        '不再使用的管理员账号应停用。',
      );
    }

    // The first admin still signing in with the password the environment gave it: that password
    // sits in plain text in a unit file or a shell history.
    const admin = users.find((u) => u.username === 'admin' && !u.disabled);
    if (configured && admin && (await verifyPassword(admin.password_hash, configured))) {
      out.find(
        '警告',
        'admin 仍在使用初始密码',
        'admin 的密码仍是首次启动时 TESSERA_ADMIN_PASSWORD 给定的值，它以明文保存在启动配置或命令历史中。',
        '以 admin 登录后点右上角“修改密码”，并从启动配置中删除 TESSERA_ADMIN_PASSWORD（它只在首次启动时使用）。',
      );
    }
    const sample = enabled.slice(0, PASSWORD_SAMPLE);
    const weak: string[] = [];
    for (const u of sample) {
      const candidates =
        u.role === 'admin'
          ? [...WEAK_PASSWORDS, u.username, `${u.username}123`]
          : [u.username, `${u.username}123`, '12345678', 'password', 'admin123'];
      for (const c of candidates) {
        if (await verifyPassword(u.password_hash, c)) {
          weak.push(`${u.username}（${u.role === 'admin' ? '管理员' : u.role}）`);
          break;
        }
      }
    }
    out.fact(
      '弱密码检查',
      `已检查 ${sample.length} 个账号（管理员在前）${enabled.length > sample.length ? `，共 ${enabled.length} 个` : ''}`,
    );
    if (weak.length) {
      out.find(
        '严重',
        `${weak.length} 个账号使用弱密码`,
        `密码为常见弱密码或与用户名相同：${weak.join('、')}。`,
        '立即为这些账号重设强密码，并通知本人。',
      );
    }

    const secure = config.secureCookies;
    const exposed = !LOOPBACK.has(config.host);
    out.fact('监听地址', `${config.host}:${config.port}`);
    out.fact('会话 Cookie', `HttpOnly，SameSite=Lax，Secure ${secure ? '开' : '关'}`);
    out.fact('反向代理', process.env.TESSERA_TRUST_PROXY === '1' ? '信任 X-Forwarded-For' : '不信任');
    out.fact('会话有效期', `${config.sessionTtlHours} 小时，闲置 ${config.auth.sessionIdleMinutes} 分钟失效`);
    out.fact(
      '登录限制',
      `同一地址 ${config.auth.addressWindowMinutes} 分钟内失败 ${config.auth.addressMaxFailures} 次暂停登录；同一账号连续失败 ${config.auth.lockoutFailures} 次锁定 ${config.auth.lockoutMinutes} 分钟`,
    );
    if (!secure) {
      out.find(
        exposed ? '警告' : '提示',
        '会话 Cookie 未设置 Secure 标志',
        exposed
          ? `服务监听 ${config.host}，会话 Cookie 可经未加密的 HTTP 传输，可能被同网段窃取。`
          : '服务只监听本机；若经反向代理对外提供服务，Cookie 应只走 HTTPS。',
        '在 HTTPS 反向代理之后运行，并设置 TESSERA_SECURE_COOKIES=1（以及 TESSERA_TRUST_PROXY=1）。',
      );
    }
    if (config.sessionTtlHours > 24) {
      out.find(
        '提示',
        '会话有效期超过 24 小时',
        `TESSERA_SESSION_TTL_HOURS=${config.sessionTtlHours}。`,
        '办公使用建议 12 小时以内，离开后会话自动失效。',
      );
    }

    const failed = await select<{ username: string | null; ip: string | null; n: string; last: Date }>(
      ctx.db,
      `SELECT username, ip, count(*) AS n, max(at) AS last FROM audit_log
        WHERE action = 'login_failed' AND at > :since GROUP BY username, ip ORDER BY n DESC`,
      { since: new Date(now.getTime() - 86_400_000) },
    );
    const total = failed.reduce((s, f) => s + Number(f.n), 0);
    out.fact('24 小时内登录失败', `${total} 次`);
    out.table(
      '登录失败（24 小时内，按次数）',
      ['用户名', '来源地址', '次数', '最近一次'],
      failed.slice(0, 15).map((f) => [f.username ?? '—', f.ip ?? '—', Number(f.n), timeText(f.last)]),
    );
    const byIp = new Map<string, number>();
    for (const f of failed) byIp.set(f.ip ?? '—', (byIp.get(f.ip ?? '—') ?? 0) + Number(f.n));
    const bursts = [...byIp].filter(([, n]) => n >= FAILED_LOGIN_BURST);
    if (bursts.length) {
      out.find(
        '严重',
        '登录失败次数异常，疑似密码猜测',
        `24 小时内：${bursts.map(([ip, n]) => `${ip} 失败 ${n} 次`).join('；')}。涉及账号：${[
          ...new Set(
            failed.filter((f) => bursts.some(([ip]) => ip === (f.ip ?? '—'))).map((f) => f.username ?? '—'),
          ),
        ].join('、')}。`,
        '在防火墙或反向代理上封禁这些地址，确认涉及的账号密码足够强；如为内部人员忘记密码，联系本人。',
      );
    } else if (total >= config.auth.lockoutFailures) {
      out.find(
        '提示',
        `24 小时内登录失败 ${total} 次`,
        '未见来自同一地址的集中尝试。',
        '留意是否有人忘记密码，必要时为其重设。',
      );
    }
    const locked = enabled.filter((u) => u.locked_until && u.locked_until > now);
    if (locked.length) {
      out.find(
        '警告',
        `${locked.length} 个账号当前被锁定`,
        `连续登录失败 ${config.auth.lockoutFailures} 次后锁定 ${config.auth.lockoutMinutes} 分钟：${locked.map((u) => u.username).join('、')}。`,
        '确认是本人忘记密码还是他人尝试；锁定到期后自动解除，或由管理员在“用户管理”中解锁。',
      );
    }
  },
};
