/*
 * The launcher's protocol on its fd 3 (launch.h; native/launcher.c states it too):
 *
 *   → FILTER ::= LEN:u32 INSNS     LEN bytes of struct sock_filter
 *   ← REPLY  ::= FD:s32            listener fd in the launcher, or -errno of seccomp()
 *   → ACK    ::= 1 byte            after pidfd_getfd copied the listener
 *   ← RESULT ::= EOF | ERRNO:u32 EOF
 *
 * With identity files, the launcher mounts a tmpfs on an empty stage directory (mkdtemp under
 * $TMPDIR, as os.tmpdir()) inside its own mount namespace only; the stage is removed here as
 * soon as the REPLY says the namespace is set up.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../channel.h"
#include "../cleanup.h"
#include "../helper-spawn.h"
#include "launch.h"

#include "../pidfd-calls.h"

/* os.tmpdir(): $TMPDIR, $TMP or $TEMP without a trailing slash, else /tmp. */
static void tmp_dir(char *out, size_t n)
{
	const char *names[] = { "TMPDIR", "TMP", "TEMP" };
	const char *dir = NULL;
	for (unsigned i = 0; i < 3 && !dir; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			dir = v;
	}
	snprintf(out, n, "%s", dir ? dir : "/tmp");
	size_t len = strlen(out);
	if (len > 1 && out[len - 1] == '/')
		out[len - 1] = '\0';
}

/* "TARGET=TEXT" for --identity and --add. */
static char *pair_arg(const struct file_text *ft)
{
	size_t n = strlen(ft->target) + strlen(ft->text) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s=%s", ft->target, ft->text);
	return s;
}

/* node:util's message for an errno: lowercase, as libuv words it ("invalid argument"). */
static void lower_strerror(int err, char *out, size_t n)
{
	snprintf(out, n, "%s", strerror(err));
	if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)(out[0] - 'A' + 'a');
}

static void kernel_fail(const char *op, int err)
{
	char msg[128];
	lower_strerror(err, msg, sizeof(msg));
	fprintf(stderr, "cr-shim: %s: %s: %s\n", op, op, msg);
}

int launch_under_filter(const char *root, const struct front_entry *e, char *const *argv, int no_new_privs, struct launch *out)
{
	char launcher[PATH_MAX + 32], stage[PATH_MAX + 32] = "";
	snprintf(launcher, sizeof(launcher), "%s/build/Release/cr-shim-launch", root);
	out->pid = -1;
	out->channel = -1;
	out->listener = -1;
	size_t nargv = 0;
	while (argv[nargv])
		nargv++;
	size_t files = e->nidentity + e->nadded;
	autofree char **args = calloc(6 + 2 * files + nargv + 1, sizeof(char *));
	autofree char **owned = calloc(files + 1, sizeof(char *));
	if (!args || !owned) {
		fprintf(stderr, "cr-shim: cr-shim-launch: out of memory\n");
		return -1;
	}
	size_t a = 0, o = 0;
	args[a++] = launcher;
	if (no_new_privs)
		args[a++] = "--no-new-privs";
	int rc = -1, sv[2] = { -1, -1 };
	if (files > 0) {
		tmp_dir(stage, sizeof(stage) - 32);
		strcat(stage, "/cr-shim-identity-XXXXXX");
		if (!mkdtemp(stage)) {
			fprintf(stderr, "cr-shim: mkdtemp: %s: %s\n", stage, strerror(errno));
			stage[0] = '\0';
			goto out;
		}
		args[a++] = "--identity-stage";
		args[a++] = stage;
		for (size_t i = 0; i < files; i++) {
			const struct file_text *ft = i < e->nidentity ? &e->identity[i] : &e->added[i - e->nidentity];
			if (!(owned[o++] = pair_arg(ft)))
				goto out;
			args[a++] = i < e->nidentity ? "--identity" : "--add";
			args[a++] = owned[o - 1];
		}
	}
	args[a++] = "--";
	for (size_t i = 0; i < nargv; i++)
		args[a++] = argv[i];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		kernel_fail("socketpair", errno);
		goto out;
	}
	const int fds[] = { SPAWN_FD_INHERIT, SPAWN_FD_INHERIT, SPAWN_FD_INHERIT, sv[1] };
	int err = spawn_process(launcher, args, NULL, NULL, fds, 4, SPAWN_SAME_GROUP, &out->pid);
	close(sv[1]);
	out->channel = sv[0];
	if (err) {
		out->pid = -1;
		fprintf(stderr, "cr-shim: spawn %s: %s\n", launcher, strerror(err));
		goto out;
	}
	int32_t reply;
	if (write_u32(out->channel, e->filter.len) < 0 || write_full(out->channel, e->filter.p, e->filter.len) < 0 ||
	    read_full(out->channel, &reply, sizeof(reply)) < 0) {
		fprintf(stderr, "cr-shim: cr-shim-launch: the launcher exited before installing the filter (see its stderr)\n");
		goto out;
	}
	if (stage[0]) {
		rmdir(stage);
		stage[0] = '\0';
	}
	if (reply < 0) {
		kernel_fail("seccomp(SET_MODE_FILTER)", -reply);
		goto out;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, out->pid, 0);
	if (pidfd < 0) {
		kernel_fail("pidfd_open", errno);
		goto out;
	}
	out->listener = (int)syscall(SYS_pidfd_getfd, pidfd, reply, 0);
	err = errno;
	close(pidfd);
	if (out->listener < 0) {
		kernel_fail("pidfd_getfd", err);
		goto out;
	}
	rc = 0;
out:
	if (stage[0])
		rmdir(stage);
	for (size_t i = 0; i < o; i++)
		free(owned[i]);
	if (rc < 0 && out->pid > 0)
		kill(out->pid, SIGKILL);
	return rc;
}

int launch_ack(struct launch *l)
{
	return write_full(l->channel, "\1", 1);
}
