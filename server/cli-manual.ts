import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { PDFDocument } from 'pdf-lib';
import { TesseraError } from '../core/errors.ts';
import { loadManual } from '../core/manual/index.ts';
import { buildManualPdf, packageVersion } from '../core/manual/pdf.ts';
import { RenderBrowser } from '../core/render/index.ts';

/** `tessera manual --pdf out.pdf`: the user manual (docs/manual) as a PDF, without the server. */
export function registerManualCommand(program: Command): void {
  program
    .command('manual')
    .requiredOption('--pdf <file.pdf>', '输出 PDF 文件')
    .option('--dir <folder>', '手册所在目录（默认 docs/manual）')
    .description('把用户手册（docs/manual）生成为带封面、目录和页码的 PDF（不需要启动服务器）')
    .action(async (options: { pdf: string; dir?: string }) => {
      if (!options.pdf.toLowerCase().endsWith('.pdf')) {
        throw new TesseraError('invalid_option', `--pdf 应为 .pdf 文件，而不是 ${options.pdf}`);
      }
      const dir = options.dir ? path.resolve(options.dir) : undefined;
      const manual = await loadManual(dir);
      const browser = await RenderBrowser.launch();
      let bytes: Uint8Array;
      try {
        bytes = await buildManualPdf(manual, browser, { dir, version: await packageVersion() });
      } finally {
        await browser.close();
      }
      const out = path.resolve(options.pdf);
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, bytes);
      const pages = (await PDFDocument.load(bytes)).getPageCount();
      console.log(
        `已生成 ${out}：${manual.pages.length} 章，${pages} 页，${(bytes.length / 1024).toFixed(0)} KB`,
      );
      process.exitCode = 0;
    });
}
