/*
 * `cr-shim run` on a session-cache hit (front.h): what src/cli/commands/run.ts does for the
 * notify mechanism without --trace, and src/supervisor/supervise.ts after it, without Node.js.
 *
 *   decide    options as src/cli/args.ts parses them, root with CAP_SYS_ADMIN (or --dumpable),
 *             a cgroup2 hierarchy, the cache's front entry (front-entry.c), its verdict tables
 *             decoded: any "no" declines, nothing done yet, and the CLI answers instead;
 *   start     notices, the guard (guard.c), the launcher (launch.c) and its listener, the
 *             listener held by the guard, the launcher in the guard's cgroup, the supervision
 *             record (record.c), the loop with its tables, then the ACK that lets it exec;
 *   supervise the loop on a thread of its own (nc_next); this thread waits in poll on a
 *             signalfd (SIGCHLD and the forwarded signals) and the loop thread's eventfd;
 *             a call that needs TypeScript goes to the helper (handover.c);
 *   end       the tree gone (NC_END, or the helper's line) and the launcher's status read:
 *             record removed, guard released, --stats, exit with the program's status.
 *
 * Signals are blocked from the start of front_run (restored when it declines): a signal sent
 * before the program exists waits in the signalfd and is forwarded once it does, as
 * signal-forwarder.ts holds it.
 *
 * CR_SHIM_FRONT_TRACE=FILE appends one line per `run` the front saw: "run: served" or
 * "run: declined REASON" (docs/FRONT.md), so tests can tell who answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../notify-core.h"
#include "front-entry.h"
#include "front.h"
#include "guard.h"
#include "handover.h"
#include "launch.h"
#include "proc-files.h"
#include "record.h"
#include "run-options.h"
#include "stats.h"
#include "text.h"

static const int FORWARDED[] = FRONT_FORWARDED_SIGNALS;

static void trace(const char *what, const char *why)
{
	const char *file = getenv("CR_SHIM_FRONT_TRACE");
	if (!file || !*file)
		return;
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	dprintf(fd, "run: %s%s%s\n", what, why ? " " : "", why ? why : "");
	close(fd);
}

/* What the loop thread reports to the main thread. */
struct loop_end {
	struct nc_loop *loop;
	int efd;
	enum nc_next what;
	struct seccomp_notif *notif;
	unsigned at;
	uint64_t received_ns;
	const char *op;
	int err;
};

