#!/usr/bin/env bash
# make bench: prepares the machine (engine, registries), builds cutover and
# the bench program, measures cutover against the floor, then runs the Go
# benchmarks. Markdown goes to stdout, progress to stderr.
#
#   BENCH_SIZES="10 40"      fleet sizes (default "10 40 100")
#   BENCH_API_SIZES="200"    container counts for GET /api/images (default "200 500")
#   BENCH_ARGS="..."         more flags for cutover-bench (bin/cutover-bench -help)
#   BENCH_MANY_ENGINES=0     leave out the many-engines run
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup-env.sh
GO="${GO:-go}"
# The commit measured, as the tables will say: taken when cutover is built.
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD -- . ':(exclude)bench' 2>/dev/null; then
	commit="$commit (with uncommitted changes)"
fi
CGO_ENABLED=0 "$GO" build -o bin/cutover ./cmd/cutover
"$GO" build -o bin/cutover-bench ./bench/cmd/cutover-bench
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
bin/cutover-bench -cutover bin/cutover -repo "$root" -commit "$commit" ${BENCH_ARGS:-}

# One cutover over three private engines of 50 containers each.
if [ "${BENCH_MANY_ENGINES:-1}" != 0 ]; then
	printf '\n### Many engines\n\n```\n'
	"$GO" test -run '^$' -bench ManyEngines -benchtime 1x -timeout 60m ./bench/
	printf '```\n'
fi

# The engine's and the dashboard's own cost, over in-memory fakes.
printf '\n### Go benchmarks\n\n```\n'
"$GO" test -run '^$' -bench . -benchmem ./internal/engine/ ./internal/httpapi/
printf '```\n'
