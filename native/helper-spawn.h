/*
 * Starting processes from a large Node process without fork(): posix_spawn
 * (CLONE_VM|CLONE_VFORK in glibc: no page tables copied, no copy-on-write
 * faults in the parent afterwards), every signal unblocked and at its default
 * in the child. Node's child_process forks instead: about 4 ms for each of
 * run's helpers at 50 MB of RSS, on the main thread.
 */
#ifndef CR_SHIM_HELPER_SPAWN_H
#define CR_SHIM_HELPER_SPAWN_H

#include <sys/types.h>

#define SPAWN_FD_CLOSE (-1)
#define SPAWN_FD_INHERIT (-2)

enum spawn_group {
	SPAWN_SAME_GROUP,	/* the caller's process group: a terminal's ^C reaches it (the program) */
	SPAWN_OWN_GROUP,	/* a process group of its own: ^C is for the program, not for it */
	SPAWN_OWN_SESSION,	/* a session of its own (setsid): no terminal signal reaches it (the guard) */
};

/*
 * Start `path` with `argv` and `envp` (NULL: this process's environment), in `cwd` (NULL: ours),
 * child fd i a copy of fds[i] for i < nfds, or closed (SPAWN_FD_CLOSE), or ours as it is
 * (SPAWN_FD_INHERIT); every other fd of ours is close-on-exec and stays behind. Returns 0 and the pid in *pid, or posix_spawn's error number
 * (an exec failure included: glibc reports it).
 */
int spawn_process(const char *path, char *const argv[], char *const envp[], const char *cwd, const int *fds, unsigned nfds,
		  enum spawn_group group, pid_t *pid);

/* One of cr-shim's helpers (cr-shim-exec-watch, cr-shim-strict): its own process group, `channel` as fd 3. */
int helper_spawn(const char *helper, char *const argv[], int channel, pid_t *pid);

#endif
