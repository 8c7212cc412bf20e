export { Backups, BACKUP_TASK, VERIFY_TASK, type BackupActor, type BackupOverview } from './backups.ts';
export { createBackup, type BackupProgress, type BackupTarget } from './create.ts';
export { loadBackups, summarise, type LoadedBackup } from './manifest.ts';
export { restoreBackup, type RestoreOptions, type RestoreResult, type RestoreTarget } from './restore.ts';
export { buildChains, verifyDirectory, type VerifyReport } from './verify.ts';
export { describeTime } from './time.ts';
export type * from './types.ts';
