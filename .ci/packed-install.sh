#!/usr/bin/env bash
# CI: what users get. Packs the project, installs the tarball into an empty folder (no project
# configuration, offline except the npm registry), runs `lucerna explain` there, and checks the
# install size: `du -sm node_modules` must be at most 400 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."

limit_mib=400
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/lucerna-*.tgz)"
mkdir "$work/app"
(
  cd "$work/app"
  npm install --no-audit --no-fund --loglevel=error "$tarball"
  # The user cache of the packed install stays inside the temporary folder.
  export LUCERNA_CACHE_DIR="$work/cache"
  npx --no-install lucerna --version
  npx --no-install lucerna explain --methods grad-cam,saliency --out "$work/report.html"
  test -s "$work/report.html"
  size="$(du -sm node_modules | cut -f1)"
  echo "packed install: node_modules is ${size} MiB (limit ${limit_mib} MiB)"
  du -sm node_modules/* node_modules/@* 2>/dev/null | sort -rn | head -5
  if [ "$size" -gt "$limit_mib" ]; then
    echo "packed install: node_modules exceeds ${limit_mib} MiB" >&2
    exit 1
  fi
)
