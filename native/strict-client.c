/*
 * Starts cr-shim-strict (native/strict-mode.c) with posix_spawn (vfork-like, cheap from a large
 * Node process), in its own process group (a terminal's ^C is not for it), and reads its result
 * from a pipe on its fd 3, not from its exit status: cr-shim's main thread reaps every child it
 * does not know as the tree's (src/supervisor/reaper.ts, a subreaper's duty), so the status may
 * be gone before this thread's waitpid, which is then only a best effort.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "helper-spawn.h"
#include "strict-client.h"


int strict_enter(const char *helper, pid_t tid)
{
	char arg[16];
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return errno;
	autoclose int ours = fds[0];
	autoclose int theirs = fds[1];
	snprintf(arg, sizeof(arg), "%d", (int)tid);
	char *const argv[] = { (char *)helper, "enter", arg, NULL };
	pid_t pid;
	int err = helper_spawn(helper, argv, theirs, &pid);
	if (err != 0)
		return err;
	/* Only the helper holds the write end now: EOF comes when it exits. */
	close(theirs);
	theirs = -1;
	int32_t result = EIO;
	ssize_t n;
	while ((n = read(ours, &result, sizeof(result))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(result))
		result = EIO; /* it died before saying */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return result;
}
