import type { LoadedPlugin } from './validate.ts';

/** The loaded plugins of a running engine, by plugin code and by event code. */
export class PluginRegistry {
  private readonly byCode = new Map<string, LoadedPlugin>();
  private readonly byEvent = new Map<string, LoadedPlugin>();

  /**
   * Adds a plugin. Registering a code again replaces the earlier version only with
   * `{ replace: true }`; an event code belongs to one plugin.
   */
  register(p: LoadedPlugin, opts: { replace?: boolean } = {}): void {
    const existing = this.byCode.get(p.code);
    if (existing && !opts.replace) {
      throw new Error(`插件 "${p.code}" 已注册（版本 ${existing.version}）`);
    }
    const eventCode = p.manifest.event.code;
    const owner = this.byEvent.get(eventCode);
    if (owner && owner.code !== p.code) {
      throw new Error(`活动代码 "${eventCode}" 已属于插件 "${owner.code}"`);
    }
    if (existing) this.byEvent.delete(existing.manifest.event.code);
    this.byCode.set(p.code, p);
    this.byEvent.set(eventCode, p);
  }

  unregister(code: string): boolean {
    const p = this.byCode.get(code);
    if (!p) return false;
    this.byCode.delete(code);
    this.byEvent.delete(p.manifest.event.code);
    return true;
  }

  get(code: string): LoadedPlugin | undefined {
    return this.byCode.get(code);
  }

  /** All plugins, by code. */
  list(): LoadedPlugin[] {
    return [...this.byCode.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }

  getByEventCode(eventCode: string): LoadedPlugin | undefined {
    return this.byEvent.get(eventCode);
  }
}
