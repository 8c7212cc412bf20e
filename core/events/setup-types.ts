// Shapes of the event setup API (core/events/setup.ts builds them); browser-safe, the designer
// imports them.
import type { PluginIssue } from '../plugins/plugin-issue.ts';
import type { DraftFiles } from './draft-rules.ts';

export interface DraftIssues {
  errors: PluginIssue[];
  warnings: PluginIssue[];
}

/** What the event setup screens edit: the JSON files of the event's plugin, and its checks. */
export interface DraftView {
  event: { code: string; name: string };
  /** 0 while there is no saved draft (the files are then the published version's). */
  revision: number;
  /** The stored plugin version the draft started from. */
  baseVersion: number;
  files: DraftFiles;
  assets: { path: string; mediaType: string; bytes: number }[];
  issues: DraftIssues;
  updatedAt: string | null;
}

export interface VersionView {
  version: number;
  declaredVersion: string;
  source: string;
  createdAt: string;
  createdBy: string | null;
  current: boolean;
}

export interface EventTemplate {
  code: string;
  name: string;
  kind: string;
  description: string | null;
  cardTypes: string[];
}
