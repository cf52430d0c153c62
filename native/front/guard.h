/*
 * The tree's guard, as src/supervisor/tree-guard.ts starts it: a cgroup v2 directory of its own
 * (cr-shim.PID.STARTTIME under the front's own cgroup) and native/guardian.c watching the front,
 * holding the listener, killing the cgroup if the front dies without releasing it.
 */
#ifndef CR_SHIM_FRONT_GUARD_H
#define CR_SHIM_FRONT_GUARD_H

#include <limits.h>
#include <sys/types.h>

struct guard {
	char dir[PATH_MAX];	/* the cgroup's directory */
	char path[PATH_MAX];	/* its "0::" path, for the supervision record */
	int channel;		/* fd 3 of the guard; -1 once ended */
	pid_t pid;
	char exe[PATH_MAX + 32];
};

/* Where the cgroup would go (no side effect): 0, or -1 when no cgroup2 hierarchy is mounted (the CLI mounts one). */
int guard_locate(struct guard *g, const char *root);
/* Make the cgroup and start the guard. 0, or -1 after one error line. */
int guard_spawn(struct guard *g, const char *root);
/* Wait for its "ready" (it comes up beside the launcher). 0, or -1 after one error line (the cgroup removed). */
int guard_ready(struct guard *g);
/* The guard holds a copy of listener fd `fd`. 0, or -1 after one error line. */
int guard_hold(struct guard *g, int fd);
/* Move `pid` into the cgroup. 0, or -1 after one error line. */
int guard_adopt(struct guard *g, pid_t pid);
/* "release" or "kill", then wait for the guard's end (its channel's EOF). */
void guard_end(struct guard *g, const char *how);

#endif
