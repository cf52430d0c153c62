#!/usr/bin/env bash
# What the oracle (npm run fidelity, scripts/long-tests.sh) needs beyond scripts/setup.sh:
# qemu to boot Debian's kernels, a static busybox for their initramfs, static glibc for the
# probe, xz to unpack trixie's compressed kernel modules (cross-kernel restore). From the
# system's own apt; idempotent (a second run only checks).
set -euo pipefail
missing=()
for pkg in qemu-system-x86 busybox-static libc6-dev gcc xz-utils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "oracle setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
