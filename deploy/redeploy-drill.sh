#!/bin/sh
# 重新部署演练（deploy/REDEPLOY.md 第 7 节）：从备份目录恢复到一个新的临时数据目录，启动、核对、清理。
# 用法：deploy/redeploy-drill.sh /mnt/backup/tessera [--keep] [--data-dir 目录] [--json]
# 退出码 0 = 演练通过；1 = 有不一致或备份损坏（输出中逐条列出）。
set -eu
if [ $# -lt 1 ]; then
  echo "用法：$0 <备份目录> [--keep] [--data-dir 目录] [--sample N] [--json]" >&2
  exit 2
fi
backups=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
# bin/tessera.js runs the sources in a development checkout and dist/ in a production install.
exec node "$here/bin/tessera.js" redeploy-drill --backups "$backups" "$@"
