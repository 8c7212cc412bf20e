#!/usr/bin/env node
// The `tessera` command. In a development checkout it runs the TypeScript sources through tsx, so
// no build step is needed; in a production install (npm ci --omit=dev: no tsx) it runs the
// compiled server from dist/ (npm run build).
let tsx;
try {
  tsx = await import('tsx/esm/api');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}
if (tsx) {
  tsx.register();
  await import('../server/cli.ts');
} else {
  const built = new URL('../dist/server/cli.js', import.meta.url);
  const { existsSync } = await import('node:fs');
  if (!existsSync(built)) {
    console.error(
      '未找到编译后的服务器 dist/server/cli.js：请先运行 npm run build（或安装开发依赖：npm ci）',
    );
    process.exit(1);
  }
  await import(built.href);
}
