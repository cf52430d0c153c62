# native/ build: `npm install` runs `node-gyp rebuild`; outputs land in build/Release/.
#   cr_shim_notify.node  Node-API addon: the seccomp notification loop (native/notify-core.c, bound in native/notify-loop.c) and the set-up calls run makes without koffi (native/libc-calls.c) and starts cr-shim's own processes (native/spawn-calls.c)
#   cr-shim-launch       helper: install a filter sent over fd 3, hand back the listener, exec
#   cr-shim-inject       helper: put running or CRIU-restored processes under a filter by ptrace injection
#   bench-supervisor     minimal C supervisor, the baseline for the uname benchmark
#   cr-shim-ptrace-launch helper: fork the program so a tracer thread can seize it, install a TRACE filter, exec
#   cr_shim_sigsys.so    LD_PRELOAD library: SIGSYS handler and a TRAP filter installed in the program itself
#   cr_shim_criu.so      CRIU plugin: records and restores shimmed trees through `cr-shim serve` (cr-shim plugin install)
#   cr-shim-vdso         helper: write the persona's LINUX_VERSION_CODE into running processes' vDSO note (restore, attach)
#   cr-shim-exec-watch   helper: seize a task trapped in execve and write the new image's vDSO note before it runs
#   cr-shim-strict       helper: put a thread that asks for SECCOMP_MODE_STRICT under an equivalent filter; end a strict thread alone
#   cr-shim-guard        helper: outlive the supervisor; kill the supervised tree's cgroup if the supervisor dies
#   cr-shim              the native front bin/cr-shim starts: run on a session-cache hit and restore through cr-shim serve in C, else the Node.js CLI (native/front/front.h)
{
  "target_defaults": {
    "defines": ["_GNU_SOURCE"],
    "cflags": ["-Wall", "-Wextra", "-std=gnu11"],
    "configurations": {
      "Release": {
        "cflags!": ["-O3"],
        "cflags": ["-O2"]
      }
    }
  },
  "targets": [
    {
      "target_name": "cr_shim_notify",
      "sources": ["native/notify-loop.c", "native/notify-core.c", "native/task-uts.c", "native/identity-open.c", "native/exec-watch-client.c", "native/strict-client.c", "native/helper-spawn.c", "native/libc-calls.c", "native/spawn-calls.c"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "cr-shim-launch",
      "type": "executable",
      "sources": ["native/launcher.c", "native/identity-mount.c"]
    },
    {
      "target_name": "cr-shim-inject",
      "type": "executable",
      "sources": ["native/injector.c", "native/infect.c"]
    },
    {
      "target_name": "cr-shim-vdso",
      "type": "executable",
      "sources": ["native/vdso-patch.c", "native/vdso-note.c", "native/read-implies-exec.c"]
    },
    {
      "target_name": "cr-shim-exec-watch",
      "type": "executable",
      "sources": ["native/exec-watch.c", "native/vdso-note.c", "native/read-implies-exec.c"]
    },
    {
      "target_name": "cr-shim-strict",
      "type": "executable",
      "sources": ["native/strict-mode.c", "native/infect.c"]
    },
    {
      "target_name": "cr-shim",
      "type": "executable",
      "sources": ["native/front/main.c", "native/front/run.c", "native/front/run-options.c", "native/front/front-entry.c", "native/front/guard.c", "native/front/launch.c", "native/front/record.c", "native/front/proc-files.c", "native/front/stats.c", "native/front/handover.c", "native/front/restore-client.c", "native/front/text.c", "native/front/json-read.c", "native/notify-core.c", "native/task-uts.c", "native/identity-open.c", "native/exec-watch-client.c", "native/strict-client.c", "native/helper-spawn.c"],
      "defines": ["CR_SHIM_NODE_EXE=\"<!(node -p process.execPath)\""],
      "libraries": ["-lpthread", "-lm"]
    },
    {
      "target_name": "cr-shim-guard",
      "type": "executable",
      "sources": ["native/guardian.c"]
    },
    {
      "target_name": "cr-shim-ptrace-launch",
      "type": "executable",
      "sources": ["native/ptrace-launch.c"]
    },
    {
      "target_name": "cr_shim_sigsys",
      "type": "shared_library",
      "product_extension": "so",
      "sources": ["native/sigsys-preload.c"]
    },
    {
      "target_name": "cr_shim_criu",
      "type": "shared_library",
      "product_extension": "so",
      "sources": ["native/criu-plugin.c", "native/infect.c"],
      "libraries": ["-ldl"]
    },
    {
      "target_name": "bench-supervisor",
      "type": "executable",
      "sources": ["native/bench-supervisor.c"]
    }
  ]
}
