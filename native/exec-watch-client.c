/*
 * Watchers are shared by every loop of this process, one per version code
 * (cr-shim serve supervises containers of several personas): started with
 * posix_spawn (vfork-like, cheap from a large Node process), in their own
 * process group (a terminal's ^C is for the program, not for them), fd 3 one
 * end of a SOCK_SEQPACKET pair. The protocol is stated in exec-watch.c. A
 * watcher that died is started again once per request.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "helper-spawn.h"
#include "exec-watch-client.h"

#define MAX_WATCHERS 16


struct watcher {
	uint32_t code;
	bool read_implies_exec;
	int fd;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct watcher g_watchers[MAX_WATCHERS];
static unsigned g_n;

/* A connected socket to a new watcher, or -errno. */
static int start_watcher(const char *helper, uint32_t code, bool read_implies_exec)
{
	int sv[2];
	char arg[16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	autoclose int ours = sv[0];
	autoclose int theirs = sv[1];
	snprintf(arg, sizeof(arg), "%u", code);
	char *const argv[] = { (char *)helper, arg, read_implies_exec ? "--read-implies-exec" : NULL, NULL };
	pid_t pid;
	int err = helper_spawn(helper, argv, theirs, &pid);
	if (err != 0)
		return -err;
	int fd = ours;
	ours = -1;
	return fd;
}

/* One request on a watcher's socket: 0, the watcher's errno, or -1 when the watcher is gone. */
static int ask(int fd, pid_t tid)
{
	uint32_t req = (uint32_t)tid;
	int32_t reply;
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return -1;
	ssize_t n;
	do
		n = recv(fd, &reply, sizeof(reply), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(reply) ? reply : -1;
}

/* The watcher for (code, read_implies_exec), started if it is not running. g_mu held. NULL and *err set on failure. */
static struct watcher *watcher_for(const char *helper, uint32_t code, bool read_implies_exec, int *err)
{
	struct watcher *w = NULL;
	for (unsigned i = 0; i < g_n; i++)
		if (g_watchers[i].code == code && g_watchers[i].read_implies_exec == read_implies_exec)
			w = &g_watchers[i];
	if (w && w->fd >= 0)
		return w;
	if (!w && g_n == MAX_WATCHERS) {
		*err = EMFILE;
		return NULL;
	}
	int fd = start_watcher(helper, code, read_implies_exec);
	if (fd < 0) {
		*err = -fd;
		return NULL;
	}
	if (!w)
		w = &g_watchers[g_n++];
	*w = (struct watcher){ .code = code, .read_implies_exec = read_implies_exec, .fd = fd };
	return w;
}

int exec_watch_prestart(const char *helper, uint32_t code, bool read_implies_exec)
{
	int err = 0;
	pthread_mutex_lock(&g_mu);
	(void)watcher_for(helper, code, read_implies_exec, &err);
	pthread_mutex_unlock(&g_mu);
	return err;
}

int exec_watch(const char *helper, uint32_t code, bool read_implies_exec, pid_t tid)
{
	int result = EPIPE;
	pthread_mutex_lock(&g_mu);
	for (int attempt = 0; attempt < 2; attempt++) {
		int err = 0;
		struct watcher *w = watcher_for(helper, code, read_implies_exec, &err);
		if (!w) {
			result = err;
			break;
		}
		int r = ask(w->fd, tid);
		if (r >= 0) {
			result = r;
			break;
		}
		/* Gone: the next attempt starts another. */
		close(w->fd);
		w->fd = -1;
	}
	pthread_mutex_unlock(&g_mu);
	return result;
}
