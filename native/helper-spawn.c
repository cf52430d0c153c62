#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "helper-spawn.h"

extern char **environ;

/* Above every fd the child is given: no copy made here can land on a target the child needs. */
#define SPARE_FD_MIN 64
#define MAX_FDS 64

int spawn_process(const char *path, char *const argv[], char *const envp[], const char *cwd, const int *fds, unsigned nfds,
		  enum spawn_group group, pid_t *pid)
{
	int spare[MAX_FDS];
	unsigned nspare = 0;
	int err = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, defaults;

	if (nfds > MAX_FDS)
		return EINVAL;
	sigemptyset(&none);
	sigfillset(&defaults);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/*
	 * The file actions run in order in the child: dup2(fds[i], i) straight away could overwrite a
	 * source another target still needs (fds = [4, 3] swaps). So each source is first copied here
	 * to a fresh close-on-exec fd above every target, and dup2'd from there; dup2 clears the
	 * target's close-on-exec flag, even when source and target are the same fd number.
	 */
	for (unsigned i = 0; i < nfds && !err; i++) {
		if (fds[i] == SPAWN_FD_INHERIT)
			continue;
		if (fds[i] < 0) {
			err = posix_spawn_file_actions_addclose(&fa, (int)i);
			continue;
		}
		int copy = fcntl(fds[i], F_DUPFD_CLOEXEC, SPARE_FD_MIN);
		if (copy < 0) {
			err = errno;
			break;
		}
		spare[nspare++] = copy;
		err = posix_spawn_file_actions_adddup2(&fa, copy, (int)i);
	}
	if (!err && cwd)
		err = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (group == SPAWN_OWN_GROUP)
		flags |= POSIX_SPAWN_SETPGROUP;
	else if (group == SPAWN_OWN_SESSION)
		flags |= POSIX_SPAWN_SETSID;
	posix_spawnattr_setflags(&at, flags);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	if (!err)
		err = posix_spawn(pid, path, &fa, &at, argv, envp ? envp : environ);
	for (unsigned i = 0; i < nspare; i++)
		close(spare[i]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return err;
}

int helper_spawn(const char *helper, char *const argv[], int channel, pid_t *pid)
{
	/* Fds 0 to 2 are ours as they are; 3 the channel. */
	const int fds[] = { SPAWN_FD_INHERIT, SPAWN_FD_INHERIT, SPAWN_FD_INHERIT, channel };
	return spawn_process(helper, argv, NULL, NULL, fds, 4, SPAWN_OWN_GROUP, pid);
}
