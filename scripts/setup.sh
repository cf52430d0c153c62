#!/usr/bin/env bash
# Set up a fresh machine of this kind (Debian 12, Node.js 20, root) for cr-shim:
# the C toolchain for the native code and the test programs, a working CRIU,
# the npm dependencies, the native build (node-gyp) and the TypeScript build.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# proot and runsc (gVisor): the comparison targets of `cr-shim bench` (its test runs them).
# iptables: CRIU's network lock (its default method) for `criu dump/restore --tcp-established`
# runs iptables-restore to hold established connections while the tree is down.
# procps: sysctl(8), which the removed-sysctl behaviour test runs natively and under the shim.
for pkg in gcc make gcc-multilib proot runsc iptables procps; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f scripts/setup-criu.sh ]; then bash scripts/setup-criu.sh; fi

# npm ci builds native/ (the "install" script runs node-gyp) and dist/ (the "prepare" script runs tsc, then bundles the CLI with esbuild: scripts/bundle.mjs).
if [ ! -f build/Release/cr_shim_notify.node ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build --silent
fi
echo "setup: ready (npm test runs the suite)"
