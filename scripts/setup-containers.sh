#!/usr/bin/env bash
# What the container tests (test/containers, the long suite) and the container benchmark need:
# Podman, runc and conmon from Debian (podman 4.3.1, runc 1.1.5 on Debian 12; Debian's crun
# is built without CRIU, so runc is the runtime), and busybox-static for the test image.
# Nothing here configures them: the tests keep their storage and configuration private.
# Idempotent: a second run only checks.
set -euo pipefail
missing=()
for pkg in podman runc conmon busybox-static; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup-containers: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