static void *loop_thread(void *arg)
{
	struct loop_end *le = arg;
	le->what = nc_next(le->loop, le->notif, &le->at, &le->received_ns, &le->op, &le->err);
	uint64_t one = 1;
	while (write(le->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void native_row(void *ctx, uint32_t audit, uint32_t nr, uint64_t count, uint64_t total_ns)
{
	stats_add_native(ctx, audit, nr, count, (double)total_ns);
}

/* A shell's status: the code, or 128+N when killed by signal N. */
static int shell_status(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

struct served {
	const struct front *f;
	struct front_entry entry;
	struct nc_table *tables[NC_MAX_ARCHES];
	size_t ntables;
	struct guard guard;
	struct launch launch;
	char record[PATH_MAX + 32];
	int stats, status, launcher_reaped;
};

/* Failure after the tree may exist: it is killed (the guard kills whatever it forked), then one error line was printed. */
static _Noreturn void fail_killed(struct served *s)
{
	if (s->launch.pid > 0 && !s->launcher_reaped)
		kill(s->launch.pid, SIGKILL);
	record_remove(s->record);
	guard_end(&s->guard, "kill");
	exit(125);
}

/* Reap every exited child (cr-shim is a subreaper: orphans come here); keep the launcher's status. */
static void reap(struct served *s, pid_t helper, int *helper_reaped)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == s->launch.pid) {
			s->status = shell_status(st);
			s->launcher_reaped = 1;
		} else if (pid == helper && helper_reaped) {
			*helper_reaped = 1;
		}
	}
}

static _Noreturn void supervise(struct served *s, struct nc_loop *loop, int sfd)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	size_t nsize = nc_notif_size(loop);
	struct loop_end le = { .loop = loop, .efd = efd, .notif = calloc(1, nsize > sizeof(struct seccomp_notif) ? nsize : sizeof(struct seccomp_notif)) };
	pthread_t thread;
	if (efd < 0 || !le.notif || pthread_create(&thread, NULL, loop_thread, &le) != 0) {
		fprintf(stderr, "cr-shim: supervise: the supervisor thread failed: %s; the program was killed\n", strerror(errno ? errno : ENOMEM));
		fail_killed(s);
	}
	struct stats stats = { 0 };
	struct handover h = { .pid = -1, .channel = -1 };
	int loop_running = 1, ended = 0, helper_reaped = 0;
	double helper_rss = 0;
	while (!(ended && s->launcher_reaped)) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { loop_running ? efd : -1, POLLIN, 0 }, { h.channel, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cr-shim: supervise: poll: %s; the program was killed\n", strerror(errno));
			fail_killed(s);
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(s, h.pid, &helper_reaped);
				else if (!s->launcher_reaped)
					kill(s->launch.pid, (int)si.ssi_signo);
			}
		}
		if (loop_running && (p[1].revents & POLLIN)) {
			pthread_join(thread, NULL);
			loop_running = 0;
			nc_stats_each(loop, native_row, &stats);
			if (le.what == NC_FAILED) {
				nc_loop_free(loop);
				fprintf(stderr, "cr-shim: supervise: the notification loop failed: %s: %s; the program was killed\n", le.op, strerror(le.err));
				fail_killed(s);
			}
			if (le.what == NC_JS) {
				/* The helper holds the listener (fd 4) from its fork on: only then is this loop freed. */
				if (handover_start(s->f->root, &s->entry, nc_loop_listener(loop, le.at), le.notif, nsize, le.received_ns, &h) < 0) {
					nc_loop_free(loop);
					fail_killed(s);
				}
			} else {
				ended = 1;
			}
			/* Closing the listener makes every trapped call fail with ENOSYS: none is left now (NC_END) or the helper has its copy. */
			nc_loop_free(loop);
		}
		if (h.channel >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			char *message = NULL;
			enum handover_read r = handover_read(&h, &stats, &helper_rss, &message);
			if (r == HANDOVER_FAILED) {
				/* The helper names a loop that ended on a fault as Lifecycle.awaitEnd does; anything else is its thread's failure. */
				const char *m = message ? message : "the TypeScript helper ended without its report";
				if (strncmp(m, "the notification loop failed: ", 30) == 0)
					fprintf(stderr, "cr-shim: supervise: %s; the program was killed\n", m);
				else
					fprintf(stderr, "cr-shim: supervise: the supervisor thread failed: %s; the program was killed\n", m);
				if (h.pid > 0 && !helper_reaped)
					kill(h.pid, SIGKILL);
				fail_killed(s);
			}
			if (r == HANDOVER_DONE)
				ended = 1;
		}
	}
	record_remove(s->record);
	guard_end(&s->guard, "release");
	if (s->stats) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		stats_print(stderr, &stats, &s->entry, (double)ru.ru_maxrss + helper_rss);
	}
	exit(s->status);
}

