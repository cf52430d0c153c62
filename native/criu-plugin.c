/*
 * cr_shim_criu.so: a CRIU plugin that keeps cr-shim's trees under the shim
 * across any checkpoint and restore that goes through CRIU (Podman, runc,
 * CRI-O, containerd), talking to `cr-shim serve` over its unix socket.
 *
 * Dump (CHECKPOINT_DEVICES for the root, then exit):
 *   "dump ROOT"          → "shimmed RELEASE" | "plain"   is the tree under cr-shim?
 *                          shimmed: the image is marked as needing this plugin
 *   "dumped ROOT IMGDIR" → "ok" | "error MSG"             after the images are written:
 *                          the service records cr-shim.json and drops its own filter
 *                          from seccomp.img (CRIU saved it without its listener)
 * Restore (RESUME_DEVICES_LATE, once per process: every task restored and
 * ptrace-stopped with CRIU, which runs this code, as their tracer):
 *   "restore IMGDIR"     → "filter SID\n" BYTES | "plain" | "error MSG"
 *   "listener SID PID" + the listener fd (SCM_RIGHTS) → "ok" | "error MSG"
 *   "end SID RET"        → "ok"                            CRIU's verdict on the restore
 * One SOCK_SEQPACKET message per line above, so no framing is needed.
 *
 * Fail closed: a shimmed image is never restored without the shim. Any
 * failure at restore SIGKILLs the task; CRIU cannot detach from it, aborts
 * and kills the whole tree. A dump of a shimmed tree with no service to ask
 * fails (the image would come back with its calls failing ENOSYS).
 *
 * The service's socket: $CR_SHIM_SOCKET, else "socket PATH" in
 * cr_shim_criu.conf beside this library, else /run/cr-shim/serve.sock.
 * The same file may say "fault bad-filter" (tests: inject a filter the kernel
 * refuses, to see the restore fail closed).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "criu-plugin-abi.h"
#include "infect.h"

#ifndef PTRACE_O_SUSPEND_SECCOMP
#define PTRACE_O_SUSPEND_SECCOMP (1 << 21)
#endif

#define PLUGIN_NAME "cr-shim"
#define DEFAULT_SOCKET "/run/cr-shim/serve.sock"
#define REPLY_MAX (INFECT_MAX_FILTER_BYTES + 256)
/* A service that does not answer must not hang CRIU (and the container engine) for ever. */
#define REPLY_TIMEOUT_S 60

int criu_get_image_dir(void) __attribute__((weak));
int add_inventory_plugin(const char *name) __attribute__((weak));
bool check_and_remove_inventory_plugin(const char *name, size_t n) __attribute__((weak));
void print_on_level(unsigned int loglevel, const char *format, ...) __attribute__((weak, format(printf, 2, 3)));

enum mode { MODE_UNDECIDED, MODE_PLAIN, MODE_SHIM, MODE_FAIL };

static struct {
	int stage;
	int sock;
	enum mode mode;
	pid_t root;	/* dump: the first task CRIU reported */
	char sid[64];	/* restore: the service's name for this restore */
	unsigned char *filter;
	size_t filter_len;
	char why[PATH_MAX + 256]; /* MODE_FAIL: what to log for each killed task */
} st = { .sock = -1 };

/* Into CRIU's own log (where its users look) at error level, else to stderr. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[PATH_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (print_on_level)
		print_on_level(CRIU_LOG_ERROR, "cr-shim plugin: %s\n", line);
	else
		fprintf(stderr, "cr-shim plugin: %s\n", line);
}

/* ---- configuration ---- */

/* The value of KEY in cr_shim_criu.conf beside this library, into out; false when absent. */
static bool conf_value(const char *key, char *out, size_t size)
{
	Dl_info info;
	char path[PATH_MAX], line[PATH_MAX + 32];
	if (!dladdr((void *)conf_value, &info) || !info.dli_fname)
		return false;
	const char *slash = strrchr(info.dli_fname, '/');
	int dirlen = slash ? (int)(slash - info.dli_fname) : 1;
	snprintf(path, sizeof(path), "%.*s/cr_shim_criu.conf", dirlen, slash ? info.dli_fname : ".");
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	size_t klen = strlen(key);
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, "%s", line + klen + 1);
		found = true;
	}
	fclose(f);
	return found;
}

static void socket_path(char *out, size_t size)
{
	const char *env = getenv("CR_SHIM_SOCKET");
	if (env && *env)
		snprintf(out, size, "%s", env);
	else if (!conf_value("socket", out, size))
		snprintf(out, size, "%s", DEFAULT_SOCKET);
}

/* ---- talking to the service ---- */

static int service_connect(void)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	if (st.sock >= 0)
		return 0;
	socket_path(path, sizeof(path));
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	st.sock = fd;
	return 0;
}

/*
 * Send one request (with fd attached when fd >= 0) and read the reply into
 * buf (NUL-terminated after len bytes). Returns the reply's length, -1 with errno.
 */
