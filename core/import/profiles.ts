import { QueryTypes } from 'sequelize';
import type { AuditLog } from '../audit.ts';
import type { SessionUser } from '../auth/accounts.ts';
import type { Database } from '../db/connection.ts';
import { TesseraError } from '../errors.ts';
import type { Events } from '../events/events.ts';
import type { LoadedPlugin, MappingProfile, PluginIssue } from '../plugins/index.ts';
import { validatePluginBundle } from '../plugins/validate.ts';

type Actor = SessionUser & { ip?: string };

import type { ProfileIssue, ProfileView } from './views.ts';

export type { ProfileIssue, ProfileView };

const SAVED_FILE = 'mappings/_saved-profile.json';

/**
 * Checks a profile with exactly the rules a plugin's own mapping files meet (schema, fields of
 * the form, duplicate headers, map values among the field's options): the profile is added to
 * a copy of the event's plugin and the whole plugin validated, and the issues of that one file
 * kept. One rule, one place — the plugin validator.
 */
export function checkProfile(
  plugin: LoadedPlugin,
  profile: unknown,
): { errors: ProfileIssue[]; warnings: ProfileIssue[] } {
  const manifest = plugin.bundle.files['plugin.json'] as Record<string, unknown>;
  const others = plugin.manifest.mappings ?? [];
  const files: Record<string, unknown> = {
    ...plugin.bundle.files,
    'plugin.json': { ...manifest, mappings: [...others, SAVED_FILE] },
    [SAVED_FILE]: profile,
  };
  const result = validatePluginBundle({ files }, { name: plugin.code, source: 'saved mapping profile' });
  const own = (list: PluginIssue[]) =>
    list
      .filter((i) => i.file === SAVED_FILE)
      // Codes may repeat a plugin profile's: a saved one is looked up by its own table.
      .filter((i) => i.code !== 'duplicate-code')
      .map((i) => ({ pointer: i.pointer ?? '', code: i.code, message: i.message }));
  return result.ok
    ? { errors: [], warnings: own(result.warnings) }
    : { errors: own(result.errors), warnings: own(result.warnings) };
}

/**
 * Mapping profiles (表格与数据库的映射方案) of an event: the plugin's, plus those the office saves
 * on the mapping page; and per unit, the one its sheets were last committed with, offered first
 * the next time that unit uploads.
 */
export class MappingProfiles {
  constructor(
    private readonly db: Database,
    private readonly events: Events,
    private readonly audit: AuditLog,
  ) {}

  async list(eventCode: string, kind?: string): Promise<ProfileView[]> {
    const { event, plugin } = await this.events.find(eventCode);
    const saved = await this.db.sequelize.query<{
      code: string;
      profile: MappingProfile;
      updated_at: Date;
      updated_by: string | null;
    }>(
      `SELECT p.code, p.profile, p.updated_at, u.username AS updated_by
         FROM mapping_profiles p LEFT JOIN users u ON u.id = p.updated_by
        WHERE p.event_id = :eventId AND (:kind::text IS NULL OR p.record_kind = :kind)
        ORDER BY p.code`,
      { type: QueryTypes.SELECT, replacements: { eventId: event.id, kind: kind ?? null } },
    );
    const remembered = await this.db.sequelize.query<{
      profile_code: string;
      record_kind: string;
      code: string;
      name: string;
    }>(
      `SELECT m.profile_code, m.record_kind, u.code, u.name FROM unit_mapping_profiles m
         JOIN units u ON u.id = m.unit_id WHERE m.event_id = :eventId ORDER BY u.code`,
      { type: QueryTypes.SELECT, replacements: { eventId: event.id } },
    );
    const unitsOf = (code: string, recordKind: string) =>
      remembered
        .filter((r) => r.profile_code === code && r.record_kind === recordKind)
        .map((r) => ({ code: r.code, name: r.name }));
    const savedCodes = new Set(saved.map((s) => s.code));
    const views: ProfileView[] = [
      ...saved.map((s) => ({
        code: s.code,
        name: s.profile.name,
        recordKind: s.profile.recordKind,
        source: 'saved' as const,
        profile: s.profile,
        units: unitsOf(s.code, s.profile.recordKind),
        updatedAt: s.updated_at.toISOString(),
        updatedBy: s.updated_by,
      })),
      // A saved profile with a plugin profile's code stands in its place.
      ...plugin.mappings
        .filter((m) => (!kind || m.recordKind === kind) && !savedCodes.has(m.code))
        .map((m) => ({
          code: m.code,
          name: m.name,
          recordKind: m.recordKind,
          source: 'plugin' as const,
          profile: m,
          units: unitsOf(m.code, m.recordKind),
          updatedAt: null,
          updatedBy: null,
        })),
    ];
    return views;
  }

