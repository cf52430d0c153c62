/*
 * Starting one of cr-shim's helpers (cr-shim-exec-watch, cr-shim-strict) from the
 * notify loop: posix_spawn (vfork-like, cheap from a large Node process), in a
 * process group of its own (a terminal's ^C is for the program, not for them),
 * every signal unblocked and at its default, `channel` as its fd 3.
 */
#ifndef CR_SHIM_HELPER_SPAWN_H
#define CR_SHIM_HELPER_SPAWN_H

#include <sys/types.h>

/* Returns 0 and the helper's pid in *pid, or posix_spawn's error number. */
int helper_spawn(const char *helper, char *const argv[], int channel, pid_t *pid);

#endif
