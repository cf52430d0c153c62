/*
 * READ_IMPLIES_EXEC as kernels before 5.8 gave it (issue 12, behaviour row
 * read-implies-exec), set in a traced task by an injected personality() call:
 * at exec by cr-shim-exec-watch, at restore by cr-shim-vdso.
 */
#ifndef CR_SHIM_READ_IMPLIES_EXEC_H
#define CR_SHIM_READ_IMPLIES_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

/* Would a kernel before 5.8 have given the image process pid runs READ_IMPLIES_EXEC? */
bool read_implies_exec_wanted(pid_t pid);

/* Wait for the next stop of traced thread tid (waitpid with __WALL): 0 or an errno. */
typedef int (*ptrace_wait_fn)(pid_t tid, int *status);

/*
 * personality(current | READ_IMPLIES_EXEC) in thread tid, which the caller traces and holds
 * in a ptrace-stop: PTRACE_EVENT_EXEC (in_exec), or a stop between two user instructions
 * outside any syscall (a held CRIU-restored task: EBUSY otherwise, so that an interrupted
 * call's restart is never lost). Registers and code are as before on return. 0 or an errno.
 * The call passes the task's seccomp filter: under a persona personality() goes to the
 * supervisor, so `wait` must keep serving whatever the supervisor may be waiting on.
 */
int read_implies_exec_set(pid_t tid, bool in_exec, ptrace_wait_fn wait);

#endif
