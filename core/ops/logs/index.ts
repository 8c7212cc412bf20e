export { logFiles, logsDir, REQUEST_LOG, rotatedName, SLOW_LOG, type LogFile } from './files.ts';
export { MAX_WINDOW, queryRequestLog, readEntries, requestStats } from './query.ts';
export type * from './views.ts';
