import { parentPort } from 'node:worker_threads';
import type { ImportLimits, ReadWorkbook } from '../types.ts';
import { ImportFileError } from '../types.ts';
import { readWorkbook } from './index.ts';

// Workbook parsing in a worker thread: exceljs works on this thread, so the server's event loop
// keeps answering everyone else while a big sheet is read.

interface ReadRequest {
  bytes: Uint8Array;
  fileName: string;
  limits: ImportLimits;
}

/** Picture bytes handed back instead of copied: buffers owned whole by one view, listed once. */
function transferables(workbook: ReadWorkbook): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const sheet of [...workbook.sheets, ...(workbook.hiddenSheets ?? [])]) {
    for (const { data } of sheet.images) {
      const buffer = data.buffer;
      if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength)
        seen.add(buffer);
    }
  }
  return [...seen];
}

parentPort!.on('message', (request: ReadRequest) => {
  readWorkbook(request.bytes, request.fileName, request.limits).then(
    (workbook) => parentPort!.postMessage({ ok: true, workbook }, transferables(workbook)),
    (error: unknown) =>
      parentPort!.postMessage({
        ok: false,
        error: {
          importFile: error instanceof ImportFileError,
          code: (error as { code?: string }).code ?? 'read-failed',
          message: error instanceof Error ? error.message : String(error),
          file: (error as { file?: string }).file,
        },
      }),
  );
});
