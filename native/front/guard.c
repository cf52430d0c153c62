/*
 * The tree's guard (guard.h), the front's copy of src/supervisor/tree-guard.ts guardTree and
 * startGuard for one tree. Protocol with cr-shim-guard on its fd 3 (native/guardian.c):
 *   ← "ready"   → "hold FD" ← "held" | "error ERRNO"   → "release" | "kill"   ← EOF
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../channel.h"
#include "../cleanup.h"
#include "../helper-spawn.h"
#include "guard.h"
#include "proc-files.h"

/*
 * /proc/self/mountinfo ::= { ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] "-" FSTYPE SOURCE SUPER }
 * Mount points escape space, tab, newline and backslash as octal (\040).
 */
static int cgroup2_mount(char *out, size_t n)
{
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int found = -1;
	while (found < 0 && getline(&line, &cap, mi) > 0) {
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		char *f[5];
		char *save = NULL, *p = line;
		int i;
		for (i = 0; i < 5 && (f[i] = strtok_r(p, " ", &save)); i++)
			p = NULL;
		if (i < 5 || strcmp(f[3], "/") != 0)
			continue;
		size_t o = 0;
		for (const char *s = f[4]; *s && o + 1 < n; o++) {
			if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
				out[o] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
				s += 4;
			} else {
				out[o] = *s++;
			}
		}
		out[o] = '\0';
		found = 0;
	}
	free(line);
	fclose(mi);
	return found;
}

int guard_locate(struct guard *g, const char *root)
{
	(void)root;
	char mount[PATH_MAX], own[PATH_MAX], start[32];
	g->channel = -1;
	g->pid = -1;
	if (cgroup2_mount(mount, sizeof(mount)) < 0 || proc_start_time(getpid(), start, sizeof(start)) < 0)
		return -1;
	if (proc_cgroup(getpid(), own, sizeof(own)) < 0)
		strcpy(own, "/");
	const char *slash = strcmp(own, "/") == 0 ? "" : "/";
	if (snprintf(g->path, sizeof(g->path), "%s%scr-shim.%d.%s", own, slash, (int)getpid(), start) >= (int)sizeof(g->path) ||
	    snprintf(g->dir, sizeof(g->dir), "%s%s", mount, g->path) >= (int)sizeof(g->dir))
		return -1;
	return 0;
}

/* One line from the channel without its "\n"; -1 at EOF. */
static int read_line(int fd, char *out, size_t n)
{
	size_t o = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (o + 1 < n)
			out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int guard_spawn(struct guard *g, const char *root)
{
	if (mkdir(g->dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "cr-shim: guard the tree: cannot create the cgroup %s: %s; cr-shim must run as root with the cgroup v2 hierarchy writable\n", g->dir, strerror(errno));
		return -1;
	}
	char pid[16];
	snprintf(g->exe, sizeof(g->exe), "%s/build/Release/cr-shim-guard", root);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	int sv[2];
	autoclose int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int err = null < 0 ? errno : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ? errno : 0;
	if (!err) {
		/* Its own session: a ^C to the front's process group must not reach it. */
		char *argv[] = { g->exe, pid, g->dir, NULL };
		const int fds[] = { null, null, SPAWN_FD_INHERIT, sv[1] };
		err = spawn_process(g->exe, argv, NULL, NULL, fds, 4, SPAWN_OWN_SESSION, &g->pid);
		close(sv[1]);
		if (err)
			close(sv[0]);
		else
			g->channel = sv[0];
	}
	if (err) {
		rmdir(g->dir);
		fprintf(stderr, "cr-shim: guard the tree: cannot start %s: %s; run npm install to build native/\n", g->exe, strerror(err));
		return -1;
	}
	return 0;
}

int guard_ready(struct guard *g)
{
	char line[64];
	if (read_line(g->channel, line, sizeof(line)) == 0 && strcmp(line, "ready") == 0)
		return 0;
	close(g->channel);
	g->channel = -1;
	rmdir(g->dir);
	fprintf(stderr, "cr-shim: guard the tree: cannot start %s; run npm install to build native/\n", g->exe);
	return -1;
}

int guard_hold(struct guard *g, int fd)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "hold %d\n", fd);
	if (write_full(g->channel, line, (size_t)n) == 0 && read_line(g->channel, line, sizeof(line)) == 0 && strcmp(line, "held") == 0)
		return 0;
	int errnum;
	if (sscanf(line, "error %d", &errnum) == 1)
		fprintf(stderr, "cr-shim: guard the tree: cr-shim-guard could not hold listener fd %d: pidfd_getfd failed with errno %d\n", fd, errnum);
	else
		fprintf(stderr, "cr-shim: guard the tree: cr-shim-guard could not hold listener fd %d: it ended\n", fd);
	return -1;
}

int guard_adopt(struct guard *g, pid_t pid)
{
	char procs[PATH_MAX + 16], text[16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", g->dir);
	int n = snprintf(text, sizeof(text), "%d\n", (int)pid);
	autoclose int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, text, (size_t)n) == n)
		return 0;
	fprintf(stderr, "cr-shim: guard the tree: cannot move process %d into %s: %s\n", (int)pid, g->dir, strerror(errno));
	return -1;
}

void guard_end(struct guard *g, const char *how)
{
	if (g->channel < 0)
		return;
	char line[16], rest[64];
	int n = snprintf(line, sizeof(line), "%s\n", how);
	if (write_full(g->channel, line, (size_t)n) == 0) {
		for (;;) {
			ssize_t r = read(g->channel, rest, sizeof(rest));
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
	}
	close(g->channel);
	g->channel = -1;
}
