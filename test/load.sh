#!/usr/bin/env bash
# `npm run test:load [-- <vitest args>]`: the test suite (`npm test`) while
# two busy neighbour processes spin on the CPUs, as on a shared machine.
# The neighbours are killed whatever happens (exit, error, Ctrl-C), and
# also stop by themselves if this script dies without its trap running
# (they watch their parent).  Exit status: npm test's.
set -euo pipefail
cd "$(dirname "$0")/.."

neighbours=()
stop_neighbours() {
	local pid
	for pid in "${neighbours[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${neighbours[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	neighbours=()
}
trap stop_neighbours EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A busy loop that checks, every 2^24 iterations, that its parent is still this script.
spin='const parent = process.ppid; for (let i = 1; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== parent) process.exit(0);'
for _ in 1 2; do
	node -e "$spin" &
	neighbours+=("$!")
done
echo "test:load: busy neighbours ${neighbours[*]}" >&2

status=0
npm test -- "$@" || status=$?
exit "$status"
