/*
 * `cr-shim restore IMG` through `cr-shim serve`, in C (front.h): what the Node.js CLI's thin
 * client does (src/cli/commands/restore.ts, src/restore/thin-client.ts, src/serve/client.ts),
 * without Node's start and module loading ahead of the request (docs/PERFORMANCE-NOTES.md).
 *
 *   the command line          as parseArgs reads restore's options; anything else: decline
 *   the socket                --socket, $CR_SHIM_SOCKET, /run/cr-shim/serve.sock; root's file
 *                             in a root-only directory, a peer of uid 0 (SO_PEERCRED)
 *   → "restore-image 1 JSON"  the spec as JSON.stringify writes it (src/serve/protocol.ts)
 *   ← "notice TEXT"*          printed as noticeLine does, unless --quiet
 *   ← "exit STATUS"           the restored root's status: ours
 *   ← "failed JSON"           the error line and status the CLI's main prints for it
 *
 * Every case where the TypeScript client would not send the request, or would print a notice
 * and restore in process (a socket not root's, nobody listening, a service that refuses the
 * request), declines: nothing printed, nothing changed, and the CLI then does it all itself.
 * So do options the front does not know and values it is not sure to read as Node would
 * (a fractional --criu-timeout, bytes that are not UTF-8, $CR_SHIM_DEBUG's stacks).
 *
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are blocked from before connect and
 * read from a signalfd, so none is lost to its default action; each goes to the service as
 * "signal N" (src/supervisor/signal-forwarder.ts's list).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "front.h"
#include "json-read.h"
#include "text.h"

/* src/serve/protocol.ts HAND_OVER_VERSION. */
#define HAND_OVER_VERSION 1
/* src/serve/seqpacket.ts: the largest message (a filter) and the descriptors one may carry. */
#define MAX_MESSAGE (64 * 1024)
#define MAX_FDS 8
/* src/restore/criu-limits.ts DEFAULT_CRIU_LIMITS: 600 s, 64 MiB. */
#define DEFAULT_TIMEOUT_S 600
#define DEFAULT_LOG_MIB 64
#define DEFAULT_SOCKET "/run/cr-shim/serve.sock"
#define EXIT_FAILED 125

/* restore's options as src/cli/args.ts parseArgs reads them against restoreSpec. */
struct restore_args {
	const char *img;
	const char *kernel, *criu, *socket, *timeout, *log_limit;
	bool quiet, io_uring, stats, no_serve, trace;
	int criu_argc;
	char **criu_argv;
};

/*
 * Parse argv (argv[0] "restore"); 0, or -1 for anything the served path does not take or that
 * the CLI answers with an error: an unknown option, a flag with a value, a missing value, no
 * image or two, --help, an empty value.
 */
static int parse_args(int argc, char **argv, struct restore_args *a)
{
	static const struct {
		const char *name;
		bool value;
		size_t field;
	} options[] = {
		{ "kernel", true, offsetof(struct restore_args, kernel) },
		{ "criu", true, offsetof(struct restore_args, criu) },
		{ "trace", true, 0 },
		{ "criu-timeout", true, offsetof(struct restore_args, timeout) },
		{ "criu-log-limit", true, offsetof(struct restore_args, log_limit) },
		{ "socket", true, offsetof(struct restore_args, socket) },
		{ "allow-io-uring", false, offsetof(struct restore_args, io_uring) },
		{ "stats", false, offsetof(struct restore_args, stats) },
		{ "no-serve", false, offsetof(struct restore_args, no_serve) },
		{ "quiet", false, offsetof(struct restore_args, quiet) },
	};
	int own = 0;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			a->criu_argc = argc - i - 1;
			a->criu_argv = argv + i + 1;
			break;
		}
		if (strncmp(arg, "--", 2) == 0 && arg[2]) {
			const char *eq = strchr(arg, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			size_t k;
			for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
				if (strlen(options[k].name) == len && strncmp(options[k].name, arg + 2, len) == 0)
					break;
			if (k == sizeof(options) / sizeof(options[0]))
				return -1;
			if (options[k].value) {
				const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!v || !*v)
					return -1;
				if (strcmp(options[k].name, "trace") == 0)
					a->trace = true;
				else
					*(const char **)((char *)a + options[k].field) = v;
			} else {
				if (eq)
					return -1;
				*(bool *)((char *)a + options[k].field) = true;
			}
			continue;
		}
		if (own++ > 0)
			return -1;
		a->img = arg;
	}
	return a->img && *a->img ? 0 : -1;
}

