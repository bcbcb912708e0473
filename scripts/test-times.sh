#!/usr/bin/env bash
# Times every test file alone (one process per file, as `npm test` runs them, but one at a time), and prints
# one tab-separated line per file: CPU seconds (user + sys, children included), wall seconds, exit
# code, path; slowest by CPU first. CPU time is the fair measure on a shared machine. The TypeScript
# is compiled once ahead, as `npm test` does (scripts/test-runner/); LUCERNA_TEST_LOADER=tsx times
# the files as they ran before that.
#   bash scripts/test-times.sh [file or folder ...] > times.tsv
set -uo pipefail
cd "$(dirname "$0")/.."
# As `npm test`: one ORT thread per process, and a fresh compile cache that is removed at the end.
export LUCERNA_THREADS="${LUCERNA_THREADS:-1}"
cache=""
if [ -z "${LUCERNA_CACHE_DIR:-}" ]; then
  cache="$(mktemp -d)"
  export LUCERNA_CACHE_DIR="$cache"
fi
stamp="$(mktemp)"
loader="${LUCERNA_TEST_LOADER:-./scripts/test-runner/register.mjs}"
compiled=""
if [ "$loader" = ./scripts/test-runner/register.mjs ] && [ -z "${LUCERNA_TEST_JS_DIR:-}" ]; then
  compiled="$(node scripts/test-runner/compile.mjs)"
  export LUCERNA_TEST_JS_DIR="$compiled"
fi
trap 'rm -f "$stamp"; [ -z "$compiled" ] || rm -rf "$compiled"; [ -z "$cache" ] || rm -rf "$cache"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(src test)
for f in $(find "${targets[@]}" -name '*.test.ts' | sort); do
  /usr/bin/time -f '%U %S %e' -o "$stamp" node --import "$loader" --test --test-concurrency=1 --test-reporter=dot "$f" >/dev/null 2>&1
  code=$?
  read -r user sys wall < <(tail -n 1 "$stamp")
  awk -v u="$user" -v s="$sys" -v w="$wall" -v c="$code" -v f="$f" 'BEGIN { printf "%.2f\t%.2f\t%d\t%s\n", u + s, w, c, f }'
done | sort -t$'\t' -k1,1 -rn