  /** The profiles of a kind for staging, the unit's remembered one first. */
  async forStaging(
    eventId: number,
    plugin: LoadedPlugin,
    kind: string,
    unitId: number | null,
  ): Promise<{ profiles: MappingProfile[]; remembered: string | null }> {
    const saved = await this.db.sequelize.query<{ code: string; profile: MappingProfile }>(
      'SELECT code, profile FROM mapping_profiles WHERE event_id = :eventId AND record_kind = :kind ORDER BY code',
      { type: QueryTypes.SELECT, replacements: { eventId, kind } },
    );
    const savedCodes = new Set(saved.map((s) => s.code));
    const profiles = [
      ...saved.map((s) => s.profile),
      ...plugin.mappings.filter((m) => m.recordKind === kind && !savedCodes.has(m.code)),
    ];
    let remembered: string | null = null;
    if (unitId !== null) {
      const [row] = await this.db.sequelize.query<{ profile_code: string }>(
        `SELECT profile_code FROM unit_mapping_profiles
          WHERE event_id = :eventId AND unit_id = :unitId AND record_kind = :kind`,
        { type: QueryTypes.SELECT, replacements: { eventId, unitId, kind } },
      );
      remembered = row?.profile_code ?? null;
    }
    const first = profiles.findIndex((p) => p.code === remembered);
    if (first > 0) profiles.unshift(...profiles.splice(first, 1));
    return { profiles, remembered: first >= 0 ? remembered : null };
  }

  /** Finds a named profile (saved first, then the plugin's). */
  async find(eventCode: string, code: string): Promise<MappingProfile> {
    const list = await this.list(eventCode);
    const found = list.find((p) => p.code === code);
    if (!found) throw new TesseraError('profile_not_found', `映射方案 "${code}" 不存在`, 404);
    return found.profile;
  }

  /** Saves (creates or replaces) a profile after the plugin's own mapping checks. */
  async save(
    eventCode: string,
    profile: unknown,
    actor: Actor,
  ): Promise<{ profile: ProfileView; warnings: ProfileIssue[] }> {
    const { event, plugin } = await this.events.find(eventCode);
    const { errors, warnings } = checkProfile(plugin, profile);
    if (errors.length > 0) {
      throw new TesseraError(
        'profile_invalid',
        `映射方案有 ${errors.length} 处问题：${errors.map((e) => e.message).join('；')}`,
        422,
        { issues: errors, warnings },
      );
    }
    const p = profile as MappingProfile;
    await this.db.sequelize.query(
      `INSERT INTO mapping_profiles (event_id, code, record_kind, profile, created_by, updated_by)
       VALUES (:eventId, :code, :kind, :profile::jsonb, :userId, :userId)
       ON CONFLICT (event_id, code) DO UPDATE
         SET profile = EXCLUDED.profile, record_kind = EXCLUDED.record_kind,
             updated_by = EXCLUDED.updated_by, updated_at = now()`,
      {
        replacements: {
          eventId: event.id,
          code: p.code,
          kind: p.recordKind,
          profile: JSON.stringify(p),
          userId: actor.id,
        },
      },
    );
    await this.audit.record(
      'mapping_profile_save',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'mapping_profile', id: p.code, eventId: event.id },
      { name: p.name, recordKind: p.recordKind, columns: p.columns.length },
    );
    const view = (await this.list(eventCode)).find((v) => v.code === p.code)!;
    return { profile: view, warnings };
  }

  async remove(eventCode: string, code: string, actor: Actor): Promise<void> {
    const { event } = await this.events.find(eventCode);
    const [, result] = await this.db.sequelize.query(
      'DELETE FROM mapping_profiles WHERE event_id = :eventId AND code = :code',
      { replacements: { eventId: event.id, code } },
    );
    if (((result as { rowCount?: number }).rowCount ?? 0) === 0) {
      throw new TesseraError(
        'profile_not_found',
        `没有已保存的映射方案 "${code}"（插件自带的方案不能删除）`,
        404,
      );
    }
    await this.db.sequelize.query(
      'DELETE FROM unit_mapping_profiles WHERE event_id = :eventId AND profile_code = :code',
      { replacements: { eventId: event.id, code } },
    );
    await this.audit.record(
      'mapping_profile_delete',
      { userId: actor.id, username: actor.username, ip: actor.ip },
      { type: 'mapping_profile', id: code, eventId: event.id },
      {},
    );
  }

  /** Remembers the profile a unit's batch was committed with. */
  async remember(eventId: number, unitId: number, kind: string, code: string): Promise<void> {
    await this.db.sequelize.query(
      `INSERT INTO unit_mapping_profiles (event_id, unit_id, record_kind, profile_code)
       VALUES (:eventId, :unitId, :kind, :code)
       ON CONFLICT (event_id, unit_id, record_kind) DO UPDATE
         SET profile_code = EXCLUDED.profile_code, updated_at = now()`,
      { replacements: { eventId, unitId, kind, code } },
    );
  }
}
