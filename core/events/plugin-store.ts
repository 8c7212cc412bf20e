import type { Database } from '../db/connection.ts';
import type { PluginVersion } from '../db/models.ts';
import { bundleToJson, loadPluginBundleJson, type LoadedPlugin } from '../plugins/index.ts';

/**
 * Versioned copies of plugins in the database. A plugin is stored again only when its
 * content (checksum) changed, so restarting never multiplies versions.
 */
export class PluginStore {
  private readonly cache = new Map<number, LoadedPlugin>();

  constructor(private readonly db: Database) {}

  async store(
    plugin: LoadedPlugin,
    source: PluginVersion['source'],
    createdBy?: number,
  ): Promise<PluginVersion> {
    const { PluginVersion } = this.db.models;
    return this.db.sequelize.transaction(async (transaction) => {
      // Serialise writers of the same plugin so version numbers stay gap-free.
      await this.db.sequelize.query('SELECT pg_advisory_xact_lock(hashtext(:code))', {
        replacements: { code: `plugin:${plugin.code}` },
        transaction,
      });
      const latest = await PluginVersion.findOne({
        where: { pluginCode: plugin.code },
        order: [['version', 'DESC']],
        transaction,
      });
      if (latest && latest.checksum === plugin.checksum) return latest;
      const stored = await PluginVersion.create(
        {
          pluginCode: plugin.code,
          version: (latest?.version ?? 0) + 1,
          declaredVersion: plugin.version,
          checksum: plugin.checksum,
          source,
          bundle: bundleToJson(plugin.bundle, { checksum: plugin.checksum }),
          createdBy: createdBy ?? null,
        },
        { transaction },
      );
      this.cache.set(stored.id, plugin);
      return stored;
    });
  }

  /** The plugin as stored under a version id, validated again on the way out of the database. */
  async load(versionId: number): Promise<LoadedPlugin> {
    const cached = this.cache.get(versionId);
    if (cached) return cached;
    const row = await this.db.models.PluginVersion.findByPk(versionId);
    if (!row) throw new Error(`plugin version ${versionId} not found`);
    const result = loadPluginBundleJson(row.bundle, { source: `database:plugin_versions/${versionId}` });
    if (!result.ok) {
      throw new Error(
        `stored plugin ${row.pluginCode} v${row.version} no longer validates: ${result.errors.map((e) => e.message).join('; ')}`,
      );
    }
    this.cache.set(versionId, result.plugin);
    return result.plugin;
  }
}
