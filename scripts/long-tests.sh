#!/usr/bin/env bash
# The long suite, apart from the everyday `npm test`: real older kernels as the oracle.
# Boots Debian's 5.10 (bullseye), 6.1 (bookworm) and 6.12 (trixie) kernels under qemu (TCG
# where KVM does not work), runs the syscall probe in each and under `cr-shim run --kernel
# <that release>` here, re-captures tables/personas/ and regenerates docs/FIDELITY.md; the
# argument probe (every value of tables/args/x86_64.json) runs in the same boots and gives its
# agreement per kernel. Fails while any difference, of a syscall or an argument, is unexplained. Downloads and guest results are cached in
# .cache/oracle/; a cold run takes a few minutes (about 1 GB of disk for the kernel packages).
# Then cross-kernel restore (scripts/oracle/xrestore.ts): cr-subject dumped by each guest's own
# criu, restored here under cr-shim and without; it appends its section to docs/FIDELITY.md,
# so it runs after fidelity (which rewrites the file). Then the container tests (npm run test:containers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/oracle/setup.sh
npm run fidelity
bash scripts/setup-criu.sh >/dev/null
npx tsx scripts/oracle/xrestore.ts
# Containers (test/containers/*.long.ts): Podman + runc checkpoint/restore under the CRIU plugin.
npm run test:containers
