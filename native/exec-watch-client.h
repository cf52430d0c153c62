/*
 * The notify loop's side of cr-shim-exec-watch (native/exec-watch.c): before an
 * execve/execveat is let go on, the watcher for the persona's version code seizes
 * the task, so that the new image's vDSO note is the persona's from its first
 * instruction.
 */
#ifndef CR_SHIM_EXEC_WATCH_CLIENT_H
#define CR_SHIM_EXEC_WATCH_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Have the watcher for `code` and `read_implies_exec` (READ_IMPLIES_EXEC for images kernels
 * before 5.8 gave it; started from `helper` on first use, kept for the
 * life of this process) seize task `tid`. Returns 0, or an errno: the watcher
 * could not be started or reached, or PTRACE_SEIZE failed (another tracer holds
 * the task); the exec then runs with the host's note. Thread-safe.
 */
int exec_watch(const char *helper, uint32_t code, bool read_implies_exec, pid_t tid);

/*
 * Start the watcher exec_watch would use, if it is not running yet: the loop does so as soon as
 * it knows its verdicts, so that a program's first exec (the launcher's, at once) does not wait
 * for a watcher to start. Returns 0 or the errno of the start; exec_watch tries again then.
 */
int exec_watch_prestart(const char *helper, uint32_t code, bool read_implies_exec);

#endif