/*
 * --criu-timeout and --criu-log-limit: whole numbers only (restore.ts's positive() also takes
 * fractions, whose product JSON.stringify prints in a form not worth copying: the CLI takes
 * those). Up to 9 digits, so value * 2^20 stays an exact integer. -1 to decline.
 */
static long long whole(const char *text, long long dflt)
{
	if (!text)
		return dflt;
	size_t n = strlen(text);
	if (n == 0 || n > 9 || strspn(text, "0123456789") != n)
		return -1;
	long long v = atoll(text);
	return v > 0 ? v : -1;
}

/*
 * path.resolve(img): the working directory joined when img is relative, then normalised
 * lexically ('.', '..', repeated and trailing slashes); symlinks are not followed.
 */
static int resolve_path(const char *img, struct buf *out)
{
	char cwd[PATH_MAX];
	struct buf joined = { 0 };
	if (img[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) || !utf8_ok(cwd))
			return -1;
		buf_str(&joined, cwd);
		buf_str(&joined, "/");
	}
	buf_str(&joined, img);
	if (joined.failed) {
		buf_free(&joined);
		return -1;
	}
	/* Each segment's start in `out`, to drop it again on "..". */
	size_t *starts = calloc(joined.len + 1, sizeof(size_t));
	size_t depth = 0;
	if (!starts) {
		buf_free(&joined);
		return -1;
	}
	for (char *seg = joined.p; *seg;) {
		size_t n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.')) {
			/* nothing */
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (depth > 0)
				out->len = starts[--depth];
		} else {
			starts[depth++] = out->len;
			buf_str(out, "/");
			buf_add(out, seg, n);
		}
		seg += n;
		if (*seg == '/')
			seg++;
	}
	if (out->len == 0)
		buf_str(out, "/");
	else
		out->p[out->len] = '\0';
	free(starts);
	buf_free(&joined);
	return out->failed ? -1 : 0;
}

/* Wall-clock milliseconds, src/phase-trace.ts's clock (CLOCK_REALTIME). */
static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A phase line (src/phase-trace.ts's grammar), kept until the service has taken the request. */
static void phase(struct buf *phases, const char *name, double start, double end)
{
	if (!getenv("CR_SHIM_PHASES") || !*getenv("CR_SHIM_PHASES"))
		return;
	buf_str(phases, "{\"proc\":\"cli\",\"phase\":");
	buf_json_str(phases, name);
	buf_printf(phases, ",\"start\":%.3f,\"end\":%.3f}\n", start, end);
}

/* Append the phase lines to $CR_SHIM_PHASES as recordPhase does (flag 'a'); a failure only loses them. */
static void flush_phases(struct buf *phases)
{
	const char *file = getenv("CR_SHIM_PHASES");
	if (file && *file && phases->len > 0 && !phases->failed) {
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (fd >= 0) {
			ssize_t n = write(fd, phases->p, phases->len);
			(void)n;
			close(fd);
		}
	}
	phases->len = 0;
}

/*
 * Connect to root's service at `socket` as ServiceClient.connect does: the socket file root's,
 * its directory root's and writable by nobody else (so the file cannot be swapped between the
 * check and connect), the peer uid 0. The connected fd, or -1 wherever the TypeScript client
 * would restore in process (silently or with a notice: the CLI says it).
 */
static int connect_trusted(const char *socket_path)
{
	struct stat st, dst;
	if (lstat(socket_path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid != 0)
		return -1;
	char dir[PATH_MAX];
	size_t n = strlen(socket_path);
	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, socket_path, n + 1);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &dst) < 0 || dst.st_uid != 0 || (dst.st_mode & 022) != 0)
		return -1;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, socket_path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || peer.uid != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The fields of a RemoteFailure; a string member is set when `has_*`. */
struct failure {
	struct buf op, message, hint, code, kind;
	bool has_op, has_message, has_hint, has_code, has_kind, has_status;
	double exit_status;
};

static void failure_free(struct failure *f)
{
	buf_free(&f->op), buf_free(&f->message), buf_free(&f->hint), buf_free(&f->code), buf_free(&f->kind);
}

