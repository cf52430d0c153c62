/*
 * The hand-over (handover.h; docs/FRONT.md "When a call needs TypeScript"): `NODE handover-main.js
 * FRONT_PID`, which checks after its own PR_SET_PDEATHSIG that its parent is FRONT_PID. It is started
 * by fork, not posix_spawn: PR_SET_PDEATHSIG must be set in the child between fork and exec (it
 * never outlives the front), and the front is small enough that fork costs nothing to speak of.
 *
 * Its report, one line on fd 3:
 *   LINE ::= {"stats":[CallStat...],"native":[NativeStat...],"maxRssKiB":N} NL | {"error":"MESSAGE"} NL
 *   CallStat   ::= {"arch":A,"name":S,"count":N,"totalNs":N,"path":"native"|"js"}
 *   NativeStat ::= {"arch":AUDIT_ARCH,"nr":N,"count":N,"totalNs":N}
 * read with the small JSON reader below (objects, arrays, strings, numbers, literals: JSON.stringify's output).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../channel.h"
#include "front.h"
#include "handover.h"
#include "json-read.h"
#include "text.h"

int handover_start(const char *root, const struct front_entry *e, int listener, const struct seccomp_notif *n, size_t nsize, uint64_t received_ns,
		   struct handover *h)
{
	char main_js[PATH_MAX + 48];
	snprintf(main_js, sizeof(main_js), "%s/dist/supervisor/handover-main.js", root);
	const char *node = front_node_path();
	int sv[2];
	h->pid = -1;
	h->channel = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "cr-shim: supervise: start the TypeScript helper: socketpair: %s; the program was killed\n", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(125);
		/* fd 3 the channel, fd 4 the listener: through spare fds, as either source may sit on 3 or 4. */
		int ch = fcntl(sv[1], F_DUPFD, 10), ls = fcntl(listener, F_DUPFD, 10);
		if (ch < 0 || ls < 0 || dup2(ch, 3) < 0 || dup2(ls, 4) < 0)
			_exit(125);
		char front_pid[16];
		snprintf(front_pid, sizeof(front_pid), "%d", (int)parent);
		char *argv[] = { (char *)node, main_js, front_pid, NULL };
		if (strchr(node, '/'))
			execv(node, argv);
		else
			execvp(node, argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		fprintf(stderr, "cr-shim: supervise: start the TypeScript helper: fork: %s; the program was killed\n", strerror(errno));
		return -1;
	}
	h->pid = pid;
	h->channel = sv[0];
	uint8_t held[sizeof(struct seccomp_notif) + 512 + 8];
	size_t hl = nsize < sizeof(held) - 8 ? nsize : sizeof(held) - 8;
	memcpy(held, n, hl);
	for (int i = 0; i < 8; i++)
		held[hl + (size_t)i] = (uint8_t)(received_ns >> (8 * i));
	int err = front_record_write(h->channel, FT_WORKER, e->worker.p, e->worker.len);
	for (size_t i = 0; !err && i < e->nactions; i++)
		err = front_record_write(h->channel, FT_ACTIONS, e->actions[i].p, e->actions[i].len);
	if (!err)
		err = front_record_write(h->channel, FT_HELD, held, (uint32_t)(hl + 8));
	if (!err)
		err = front_record_write(h->channel, FT_END, NULL, 0);
	if (err) {
		fprintf(stderr, "cr-shim: supervise: the supervisor thread failed: the TypeScript helper did not take the run: %s; the program was killed\n", strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	return 0;
}

/* ---- the one line, read with json-read.c; `bad` once anything in it was not what it should be ---- */

struct rd {
	struct json j;
	int bad;
};

static void ws(struct rd *r)
{
	json_ws(&r->j);
}

static int eat(struct rd *r, char c)
{
	return json_eat(&r->j, c);
}

/* A string into out (n bytes, cut to fit). */
static int string(struct rd *r, char *out, size_t n)
{
	struct buf b = { 0 };
	json_ws(&r->j);
	int rc = json_string(&r->j, &b);
	if (rc < 0 || b.failed)
		r->bad = 1;
	else
		snprintf(out, n, "%s", b.p ? b.p : "");
	buf_free(&b);
	return r->bad ? -1 : 0;
}

static double number(struct rd *r)
{
	double v = 0;
	json_ws(&r->j);
	if (json_number(&r->j, &v) < 0)
		r->bad = 1;
	return v;
}

static void skip(struct rd *r)
{
	if (json_skip(&r->j, 0) < 0)
		r->bad = 1;
}

/* One CallStat or NativeStat object. */
static void stat_object(struct rd *j, struct stats *s, int native)
{
	char arch[32] = "undefined", name[128] = "", path[16] = "js", key[16];
	double audit = 0, nr = 0, count = 0, total = 0;
	if (!eat(j, '{'))
		return (void)(j->bad = 1);
	if (!eat(j, '}')) {
		do {
			string(j, key, sizeof(key));
			if (!eat(j, ':'))
				return (void)(j->bad = 1);
			ws(j);
			if (strcmp(key, "arch") == 0 && native)
				audit = number(j);
			else if (strcmp(key, "arch") == 0 && j->j.p < j->j.end && *j->j.p == '"')
				string(j, arch, sizeof(arch));
			else if (strcmp(key, "name") == 0)
				string(j, name, sizeof(name));
			else if (strcmp(key, "path") == 0)
				string(j, path, sizeof(path));
			else if (strcmp(key, "nr") == 0)
				nr = number(j);
			else if (strcmp(key, "count") == 0)
				count = number(j);
			else if (strcmp(key, "totalNs") == 0)
				total = number(j);
			else
				skip(j);
		} while (!j->bad && eat(j, ','));
		if (!eat(j, '}'))
			j->bad = 1;
	}
	if (j->bad)
		return;
	if (native)
		stats_add_native(s, (uint32_t)audit, (uint32_t)nr, (uint64_t)count, total);
	else
		stats_add_js(s, arch, name, (uint64_t)count, total, strcmp(path, "js") == 0);
}

static void stat_array(struct rd *j, struct stats *s, int native)
{
	if (!eat(j, '['))
		return (void)(j->bad = 1);
	if (eat(j, ']'))
		return;
	do
		stat_object(j, s, native);
	while (!j->bad && eat(j, ','));
	if (!eat(j, ']'))
		j->bad = 1;
}

enum handover_read handover_read(struct handover *h, struct stats *s, double *rss_kib, char **message)
{
	char buf[4096];
	ssize_t r = read(h->channel, buf, sizeof(buf));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return HANDOVER_MORE;
	if (r > 0) {
		if (h->len + (size_t)r + 1 > h->cap) {
			size_t cap = (h->len + (size_t)r + 1) * 2;
			char *p = realloc(h->line, cap);
			if (!p)
				return HANDOVER_FAILED;
			h->line = p;
			h->cap = cap;
		}
		memcpy(h->line + h->len, buf, (size_t)r);
		h->len += (size_t)r;
		h->line[h->len] = '\0';
	}
	char *nl = h->line ? memchr(h->line, '\n', h->len) : NULL;
	if (!nl)
		return r > 0 ? HANDOVER_MORE : HANDOVER_FAILED;
	close(h->channel);
	h->channel = -1;
	struct rd j = { { h->line, nl }, 0 };
	char key[16];
	char *error = NULL;
	if (!eat(&j, '{'))
		j.bad = 1;
	while (!j.bad && !eat(&j, '}')) {
		string(&j, key, sizeof(key));
		if (!eat(&j, ':'))
			j.bad = 1;
		else if (strcmp(key, "stats") == 0)
			stat_array(&j, s, 0);
		else if (strcmp(key, "native") == 0)
			stat_array(&j, s, 1);
		else if (strcmp(key, "maxRssKiB") == 0)
			*rss_kib = number(&j);
		else if (strcmp(key, "error") == 0) {
			error = calloc(1, (size_t)(nl - j.j.p) + 1);
			if (error)
				string(&j, error, (size_t)(nl - j.j.p) + 1);
		} else
			skip(&j);
		eat(&j, ',');
	}
	if (error) {
		*message = error;
		return HANDOVER_FAILED;
	}
	if (j.bad) {
		*message = strdup("the TypeScript helper's report is not JSON");
		return HANDOVER_FAILED;
	}
	return HANDOVER_DONE;
}