static ssize_t ask(const char *req, int fd, char *buf, size_t size)
{
	struct iovec iov = { (void *)req, strlen(req) };
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(st.sock, &msg, MSG_NOSIGNAL) < 0)
		return -1;
	ssize_t n;
	while ((n = recv(st.sock, buf, size - 1, 0)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = ECONNRESET;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The image directory's path, from CRIU's descriptor of it. */
static int image_dir(char *out, size_t size)
{
	char link[64];
	if (!criu_get_image_dir) {
		errno = ENOSYS;
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", criu_get_image_dir());
	ssize_t n = readlink(link, out, size - 1);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* ---- dump ---- */

/* Is PID or an ancestor a root that a cr-shim supervisor recorded (/run/cr-shim/PID.json)? */
static bool recorded_supervised(pid_t pid)
{
	const char *dir = getenv("CR_SHIM_RUN_DIR");
	if (!dir || !*dir)
		dir = "/run/cr-shim";
	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		char path[PATH_MAX], stat[512];
		snprintf(path, sizeof(path), "%s/%d.json", dir, pid);
		if (access(path, F_OK) == 0)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
		if (n <= 0)
			return false;
		stat[n] = '\0';
		/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses. */
		char *close_paren = strrchr(stat, ')');
		if (!close_paren || sscanf(close_paren + 2, "%*c %d", &pid) != 1)
			return false;
	}
	return false;
}

static int on_checkpoint(int pid)
{
	char reply[256], req[64];
	if (st.stage != CRIU_STAGE_DUMP || st.root != 0)
		return -ENOTSUP;
	st.root = pid;
	if (service_connect() < 0) {
		if (!recorded_supervised(pid))
			return -ENOTSUP; /* a plain tree, and no service: nothing to do */
		say("process %d runs under cr-shim but its service cannot be reached (%s): refusing to dump it, its image "
		    "would restore with its calls failing ENOSYS; start cr-shim serve",
		    pid, strerror(errno));
		return -ECONNREFUSED;
	}
	snprintf(req, sizeof(req), "dump %d", pid);
	if (ask(req, -1, reply, sizeof(reply)) < 0) {
		say("asking cr-shim serve about process %d: %s", pid, strerror(errno));
		return -EPROTO;
	}
	if (strcmp(reply, "plain") == 0) {
		st.mode = MODE_PLAIN;
		return -ENOTSUP;
	}
	if (strncmp(reply, "shimmed ", 8) != 0) {
		say("cr-shim serve answered \"%s\" about process %d", reply, pid);
		return -EPROTO;
	}
	st.mode = MODE_SHIM;
	/* A restore of this image without the plugin would run the tree without its shim. */
	if (add_inventory_plugin && add_inventory_plugin(PLUGIN_NAME) < 0)
		return -ENOMEM;
	return 0;
}

static void finish_dump(int ret)
{
	char dir[PATH_MAX], req[PATH_MAX + 64], reply[512];
	if (st.mode != MODE_SHIM || ret != 0)
		return;
	if (image_dir(dir, sizeof(dir)) < 0) {
		say("cannot find the image directory (%s): no cr-shim.json recorded; a restore will refuse it", strerror(errno));
		return;
	}
	snprintf(req, sizeof(req), "dumped %d %s", st.root, dir);
	if (ask(req, -1, reply, sizeof(reply)) < 0)
		say("recording cr-shim.json in %s: %s; a restore will refuse the image", dir, strerror(errno));
	else if (strcmp(reply, "ok") != 0)
		say("recording cr-shim.json in %s: %s; a restore will refuse the image", dir, reply);
}

/* ---- restore ---- */

static void decide_restore(void)
{
	char dir[PATH_MAX], req[PATH_MAX + 16], manifest[PATH_MAX + 16];
	autofree char *reply = malloc(REPLY_MAX);
	st.mode = MODE_FAIL;
	if (!reply || image_dir(dir, sizeof(dir)) < 0) {
		snprintf(st.why, sizeof(st.why), "cannot find the image directory: %s", strerror(errno));
		return;
	}
	snprintf(manifest, sizeof(manifest), "%s/cr-shim.json", dir);
	bool shimmed = access(manifest, F_OK) == 0;
	if (service_connect() < 0) {
		if (!shimmed) {
			st.mode = MODE_PLAIN; /* a plain image, and no service to apply a host policy */
			return;
		}
		snprintf(st.why, sizeof(st.why), "%s was dumped under cr-shim and its service cannot be reached (%s); start cr-shim serve",
			 dir, strerror(errno));
		return;
	}
	snprintf(req, sizeof(req), "restore %s", dir);
	ssize_t n = ask(req, -1, reply, REPLY_MAX);
	if (n < 0) {
		snprintf(st.why, sizeof(st.why), "asking cr-shim serve about %s: %s", dir, strerror(errno));
		return;
	}
	if (strcmp(reply, "plain") == 0) {
		st.mode = MODE_PLAIN;
		return;
	}
	char *nl = memchr(reply, '\n', (size_t)n);
	if (strncmp(reply, "filter ", 7) != 0 || !nl) {
		/* The reply names the image directory and the way out: room for a path and a sentence. */
		snprintf(st.why, sizeof(st.why), "cr-shim serve: %.*s", (int)(sizeof(st.why) - 32), reply);
		return;
	}
	*nl = '\0';
	snprintf(st.sid, sizeof(st.sid), "%s", reply + 7);
	st.filter_len = (size_t)n - (size_t)(nl + 1 - reply);
	st.filter = malloc(st.filter_len ? st.filter_len : 1);
	if (!st.filter || st.filter_len == 0 || st.filter_len % sizeof(struct sock_filter) != 0) {
		snprintf(st.why, sizeof(st.why), "cr-shim serve sent a filter of %zu bytes", st.filter_len);
		return;
	}
	memcpy(st.filter, nl + 1, st.filter_len);
	char fault[64];
	if (conf_value("fault", fault, sizeof(fault)) && strcmp(fault, "bad-filter") == 0)
		memset(st.filter, 0xff, sizeof(struct sock_filter)); /* an opcode the kernel refuses: EINVAL */
	st.mode = MODE_SHIM;
}

/* The listener is fd REMOTE inside PID: copy it out and give it to the service. */
static int hand_listener(void *ctx, pid_t pid, long remote)
{
	char req[128], reply[256];
	(void)ctx;
	autoclose int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	autoclose int local = (int)syscall(SYS_pidfd_getfd, pidfd, (int)remote, 0);
	if (local < 0)
		return -1;
	snprintf(req, sizeof(req), "listener %s %d", st.sid, pid);
	if (ask(req, local, reply, sizeof(reply)) < 0)
		return -1;
	if (strcmp(reply, "ok") != 0) {
		say("cr-shim serve refused the listener of process %d: %s", pid, reply);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int on_resume_late(int pid)
{
	struct infect_failure f = { 0 };
	if (st.stage != CRIU_STAGE_RESTORE)
		return -ENOTSUP;
	if (st.mode == MODE_UNDECIDED)
		decide_restore();
	if (st.mode == MODE_PLAIN)
		return -ENOTSUP;
	if (st.mode == MODE_SHIM) {
		/*
		 * CRIU holds every thread in a syscall-exit-stop (rt_sigreturn, or the
		 * munmap of its restorer for the leader) and detaches only after this
		 * hook, putting the registers it restored back first. Our own
		 * options make the injected calls report as syscall stops and keep
		 * the task's restored filters from judging them.
		 */
		struct infect_thread t = { .tid = pid, .held = true };
		int rc = -1;
		if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP)) < 0)
			infect_fail(&f, pid, "ptrace-setoptions", errno);
		else
			rc = infect_process(pid, &t, NULL, 0, st.filter, st.filter_len, hand_listener, NULL, &f);
		if (t.held) {
			if (t.requeue)
				syscall(SYS_tgkill, pid, pid, t.requeue);
			ptrace(PTRACE_SETOPTIONS, pid, 0, 0);
		}
		if (rc == 0)
			return 0;
		snprintf(st.why, sizeof(st.why), "putting process %d under the shim failed at %s: %s", pid, f.op, strerror(f.err));
	}
	/* Fail closed: CRIU cannot detach from a dead task, so it aborts and kills the tree. */
	say("%s; killing process %d so that the restore fails", st.why, pid);
	kill(pid, SIGKILL);
	return -1;
}

static void finish_restore(int ret)
{
	char req[128], reply[64];
	if (st.mode != MODE_SHIM)
		return;
	snprintf(req, sizeof(req), "end %s %d", st.sid, ret);
	if (ask(req, -1, reply, sizeof(reply)) < 0)
		say("telling cr-shim serve how the restore ended: %s", strerror(errno));
}

/* ---- the descriptor CRIU loads ---- */

static int plugin_init(int stage)
{
	st.stage = stage;
	/* Strike ourselves off the image's list of required plugins (CRIU checks it after every init). */
	if (stage == CRIU_STAGE_RESTORE && check_and_remove_inventory_plugin)
		check_and_remove_inventory_plugin(PLUGIN_NAME, strlen(PLUGIN_NAME));
	return 0;
}

static void plugin_exit(int stage, int ret)
{
	if (stage == CRIU_STAGE_DUMP)
		finish_dump(ret);
	else if (stage == CRIU_STAGE_RESTORE)
		finish_restore(ret);
	if (st.sock >= 0)
		close(st.sock);
	free(st.filter);
	memset(&st, 0, sizeof(st));
	st.sock = -1;
}

__attribute__((visibility("default"))) struct criu_plugin_desc CR_PLUGIN_DESC = {
	.name = PLUGIN_NAME,
	.init = plugin_init,
	.exit = plugin_exit,
	.version = CRIU_PLUGIN_ABI(0, 2, 0),
	.max_hooks = CRIU_HOOKS_USED,
	.hooks = {
		[CRIU_HOOK_RESUME_DEVICES_LATE] = (void *)on_resume_late,
		[CRIU_HOOK_CHECKPOINT_DEVICES] = (void *)on_checkpoint,
	},
};