/* parseFailure: 0 with `f` filled, -1 when it is 'bad "failed" reply'. */
static int parse_failure(const char *text, size_t n, struct failure *f)
{
	struct json j = { text, text + n };
	json_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		/* JSON, but not an object (or not JSON): either way a bad reply. */
		return -1;
	}
	j.p++;
	json_ws(&j);
	bool empty = j.p < j.end && *j.p == '}';
	if (empty)
		j.p++;
	while (!empty) {
		json_ws(&j);
		struct buf key = { 0 };
		if (json_string(&j, &key) < 0)
			return buf_free(&key), -1;
		json_ws(&j);
		if (j.p >= j.end || *j.p++ != ':')
			return buf_free(&key), -1;
		json_ws(&j);
		static const char *const names[] = { "op", "message", "hint", "code", "kind" };
		struct buf *fields[] = { &f->op, &f->message, &f->hint, &f->code, &f->kind };
		bool *has[] = { &f->has_op, &f->has_message, &f->has_hint, &f->has_code, &f->has_kind };
		int which = -1;
		for (int i = 0; i < 5; i++)
			if (key.p && strlen(key.p) == key.len && strcmp(key.p, names[i]) == 0)
				which = i;
		bool is_status = key.p && strlen(key.p) == key.len && strcmp(key.p, "exitStatus") == 0;
		buf_free(&key);
		if (which >= 0) {
			/* The last member of a name counts, whatever its type. */
			*has[which] = false;
			fields[which]->len = 0;
			if (j.p < j.end && *j.p == '"') {
				if (json_string(&j, fields[which]) < 0)
					return -1;
				buf_add(fields[which], "", 0);
				*has[which] = true;
			} else if (json_skip(&j, 0) < 0) {
				return -1;
			}
		} else if (is_status) {
			f->has_status = false;
			if (j.p < j.end && (*j.p == '-' || (*j.p >= '0' && *j.p <= '9'))) {
				if (json_number(&j, &f->exit_status) < 0)
					return -1;
				f->has_status = isfinite(f->exit_status) && f->exit_status == trunc(f->exit_status);
			} else if (json_skip(&j, 0) < 0) {
				return -1;
			}
		} else if (json_skip(&j, 0) < 0) {
			return -1;
		}
		json_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		return -1;
	}
	json_ws(&j);
	if (j.p != j.end || !f->has_op || !f->has_message)
		return -1;
	return 0;
}

/* process.exit(n)'s status: the low 8 bits. */
static _Noreturn void exit_status(long long n)
{
	exit((int)(n & 0xff));
}

/*
 * The line and status src/cli/main.ts's report() gives the error client.ts rebuilds from a
 * failure (exit-status.ts exitStatusOf, error-line.ts errorLine), then exit.
 */
static _Noreturn void exit_failed(const struct failure *f)
{
	struct buf line = { 0 };
	bool internal = f->has_kind && strcmp(f->kind.p, "internal") == 0;
	bool usage = f->has_kind && strcmp(f->kind.p, "usage") == 0;
	if (internal) {
		buf_str(&line, "cr-shim: internal error: ");
		buf_escaped(&line, f->message.p, f->message.len);
		buf_str(&line, "; CR_SHIM_DEBUG=1 prints the stack\n");
		write_stderr(&line);
		exit(EXIT_FAILED);
	}
	/* A closed stdout: nothing printed, 128 + SIGPIPE. */
	if (f->has_code && strcmp(f->code.p, "EPIPE") == 0 && strcmp(f->op.p, "write stdout") == 0)
		exit(128 + 13);
	buf_str(&line, "cr-shim: ");
	buf_escaped(&line, f->op.p, f->op.len);
	buf_str(&line, ": ");
	buf_escaped(&line, f->message.p, f->message.len);
	if (f->has_hint && f->hint.len > 0) {
		buf_str(&line, "; ");
		buf_escaped(&line, f->hint.p, f->hint.len);
	}
	buf_str(&line, "\n");
	write_stderr(&line);
	if (f->has_status)
		exit_status((long long)fmod(f->exit_status, 4294967296.0));
	exit(usage ? 2 : EXIT_FAILED);
}

/* A ShimError the client throws, as main prints it: "cr-shim: OP: MESSAGE", 125. */
static _Noreturn void exit_error(const char *op, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct buf line = { 0 };
	buf_str(&line, "cr-shim: ");
	buf_escaped(&line, op, strlen(op));
	buf_str(&line, ": ");
	buf_escaped(&line, msg, strlen(msg));
	buf_str(&line, "\n");
	write_stderr(&line);
	exit(EXIT_FAILED);
}

/* The first `max` bytes of `s` (String.slice on ASCII: the service's replies are ASCII). */
static int cut(size_t len, size_t max)
{
	return (int)(len < max ? len : max);
}

