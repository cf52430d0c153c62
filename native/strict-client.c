/*
 * Starts cr-shim-strict (native/strict-mode.c) with posix_spawn (vfork-like, cheap from a large
 * Node process), in its own process group (a terminal's ^C is not for it), and waits for it by
 * its pid: libuv reaps only the children it started, so the status is ours.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

#include "strict-client.h"

extern char **environ;

int strict_enter(const char *helper, pid_t tid)
{
	char arg[16];
	posix_spawnattr_t at;
	sigset_t none, defaults;
	snprintf(arg, sizeof(arg), "%d", (int)tid);
	char *const argv[] = { (char *)helper, "enter", arg, NULL };
	sigemptyset(&none);
	sigfillset(&defaults);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	pid_t pid;
	int err = posix_spawn(&pid, helper, NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (err != 0)
		return err;
	int status;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}
