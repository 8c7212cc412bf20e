import { Worker } from 'node:worker_threads';
import { ImportFileError, type ReadWorkbook } from '../types.ts';
import type { WorkbookReader } from './index.ts';

// From the sources the worker needs tsx registered first (worker-entry.mjs); the production
// build (dist/, plain JavaScript) starts the compiled worker directly, without tsx.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./worker-entry.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

type Reply =
  | { ok: true; workbook: ReadWorkbook }
  | { ok: false; error: { importFile: boolean; code: string; message: string; file?: string } };

/**
 * readWorkbook in a worker thread of its own (see worker.ts), ended when done: the event loop
 * stays free while exceljs parses, and a read that runs out of memory takes its thread down,
 * not the server. The file's bytes are copied in; pictures come back handed over.
 */
export const readWorkbookInWorker: WorkbookReader = (bytes, fileName, limits) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, {
      // Headroom for exceljs on a big sheet; past it the worker fails, the server lives.
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      settle();
      void worker.terminate();
    };
    worker.once('message', (reply: Reply) =>
      finish(() => {
        if (reply.ok) resolve(reply.workbook);
        else if (reply.error.importFile)
          reject(new ImportFileError(reply.error.code, reply.error.message, reply.error.file));
        else reject(new Error(reply.error.message));
      }),
    );
    worker.once('error', (error: Error) =>
      finish(() =>
        reject(
          (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ImportFileError(
                'file-too-complex',
                `「${fileName}」太大，读取时内存不足，请把表格拆成几个文件分批上传`,
                fileName,
              )
            : error,
        ),
      ),
    );
    worker.once('exit', (code) => finish(() => reject(new Error(`读取表格的线程意外退出（代码 ${code}）`))));
    worker.postMessage({ bytes, fileName, limits });
  });
