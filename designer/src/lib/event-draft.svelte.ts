// The working copy of an event's plugin while an admin sets the event up: loaded from
// `GET /api/events/:code/draft`, changed file by file in the setup tabs, saved (explicitly, with
// Ctrl+S, or a moment after the last change) with `PUT …/draft`, published with `POST …/publish`.
// Every tab edits `files` through this one object, so the status bar, the save button and the
// problem list always agree.
import type { DraftView, VersionView } from '@core/events/setup-types.ts';
import type { PluginIssue } from '@core/plugins/plugin-issue.ts';
import { ApiError, setupApi } from './setup-api';

export type DraftFiles = Record<string, unknown>;

const AUTOSAVE_MS = 1500;

export class EventDraft {
  readonly code: string;
  view: DraftView | null = $state(null);
  /** Local file contents, ahead of the server while `dirty` is not empty. */
  files: DraftFiles = $state({});
  /** Paths changed locally and not yet saved. */
  dirty: readonly string[] = $state([]);
  saving = $state(false);
  publishing = $state(false);
  error: unknown = $state(null);
  /** Set when someone else saved the draft meanwhile; the admin must reload. */
  conflict = $state(false);
  lastSavedAt: number | null = $state(null);
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(code: string) {
    this.code = code;
  }

  get revision(): number {
    return this.view?.revision ?? 0;
  }

  get errors(): PluginIssue[] {
    return this.view?.issues.errors ?? [];
  }

  get warnings(): PluginIssue[] {
    return this.view?.issues.warnings ?? [];
  }

  /** Problems of one file (optionally below a JSON pointer), for showing them where they are. */
  issuesAt(file: string, pointerPrefix = ''): PluginIssue[] {
    return [...this.errors, ...this.warnings].filter(
      (i) =>
        i.file === file &&
        (pointerPrefix === '' || i.pointer === pointerPrefix || i.pointer.startsWith(`${pointerPrefix}/`)),
    );
  }

  private accept(view: DraftView): void {
    this.view = view;
    // Keep local edits made while a save was in flight.
    const next: DraftFiles = { ...view.files };
    for (const path of this.dirty) if (path in this.files) next[path] = this.files[path];
    this.files = next;
  }

  async load(): Promise<void> {
    this.error = null;
    this.conflict = false;
    try {
      const { draft } = await setupApi.draft(this.code);
      this.dirty = [];
      this.accept(draft);
    } catch (e) {
      this.error = e;
    }
  }

  /** Typed read of a JSON file of the plugin. */
  file<T>(path: string): T | undefined {
    return this.files[path] as T | undefined;
  }

  /** Replaces a file locally and schedules a save. */
  update(path: string, content: unknown): void {
    this.files = { ...this.files, [path]: content };
    if (!this.dirty.includes(path)) this.dirty = [...this.dirty, path];
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.save(), AUTOSAVE_MS);
  }

  async save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty.length === 0 || this.conflict) return;
    if (this.saving) {
      this.schedule();
      return;
    }
    const paths = [...this.dirty];
    const changed: DraftFiles = {};
    for (const p of paths) changed[p] = this.files[p] ?? null;
    this.saving = true;
    this.error = null;
    try {
      const { draft } = await setupApi.saveDraft(this.code, this.revision, changed);
      const stillDirty = this.dirty.filter((p) => !paths.includes(p) || this.files[p] !== changed[p]);
      this.dirty = stillDirty;
      this.accept(draft);
      this.lastSavedAt = Date.now();
      if (stillDirty.length > 0) this.schedule();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'draft_conflict') this.conflict = true;
      this.error = e;
    } finally {
      this.saving = false;
    }
  }

  async publish(): Promise<VersionView | null> {
    await this.save();
    if (this.dirty.length > 0 || this.conflict) return null;
    this.publishing = true;
    this.error = null;
    try {
      const { version } = await setupApi.publish(this.code, this.revision);
      await this.load();
      return version;
    } catch (e) {
      this.error = e;
      // A refused publish carries the current problems; show them.
      if (e instanceof ApiError && e.code === 'plugin_invalid') await this.load();
      return null;
    } finally {
      this.publishing = false;
    }
  }

  async discard(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.error = null;
    try {
      const { draft } = await setupApi.discardDraft(this.code);
      this.dirty = [];
      this.conflict = false;
      this.view = draft;
      this.files = { ...draft.files };
    } catch (e) {
      this.error = e;
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