/* Is `s` (n bytes) a match of protocol.ts's RELEASE, /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/? */
static bool release_ok(const char *s, size_t n)
{
	if (n < 1 || n > 64 || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", s[0]) || !s[0])
		return false;
	for (size_t i = 1; i < n; i++)
		if (!s[i] || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-", s[i]))
			return false;
	return true;
}

/* Is `s` protocol.ts's SID, /^[A-Za-z0-9_-]{1,48}$/? */
static bool sid_ok(const char *s, size_t n)
{
	if (n < 1 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", s[i]))
			return false;
	return true;
}

/*
 * One reply to restore-image, as client.ts restoreImage takes it (parseReply's verdicts): a
 * notice is printed and 0 returned; "exit" and "failed" end the process; so does anything the
 * protocol does not allow here, with client.ts's error line.
 */
static int take_reply(const char *sock, const char *data, size_t n, bool quiet)
{
	const char *nl = memchr(data, '\n', n);
	size_t head = nl ? (size_t)(nl - data) : n;
	const char *space = memchr(data, ' ', head);
	size_t klen = space ? (size_t)(space - data) : head;
	const char *rest = space ? space + 1 : data + head;
	size_t rlen = space ? head - klen - 1 : 0;
	char kind[33];
	snprintf(kind, sizeof(kind), "%.*s", cut(klen, 32), data);
	const char *bad = NULL;
	char why[128];
#define IS(k) (klen == strlen(k) && memcmp(data, k, klen) == 0)
	if (IS("notice")) {
		if (!nl) {
			if (!quiet)
				print_notice(rest, rlen);
			return 0;
		}
		bad = "a notice is one line";
	} else if (IS("exit")) {
		if (!nl && rlen >= 1 && rlen <= 3 && strspn(rest, "0123456789") >= rlen)
			exit_status(strtol(rest, NULL, 10));
		snprintf(why, sizeof(why), "bad status \"%.*s\"", cut(rlen, 16), rest);
		bad = why;
	} else if (IS("failed")) {
		struct failure f = { 0 };
		if (!nl && parse_failure(rest, rlen, &f) == 0)
			exit_failed(&f);
		failure_free(&f);
		bad = "bad \"failed\" reply";
	} else if (IS("plain") || IS("ok") || IS("gone")) {
		if (rlen == 0 && !space && !nl)
			exit_error("cr-shim serve restore-image", "%s answered \"%s\"", sock, kind);
		snprintf(why, sizeof(why), "bad \"%s\" reply", kind);
		bad = why;
	} else if (IS("shimmed")) {
		if (release_ok(rest, rlen))
			exit_error("cr-shim serve restore-image", "%s answered \"shimmed\"", sock);
		snprintf(why, sizeof(why), "bad release \"%.*s\"", cut(rlen, 64), rest);
		bad = why;
	} else if (IS("error")) {
		exit_error("cr-shim serve restore-image", "%s answered \"error\"", sock);
	} else if (IS("filter")) {
		if (!sid_ok(rest, rlen) || !nl)
			bad = "bad \"filter\" reply";
		else if ((n - head - 1) % 8 == 0 && n > head + 1)
			exit_error("cr-shim serve restore-image", "%s answered \"filter\"", sock);
		else
			bad = "a filter that is not whole instructions";
	} else {
		snprintf(why, sizeof(why), "unknown reply \"%s\"", kind);
		bad = why;
	}
#undef IS
	exit_error("cr-shim serve", "%s answered restore-image with %s", sock, bad);
}

/* One message: its length, 0 when the service hung up, -1 on an error; descriptors that came with it are closed. */
static ssize_t recv_reply(int fd, char *data, size_t size)
{
	char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = { data, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (int *p = (int *)CMSG_DATA(c); (char *)(p + 1) <= (char *)c + c->cmsg_len; p++)
					close(*p);
	if (n >= 0 && (msg.msg_flags & MSG_CTRUNC))
		exit_error("recvmsg", "a message came with more descriptors than one request carries");
	return n;
}

static const int FORWARDED[] = FRONT_FORWARDED_SIGNALS;

/* Undo the blocked signals for the CLI: any that came meanwhile are dropped, as the TypeScript client drops those it held. */
static void unblock(const sigset_t *set, const sigset_t *old)
{
	struct timespec zero = { 0 };
	while (sigtimedwait(set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, old, NULL);
}

int front_restore(const struct front *f, int argc, char **argv)
{
	(void)f;
	double started = wall_ms();
	struct restore_args a = { 0 };
	if (parse_args(argc, argv, &a) < 0 || a.trace || a.stats || a.no_serve)
		return FRONT_DECLINED;
	/* The CLI prints a stack for an internal error under CR_SHIM_DEBUG; a stack is Node's to print. */
	const char *debug = getenv("CR_SHIM_DEBUG");
	if (debug && *debug)
		return FRONT_DECLINED;
	long long timeout_s = whole(a.timeout, DEFAULT_TIMEOUT_S), log_mib = whole(a.log_limit, DEFAULT_LOG_MIB);
	if (timeout_s < 0 || log_mib < 0)
		return FRONT_DECLINED;
	const char *env_criu = getenv("CR_SHIM_CRIU");
	const char *criu = a.criu ? a.criu : env_criu && *env_criu ? env_criu : NULL;
	const char *env_socket = getenv("CR_SHIM_SOCKET");
	const char *sock = a.socket ? a.socket : env_socket && *env_socket ? env_socket : DEFAULT_SOCKET;
	if (!utf8_ok(a.img) || (a.kernel && !utf8_ok(a.kernel)) || (criu && !utf8_ok(criu)) || !utf8_ok(sock))
		return FRONT_DECLINED;
	for (int i = 0; i < a.criu_argc; i++)
		if (!utf8_ok(a.criu_argv[i]))
			return FRONT_DECLINED;

	/* The request: "restore-image VERSION " and the spec's JSON, members in thin-client.ts's order. */
	struct buf dir = { 0 }, req = { 0 }, phases = { 0 };
	char *data = NULL;
	if (resolve_path(a.img, &dir) < 0 || !utf8_ok(dir.p)) {
		buf_free(&dir);
		return FRONT_DECLINED;
	}
	buf_printf(&req, "restore-image %d {\"dir\":", HAND_OVER_VERSION);
	buf_json_str(&req, dir.p);
	buf_free(&dir);
	if (a.kernel) {
		buf_str(&req, ",\"kernel\":");
		buf_json_str(&req, a.kernel);
	}
	if (criu) {
		buf_str(&req, ",\"criu\":");
		buf_json_str(&req, criu);
	}
	buf_str(&req, ",\"criuArgs\":[");
	for (int i = 0; i < a.criu_argc; i++) {
		if (i)
			buf_str(&req, ",");
		buf_json_str(&req, a.criu_argv[i]);
	}
	buf_printf(&req, "],\"ioUring\":%s,\"limits\":{\"timeoutMs\":%lld,\"maxLogBytes\":%lld}}", a.io_uring ? "true" : "false", timeout_s * 1000, log_mib * 1048576);
	if (req.failed || req.len > MAX_MESSAGE) {
		buf_free(&req);
		return FRONT_DECLINED;
	}

	/* Blocked before connect: a signal that comes while the tree is restored is forwarded, never fatal. */
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(FORWARDED) / sizeof(FORWARDED[0]); i++)
		sigaddset(&set, FORWARDED[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	double connecting = wall_ms();
	phase(&phases, "client: CLI modules and arguments", started, connecting);
	int fd = sigfd < 0 ? -1 : connect_trusted(sock);
	phase(&phases, "client: connect", connecting, wall_ms());
	double sent = wall_ms();
	phase(&phases, "client: request sent", sent, sent);
	if (fd < 0 || send(fd, req.p, req.len, MSG_NOSIGNAL) != (ssize_t)req.len) {
		goto decline;
	}
	buf_free(&req);

	/* One more byte than the largest message: replies are read as NUL-terminated text. */
	data = malloc(MAX_MESSAGE + 1);
	if (!data)
		goto decline;
	bool first = true;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			if (first)
				goto decline;
			exit_error("poll", "poll failed: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				char line[32];
				int len = snprintf(line, sizeof(line), "signal %u", si.ssi_signo);
				ssize_t ignored = send(fd, line, (size_t)len, MSG_NOSIGNAL);
				(void)ignored;
			}
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv_reply(fd, data, MAX_MESSAGE);
		if (n >= 0)
			data[n] = '\0';
		if (n <= 0) {
			if (first)
				goto decline;
			exit_error("supervise", "cr-shim serve on %s: the service on %s went away (its guard kills the tree)", sock, sock);
		}
		if (first) {
			/* An "error" first: the service does not serve this request; the CLI restores (and says why). */
			if (n >= 5 && memcmp(data, "error", 5) == 0 && (n == 5 || data[5] == ' ' || data[5] == '\n'))
				goto decline;
			/* From here on the request is the service's: ours are the output and the status. */
			first = false;
			signal(SIGPIPE, SIG_IGN);
			flush_phases(&phases);
		}
		take_reply(sock, data, (size_t)n, a.quiet);
	}

decline:
	if (fd >= 0)
		close(fd);
	if (sigfd >= 0)
		close(sigfd);
	unblock(&set, &old);
	free(data);
	buf_free(&req);
	buf_free(&phases);
	return FRONT_DECLINED;
}