/* Everything after the decision: never returns. */
static _Noreturn void serve(struct served *s, char **program, int quiet, int no_new_privs, int sfd)
{
	/*
	 * As in Node.js: a peer that is gone (a launcher that failed before reading its filter, a
	 * guard already reaped) is EPIPE from write, not this process's death. Children get the
	 * default back (spawn_process, handover.c).
	 */
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "cr-shim: prctl(PR_SET_CHILD_SUBREAPER): errno %d\n", errno);
		exit(125);
	}
	if (!quiet)
		for (size_t i = 0; i < s->entry.nnotices; i++)
			print_notice((const char *)s->entry.notices[i].p, s->entry.notices[i].len);
	/* The guard comes up beside the launcher (each takes a few ms); the tree joins it before exec. */
	if (guard_spawn(&s->guard, s->f->root) < 0)
		exit(125);
	if (launch_under_filter(s->f->root, &s->entry, program, no_new_privs, &s->launch) < 0) {
		guard_end(&s->guard, "kill");
		exit(125);
	}
	if (guard_ready(&s->guard) < 0) {
		kill(s->launch.pid, SIGKILL);
		exit(125);
	}
	if (guard_hold(&s->guard, s->launch.listener) < 0 || guard_adopt(&s->guard, s->launch.pid) < 0)
		fail_killed(s);
	record_write(s->launch.pid, s->entry.release, s->entry.mainline, s->entry.sha256, s->guard.path, s->record, sizeof(s->record));
	struct nc_loop *loop;
	int err = nc_loop_open(s->launch.listener, &loop);
	for (size_t i = 0; !err && i < s->ntables; i++) {
		err = nc_publish(loop, s->tables[i]);
		s->tables[i] = NULL;
	}
	if (err) {
		fprintf(stderr, "cr-shim: supervise: start the notification loop: %s; the program was killed\n", strerror(err));
		fail_killed(s);
	}
	/* The program starts only now: even its first calls are answered by the loop's tables. */
	if (launch_ack(&s->launch) < 0) {
		fprintf(stderr, "cr-shim: cr-shim-launch: the launcher exited before exec (see its stderr)\n");
		fail_killed(s);
	}
	supervise(s, loop, sfd);
}

int front_run(const struct front *f, int argc, char **argv)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < sizeof(FORWARDED) / sizeof(FORWARDED[0]); i++)
		sigaddset(&block, FORWARDED[i]);
	sigprocmask(SIG_BLOCK, &block, &old);

	static struct served s;
	s.f = f;
	struct run_opts o;
	const char *why = run_options_parse(argc, argv, &o);
	const char *off = getenv("CR_SHIM_SESSION_CACHE"), *tables = getenv("CR_SHIM_TABLES");
	int dumpable = run_opt(&o, "dumpable") != NULL;
	if (!why && geteuid() != 0)
		why = "not root";
	else if (!why && off && strcmp(off, "off") == 0)
		why = "CR_SHIM_SESSION_CACHE=off";
	else if (!why && tables && *tables)
		why = "CR_SHIM_TABLES";
	/* Without CAP_SYS_ADMIN the CLI prints a notice and traps the identity files: its own to tell. */
	else if (!why && !dumpable && !proc_self_has_sys_admin())
		why = "no CAP_SYS_ADMIN";
	else if (!why && guard_locate(&s.guard, f->root) < 0)
		why = "no cgroup2 hierarchy";
	struct run_request req = {
		.kernel = run_opt(&o, "kernel"),
		.identity_mounted = !dumpable,
		.io_uring = run_opt(&o, "allow-io-uring") != NULL,
		.tiocsti = run_opt(&o, "allow-tiocsti") != NULL,
	};
	if (!why)
		(void)front_entry_read(f, &req, &s.entry, &why) ;
	for (size_t i = 0; !why && i < s.entry.nactions; i++) {
		if (s.ntables == NC_MAX_ARCHES || nc_table_decode(s.entry.actions[i].p, s.entry.actions[i].len, &s.tables[s.ntables++], &why) != 0)
			why = why ? why : "too many arches";
	}
	int sfd = why ? -1 : signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!why && sfd < 0)
		why = "no signalfd";
	if (why) {
		for (size_t i = 0; i < s.ntables; i++)
			if (s.tables[i])
				nc_table_free(s.tables[i]);
		front_entry_free(&s.entry);
		trace("declined", why);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return FRONT_DECLINED;
	}
	trace("served", NULL);
	s.stats = run_opt(&o, "stats") != NULL;
	serve(&s, o.program, run_opt(&o, "quiet") != NULL, run_opt(&o, "no-new-privs") != NULL, sfd);
}
