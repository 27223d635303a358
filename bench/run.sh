#!/usr/bin/env bash
# make bench: prepares the machine (engine, registries), builds cutover and
# the bench program, and measures cutover against the floor. The tables go to
# stdout, progress to stderr.
#
#   BENCH_SIZES="10 40"      fleet sizes (default "10 40 100")
#   BENCH_API_SIZES="200"    container counts for GET /api/images (default "200 500")
#   BENCH_ARGS="..."         more flags for cutover-bench (see -help)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup-env.sh
GO="${GO:-go}"
CGO_ENABLED=0 "$GO" build -o bin/cutover ./cmd/cutover
"$GO" build -o bin/cutover-bench ./bench/cmd/cutover-bench
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
exec bin/cutover-bench -cutover bin/cutover -repo "$root" ${BENCH_ARGS:-}
