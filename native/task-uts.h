/*
 * What uname(2) reads from the calling task rather than from the kernel build:
 * the nodename and domainname of its UTS namespace, at the time of the call,
 * and its personality (PER_LINUX32 turns machine into "i686", UNAME26 rewrites
 * the release: kernel/sys.c override_architecture, override_release).
 */
#ifndef CR_SHIM_TASK_UTS_H
#define CR_SHIM_TASK_UTS_H

#include <stdbool.h>
#include <sys/types.h>

#define UTS_FIELD 65	/* __NEW_UTS_LEN + 1 */

struct task_uts {
	char nodename[UTS_FIELD];
	char domainname[UTS_FIELD];
	unsigned long personality;
};

/*
 * Fill *u for thread `tid`. Which namespace and personality a thread has is
 * cached per tid (a task changes them only itself, through setns, unshare and
 * personality, which the filter traps and task_uts_forget() drops); the names
 * are read at every call, so sethostname from anywhere shows at once.
 * Returns 0, or an errno (ESRCH: the thread is gone).
 */
int task_uts(pid_t tid, struct task_uts *u);

/* Drop what is cached about `tid` (it is changing its namespace or personality, or gone). */
void task_uts_forget(pid_t tid);

#endif
