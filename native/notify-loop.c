/*
 * cr_shim_notify: the seccomp user-notification loop, as a Node-API addon.
 * The interface is src/native/addon-types.ts (NotifyAddon); keep the two in step.
 *
 * recv() blocks the calling thread (a worker, never Node's main thread) in
 * poll() + SECCOMP_IOCTL_NOTIF_RECV. Notifications whose (arch, nr) has a
 * native verdict are answered here, from a table that JS pushes down with
 * setActions(), and counted; the first one that needs JS is returned to it.
 *
 * Listeners. A loop polls one or more listeners (one per restored or attached
 * process, each of which got its own filter): open() takes the first,
 * addListener() more. A handle names a loop and one of its listeners,
 * handle = loop id << HANDLE_SHIFT | listener index, so open's handle (index 0)
 * also names the loop, and each notification carries the handle of the
 * listener it came from, which respond/idValid/addFdAndSend take. Listeners are
 * appended, never removed: a listener whose tasks are all gone (POLLHUP) is
 * only left out of the poll set; recv returns null once all of them are.
 *
 * Threads. Loops live in a process-wide table, named by small integers, so the
 * main thread can stop() or read stats() of a loop a worker runs (N-API values
 * cannot cross threads). g_mu guards the table and each loop's reference count;
 * a loop is freed, and its fds closed, only when the last user lets go, so
 * close() from one thread never pulls an fd from under another thread's ioctl.
 * Each loop's verdict tables are immutable once published: setActions builds a
 * new set and swaps the pointer under the loop's mutex and bumps a generation;
 * recv holds a reference to the set it uses and re-reads the pointer only when
 * the generation moved, so the hot path costs one atomic load.
 *
 * Kernel facts this file relies on:
 *  - struct sizes come from SECCOMP_GET_NOTIF_SIZES (the kernel may be newer
 *    than our headers); NOTIF_RECV wants a zeroed buffer.
 *  - ENOENT from NOTIF_RECV/SEND/ID_VALID/ADDFD means the task went away (it was
 *    killed while trapped): an event, not an error.
 *  - When the listener is closed, the kernel answers every pending and every
 *    future USER_NOTIF of that filter with -ENOSYS: a program whose supervisor
 *    died sees ENOSYS for the trapped calls, not a hang (see test/native).
 *  - SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+) makes the kernel wake the
 *    supervisor and the task synchronously on the same CPU: a large part of
 *    the round trip on a small VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec-watch-client.h"
#include "identity-open.h"
#include "libc-calls.h"
#include "spawn-calls.h"
#include "native-verdict.h"
#include "seccomp-compat.h"
#include "strict-client.h"
#include "task-uts.h"
#include "tracee-string.h"



/* Verdicts per arch, indexed by syscall number: every number tables/schema/syscall-table.schema.json
 * admits (0..4095), so any schema-valid table can be pushed down. */
#define MAX_NR 4096
#define MAX_ARCHES 8	/* AUDIT_ARCH values per loop */
#define MAX_LOOPS 256
#define HANDLE_SHIFT 10
#define MAX_LISTENERS (1 << HANDLE_SHIFT)	/* per loop; the index is the handle's low bits */
#define MAX_WRITE (1U << 20)
#define ARG_COUNT 6

struct verdict {
	uint8_t kind;
	uint8_t arg;
	int32_t err;
	int64_t val;
	uint8_t *bytes;	/* writeArg; uname: the template, then the UNAME26 release and the PER_LINUX32 machine fields */
	size_t len;
	uint32_t width;	/* uname: bytes per utsname field */
	char **names;	/* pathWatch: last path components that JS wants to see */
	size_t nnames;
	struct identity_entry *ids;	/* openIdentity: the files answered with the persona's text */
	size_t nids;
	struct open_compat compat;	/* openIdentity: what the persona's kernel did otherwise in an open */
	/* pathWatch on statx: a call not watched but asking one of statx_ask is made as statxPersona
	 * would (drop, btime_tmpfs), not continued. */
	uint32_t statx_ask, statx_drop;
	uint8_t statx_btime_tmpfs;
	char *helper;	/* execVdso: the path of cr-shim-exec-watch; val is the version code, arg 1 for readImpliesExec;
			 * enterStrict: the path of cr-shim-strict, arg the form (STRICT_FORM_*) */
};

struct arch_stats {
	uint32_t audit_arch;
	uint64_t count[MAX_NR];
	uint64_t ns[MAX_NR];
};

/* Immutable once published; shared by action sets, freed with the last one. */
struct arch_table {
	uint32_t audit_arch;
	unsigned refs;
	struct arch_stats *stats; /* owned by the loop */
	struct verdict v[MAX_NR];
};

struct action_set {
	unsigned refs;
	unsigned n;
	struct arch_table *arch[MAX_ARCHES];
};

struct loop {
	int32_t id;
	/* listeners[0..nlisteners) are set before nlisteners is published (release). */
	int listeners[MAX_LISTENERS];
	unsigned nlisteners;	/* atomic */
	uint8_t hung[MAX_LISTENERS];	/* recv's thread only: POLLHUP seen, out of the poll set */
	unsigned nhung;		/* recv's thread only */
	unsigned next_scan;	/* recv's thread only: where the next scan of ready listeners starts */
	int wakefd;		/* eventfd: written by stop() and addListener() to wake a blocked poll */
	size_t notif_size;
	size_t resp_size;
	unsigned refs;		/* g_mu: the table's reference + one per call in progress */
	int stopped;		/* atomic */
	unsigned generation;	/* atomic; bumped whenever `actions` changes */
	pthread_mutex_t mu;	/* guards actions, set/arch refs, stats slots */
	struct action_set *actions;
	struct seccomp_notif *held;	/* mu: where watch() stopped, for the next recv */
	uint64_t held_received;
	int held_at;
	unsigned nstats;
	struct arch_stats *stats[MAX_ARCHES];
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct loop *g_loops[MAX_LOOPS];
static int32_t g_next_id = 1;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- errors to JS: "<op>: <strerror>", code = errno name ---- */

static void throw_errno(napi_env env, const char *op, int err)
{
	char msg[256];
	char code[32];
	const char *name = strerrorname_np(err);
	if (name)
		snprintf(code, sizeof(code), "%s", name);
	else
		snprintf(code, sizeof(code), "E%d", err);
	snprintf(msg, sizeof(msg), "%s: %s", op, strerror(err));
	napi_throw_error(env, code, msg);
}

/* ---- verdict tables ---- */

static void arch_table_free(struct arch_table *t)
{
	if (!t)
		return;
	for (size_t nr = 0; nr < MAX_NR; nr++) {
		struct verdict *v = &t->v[nr];
		free(v->bytes);
		for (size_t i = 0; i < v->nnames; i++)
			free(v->names[i]);
		free(v->names);
		for (size_t i = 0; i < v->nids; i++)
			free(v->ids[i].path);
		free(v->ids);
		free(v->helper);
	}
	free(t);
}
static void arch_table_cleanup(struct arch_table **t)
{
	arch_table_free(*t);
}
#define auto_arch_table __attribute__((cleanup(arch_table_cleanup)))

/* Caller holds l->mu. */
static void action_set_put(struct action_set *s)
{
	if (!s || --s->refs > 0)
		return;
	for (unsigned i = 0; i < s->n; i++)
		if (--s->arch[i]->refs == 0)
			arch_table_free(s->arch[i]);
	free(s);
}

static const struct verdict *lookup(const struct action_set *s, uint32_t arch, int32_t nr)
{
	if (!s || nr < 0 || nr >= MAX_NR)
		return NULL;
	for (unsigned i = 0; i < s->n; i++)
		if (s->arch[i]->audit_arch == arch)
			return &s->arch[i]->v[nr];
	return NULL;
}

/* Find the table for `arch` in `s` (for stats); NULL when none. */
static struct arch_table *table_for(const struct action_set *s, uint32_t arch)
{
	for (unsigned i = 0; s && i < s->n; i++)
		if (s->arch[i]->audit_arch == arch)
			return s->arch[i];
	return NULL;
}

/* ---- loop table ---- */

static void loop_destroy(struct loop *l)
{
	pthread_mutex_lock(&l->mu);
	action_set_put(l->actions);
	l->actions = NULL;
	free(l->held);
	l->held = NULL;
	pthread_mutex_unlock(&l->mu);
	for (unsigned i = 0; i < l->nstats; i++)
		free(l->stats[i]);
	/* Closing the listeners: the kernel answers trapped calls with -ENOSYS. */
	for (unsigned i = 0; i < l->nlisteners; i++)
		close(l->listeners[i]);
	close(l->wakefd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static int32_t handle_of(const struct loop *l, unsigned index)
{
	return (int32_t)((uint32_t)l->id << HANDLE_SHIFT | index);
}

/* A counted reference to the loop of handle `h`, or NULL. */
static struct loop *loop_get(int32_t h)
{
	int32_t id = h >> HANDLE_SHIFT;
	struct loop *found = NULL;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < MAX_LOOPS; i++) {
		if (g_loops[i] && g_loops[i]->id == id) {
			found = g_loops[i];
			found->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	return found;
}

/* Loop ids are never reused, so an id below g_next_id that is not in the table was closed. */
static bool was_issued(int32_t h)
{
	int32_t id = h >> HANDLE_SHIFT;
	pthread_mutex_lock(&g_mu);
	bool issued = id > 0 && id < g_next_id;
	pthread_mutex_unlock(&g_mu);
	return issued;
}

static void loop_put(struct loop *l)
{
	pthread_mutex_lock(&g_mu);
	bool last = --l->refs == 0;
	pthread_mutex_unlock(&g_mu);
	if (last)
		loop_destroy(l);
}
static void loop_cleanup(struct loop **l)
{
	if (*l)
		loop_put(*l);
}
#define autoput __attribute__((cleanup(loop_cleanup)))

/* ---- argument helpers ---- */

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = want;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return false;
	if (argc < want) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: missing arguments");
		return false;
	}
	return true;
}

static bool get_i32(napi_env env, napi_value v, const char *what, int32_t *out)
{
	if (napi_get_value_int32(env, v, out) != napi_ok) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cr_shim_notify: %s must be a number", what);
		napi_throw_type_error(env, "EINVAL", msg);
		return false;
	}
	return true;
}

static bool get_u32(napi_env env, napi_value v, const char *what, uint32_t *out)
{
	if (napi_get_value_uint32(env, v, out) != napi_ok) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cr_shim_notify: %s must be a number", what);
		napi_throw_type_error(env, "EINVAL", msg);
		return false;
	}
	return true;
}

static bool get_u64(napi_env env, napi_value v, const char *what, uint64_t *out)
{
	bool lossless = false;
	if (napi_get_value_bigint_uint64(env, v, out, &lossless) != napi_ok || !lossless) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cr_shim_notify: %s must be a bigint in 0..2^64-1", what);
		napi_throw_type_error(env, "EINVAL", msg);
		return false;
	}
	return true;
}

/* A loop reference for the handle argument, or NULL with an exception pending. */
static struct loop *get_loop(napi_env env, napi_value v)
{
	int32_t id;
	if (!get_i32(env, v, "handle", &id))
		return NULL;
	struct loop *l = loop_get(id);
	if (!l)
		napi_throw_error(env, "EBADF", "cr_shim_notify: unknown or closed handle");
	return l;
}

/* The listener fd a handle names, or -1 with an exception pending. */
static int listener_of(napi_env env, const struct loop *l, napi_value v)
{
	int32_t h;
	napi_get_value_int32(env, v, &h);
	unsigned index = (unsigned)h & (MAX_LISTENERS - 1);
	if (index >= __atomic_load_n(&l->nlisteners, __ATOMIC_ACQUIRE)) {
		napi_throw_error(env, "EBADF", "cr_shim_notify: unknown listener handle");
		return -1;
	}
	return l->listeners[index];
}

static napi_value undefined(napi_env env)
{
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

static napi_value null_value(napi_env env)
{
	napi_value n;
	napi_get_null(env, &n);
	return n;
}

static napi_value make_i32(napi_env env, int32_t x)
{
	napi_value v;
	napi_create_int32(env, x, &v);
	return v;
}

/* ---- open, addListener ---- */

/* The flag is passed by value. Older kernels do not know the ioctl. */
static bool set_sync_wake_up(napi_env env, int fd)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0 && errno != EINVAL &&
	    errno != ENOTTY) {
		throw_errno(env, "seccomp NOTIF_SET_FLAGS", errno);
		return false;
	}
	return true;
}

static napi_value nl_open(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	struct seccomp_notif_sizes sizes;
	autoclose int wakefd = -1;
	autofree struct loop *l = NULL;

	if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], "listenerFd", &fd))
		return NULL;
	if (fd < 0) {
		throw_errno(env, "seccomp listener", EBADF);
		return NULL;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
		throw_errno(env, "seccomp GET_NOTIF_SIZES", errno);
		return NULL;
	}
	if (!set_sync_wake_up(env, fd))
		return NULL;
	wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wakefd < 0) {
		throw_errno(env, "eventfd", errno);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		throw_errno(env, "open", ENOMEM);
		return NULL;
	}
	/* Our buffers must hold what the kernel writes and what the ioctl numbers encode. */
	l->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
	l->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
										      : sizeof(struct seccomp_notif_resp);
	l->listeners[0] = fd;
	l->nlisteners = 1;
	l->refs = 1;
	pthread_mutex_init(&l->mu, NULL);

	int32_t id = -1;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < MAX_LOOPS && g_next_id < (INT32_MAX >> HANDLE_SHIFT); i++) {
		if (!g_loops[i]) {
			id = l->id = g_next_id++;
			l->wakefd = wakefd;
			g_loops[i] = l;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	if (id < 0) {
		pthread_mutex_destroy(&l->mu);
		throw_errno(env, "open", EMFILE);
		return NULL;
	}
	/* Ownership of the fds and the loop passes to the table. */
	wakefd = -1;
	int32_t h = handle_of(l, 0);
	l = NULL;
	return make_i32(env, h);
}

static void wake(struct loop *l)
{
	uint64_t one = 1;
	(void)!write(l->wakefd, &one, sizeof(one));
}

static napi_value nl_add_listener(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd;

	if (!get_args(env, info, 2, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_i32(env, argv[1], "listenerFd", &fd))
		return NULL;
	if (fd < 0) {
		throw_errno(env, "seccomp listener", EBADF);
		return NULL;
	}
	if (!set_sync_wake_up(env, fd))
		return NULL;
	/* g_mu serialises adders; recv reads nlisteners without a lock. */
	pthread_mutex_lock(&g_mu);
	unsigned index = l->nlisteners;
	if (index < MAX_LISTENERS) {
		l->listeners[index] = fd;
		__atomic_store_n(&l->nlisteners, index + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g_mu);
	if (index >= MAX_LISTENERS) {
		throw_errno(env, "addListener", EMFILE);
		return NULL;
	}
	/* A recv blocked in poll must start polling the new listener now. */
	wake(l);
	return make_i32(env, handle_of(l, index));
}

/* ---- setActions ---- */

/* Read property `key` of `obj` as int32/uint32; absent → *present = false. */
static bool prop(napi_env env, napi_value obj, const char *key, napi_value *out, bool *present)
{
	if (napi_has_named_property(env, obj, key, present) != napi_ok)
		return false;
	if (!*present)
		return true;
	if (napi_get_named_property(env, obj, key, out) != napi_ok)
		return false;
	napi_valuetype t;
	napi_typeof(env, *out, &t);
	*present = t != napi_undefined;
	return true;
}

static bool bad_action(napi_env env, uint32_t index, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "cr_shim_notify setActions: action %u: %s", index, why);
	napi_throw_range_error(env, "EINVAL", msg);
	return false;
}

/*
 * uname: `bytes` is FIELDS + 2 fields of `width` bytes: the utsname the persona answers
 * (nodename and domainname left for the call), then the release under UNAME26 and the
 * machine under PER_LINUX32 (both computed in TypeScript for the persona's kernel).
 */
static bool parse_uname_layout(napi_env env, napi_value a, uint32_t index, struct verdict *d)
{
	napi_value v;
	bool has = false;
	uint32_t width;
	if (!prop(env, a, "width", &v, &has) || !has || !get_u32(env, v, "width", &width))
		return has ? false : bad_action(env, index, "width missing");
	if (width < 2 || width > UTS_FIELD || d->len % width != 0 || d->len / width < 7 || d->len / width > 8)
		return bad_action(env, index, "uname bytes must be 5 or 6 fields of width, plus 2");
	d->width = width;
	return true;
}

/* openIdentity: arg is the open_form, identity an array of { path, fd, mode?, netAdmin? } (mode: an added file). */
static bool parse_open_identity(napi_env env, napi_value a, uint32_t index, struct verdict *d)
{
	napi_value v, list;
	bool has = false, is_array = false;
	uint32_t form, n;

	if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &form))
		return has ? false : bad_action(env, index, "arg (the open form) missing");
	if (form > OPEN_FORM_OPENAT2)
		return bad_action(env, index, "arg out of range 0..2 (open, openat, openat2)");
	d->arg = (uint8_t)form;
	if (!prop(env, a, "identity", &list, &has))
		return false;
	if (has)
		napi_is_array(env, list, &is_array);
	if (!is_array)
		return bad_action(env, index, "identity must be an array of { path, fd }");
	napi_get_array_length(env, list, &n);
	if (n > IDENTITY_MAX_ENTRIES)
		return bad_action(env, index, "identity: at most 32 files");
	d->ids = calloc(n ? n : 1, sizeof(*d->ids));
	if (!d->ids)
		return bad_action(env, index, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		napi_value e, pv, fv;
		bool hp = false, hf = false;
		int32_t fd;
		size_t len;
		napi_get_element(env, list, i, &e);
		if (!prop(env, e, "path", &pv, &hp) || !prop(env, e, "fd", &fv, &hf) || !hp || !hf ||
		    napi_get_value_string_utf8(env, pv, NULL, 0, &len) != napi_ok || napi_get_value_int32(env, fv, &fd) != napi_ok || fd < 0)
			return bad_action(env, index, "identity entries must be { path: string, fd: number }");
		napi_value mv, nv;
		bool hm = false, hn = false, net_admin = false;
		uint32_t mode = 0;
		if (!prop(env, e, "mode", &mv, &hm) || !prop(env, e, "netAdmin", &nv, &hn))
			return false;
		if (hm && !get_u32(env, mv, "mode", &mode))
			return false;
		if ((hm && (mode == 0 || mode > 07777)) || (hn && napi_get_value_bool(env, nv, &net_admin) != napi_ok))
			return bad_action(env, index, "identity entries' mode must be 1..07777 and netAdmin a boolean");
		d->ids[i].path = malloc(len + 1);
		if (!d->ids[i].path)
			return bad_action(env, index, "out of memory");
		d->nids = i + 1;
		napi_get_value_string_utf8(env, pv, d->ids[i].path, len + 1, &len);
		d->ids[i].fd = fd;
		d->ids[i].mode = mode;
		d->ids[i].net_admin = net_admin;
	}
	napi_value dv, av;
	bool hd = false, ha = false, direct = false;
	uint32_t accept = 0;
	if (!prop(env, a, "directEinval", &dv, &hd) || !prop(env, a, "openat2Accept", &av, &ha))
		return false;
	if ((hd && napi_get_value_bool(env, dv, &direct) != napi_ok) || (ha && !get_u32(env, av, "openat2Accept", &accept)))
		return bad_action(env, index, "directEinval must be a boolean and openat2Accept a 32-bit mask");
	d->compat.direct_shmem_einval = direct;
	d->compat.openat2_accept = accept;
	return true;
}

/* execVdso: val is the version code (0..2^32-1), helper the path of cr-shim-exec-watch. */
static bool parse_exec_vdso(napi_env env, napi_value a, uint32_t index, struct verdict *d)
{
	napi_value v;
	bool has = false;
	int64_t code;
	size_t len;
	if (!prop(env, a, "val", &v, &has) || !has || napi_get_value_int64(env, v, &code) != napi_ok || code < 0 || code > UINT32_MAX)
		return has ? bad_action(env, index, "val (the version code) must be 0..2^32-1") : bad_action(env, index, "val (the version code) missing");
	if (!prop(env, a, "helper", &v, &has) || !has || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_MAX)
		return bad_action(env, index, "helper must be the path of cr-shim-exec-watch");
	d->helper = malloc(len + 1);
	if (!d->helper)
		return bad_action(env, index, "out of memory");
	napi_get_value_string_utf8(env, v, d->helper, len + 1, &len);
	d->val = code;
	if (!prop(env, a, "readImpliesExec", &v, &has))
		return false;
	bool rie = false;
	if (has && napi_get_value_bool(env, v, &rie) != napi_ok)
		return bad_action(env, index, "readImpliesExec must be a boolean");
	d->arg = rie;
	return true;
}

/* The calls that ask for strict mode (NativeAction.arg of enterStrict). */
enum strict_form { STRICT_FORM_PRCTL = 0, STRICT_FORM_SECCOMP = 1 };

/* enterStrict: arg the form, helper the path of cr-shim-strict. */
static bool parse_enter_strict(napi_env env, napi_value a, uint32_t index, struct verdict *d)
{
	napi_value v;
	bool has = false;
	uint32_t form;
	size_t len;
	if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &form))
		return has ? false : bad_action(env, index, "arg (the form) missing");
	if (form > STRICT_FORM_SECCOMP)
		return bad_action(env, index, "arg out of range 0..1 (prctl, seccomp)");
	d->arg = (uint8_t)form;
	if (!prop(env, a, "helper", &v, &has) || !has || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_MAX)
		return bad_action(env, index, "helper must be the path of cr-shim-strict");
	d->helper = malloc(len + 1);
	if (!d->helper)
		return bad_action(env, index, "out of memory");
	napi_get_value_string_utf8(env, v, d->helper, len + 1, &len);
	return true;
}

/* Fill t->v[action.nr] from one NativeAction object. */
static bool parse_action(napi_env env, napi_value a, uint32_t index, struct arch_table *t)
{
	napi_value v;
	bool has = false;
	uint32_t nr, kind;

	if (!prop(env, a, "nr", &v, &has) || !has || !get_u32(env, v, "nr", &nr))
		return has ? false : bad_action(env, index, "nr missing");
	if (nr >= MAX_NR)
		return bad_action(env, index, "nr out of range (max 4095)");
	if (!prop(env, a, "kind", &v, &has) || !has || !get_u32(env, v, "kind", &kind))
		return has ? false : bad_action(env, index, "kind missing");
	struct verdict *d = &t->v[nr];
	if (d->kind != NK_DEFER || d->bytes || d->names || d->ids || d->helper)
		return bad_action(env, index, "nr given twice");
	d->kind = (uint8_t)kind;

	switch (kind) {
	case NK_DEFER:
	case NK_CONTINUE:
		return true;
	case NK_ERRNO: {
		uint32_t e;
		if (!prop(env, a, "errno", &v, &has) || !has || !get_u32(env, v, "errno", &e))
			return has ? false : bad_action(env, index, "errno missing");
		if (e == 0 || e > 4095)
			return bad_action(env, index, "errno out of range 1..4095");
		d->err = (int32_t)e;
		return true;
	}
	case NK_FORGET_TASK:
		return true;
	case NK_UNAME:
	case NK_WRITE_ARG: {
		uint32_t arg;
		int64_t val = 0;
		if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &arg))
			return has ? false : bad_action(env, index, "arg missing");
		if (arg >= ARG_COUNT)
			return bad_action(env, index, "arg out of range 0..5");
		if (!prop(env, a, "val", &v, &has))
			return false;
		if (has && napi_get_value_int64(env, v, &val) != napi_ok)
			return bad_action(env, index, "val must be a number");
		if (!prop(env, a, "bytes", &v, &has))
			return false;
		bool is_ta = false;
		if (has)
			napi_is_typedarray(env, v, &is_ta);
		if (!is_ta)
			return bad_action(env, index, "bytes must be a Uint8Array");
		napi_typedarray_type tt;
		size_t len;
		void *data;
		if (napi_get_typedarray_info(env, v, &tt, &len, &data, NULL, NULL) != napi_ok)
			return false;
		if (tt != napi_uint8_array || len == 0 || len > MAX_WRITE)
			return bad_action(env, index, "bytes must be a Uint8Array of 1..1MiB");
		d->bytes = malloc(len);
		if (!d->bytes)
			return bad_action(env, index, "out of memory");
		memcpy(d->bytes, data, len);
		d->len = len;
		d->arg = (uint8_t)arg;
		d->val = val;
		if (kind == NK_UNAME)
			return parse_uname_layout(env, a, index, d);
		return true;
	}
	case NK_PATH_WATCH: {
		uint32_t arg, n;
		if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &arg))
			return has ? false : bad_action(env, index, "arg missing");
		if (arg >= ARG_COUNT)
			return bad_action(env, index, "arg out of range 0..5");
		d->arg = (uint8_t)arg;
		bool is_array = false;
		if (!prop(env, a, "names", &v, &has))
			return false;
		if (has)
			napi_is_array(env, v, &is_array);
		if (!is_array)
			return bad_action(env, index, "names must be an array of strings");
		napi_get_array_length(env, v, &n);
		d->names = calloc(n ? n : 1, sizeof(char *));
		if (!d->names)
			return bad_action(env, index, "out of memory");
		napi_value sd, sb;
		bool hsd = false, hsb = false, btime = false;
		uint32_t drop = 0;
		if (!prop(env, a, "statxDrop", &sd, &hsd) || !prop(env, a, "statxBtimeTmpfs", &sb, &hsb))
			return false;
		if ((hsd && !get_u32(env, sd, "statxDrop", &drop)) || (hsb && napi_get_value_bool(env, sb, &btime) != napi_ok))
			return bad_action(env, index, "statxDrop must be a 32-bit mask and statxBtimeTmpfs a boolean");
		d->statx_drop = drop;
		d->statx_btime_tmpfs = btime;
		d->statx_ask = hsd || hsb ? drop | (btime ? 0x800U /* STATX_BTIME */ : 0) : 0;
		for (uint32_t i = 0; i < n; i++) {
			napi_value s;
			size_t slen;
			napi_get_element(env, v, i, &s);
			if (napi_get_value_string_utf8(env, s, NULL, 0, &slen) != napi_ok)
				return bad_action(env, index, "names must be an array of strings");
			d->names[i] = malloc(slen + 1);
			if (!d->names[i])
				return bad_action(env, index, "out of memory");
			d->nnames = i + 1;
			napi_get_value_string_utf8(env, s, d->names[i], slen + 1, &slen);
		}
		return true;
	}
	case NK_OPEN_IDENTITY:
		return parse_open_identity(env, a, index, d);
	case NK_STATX_PERSONA: {
		/* val: the mask bits dropped; arg 1: STATX_BTIME dropped too on tmpfs. */
		uint32_t arg = 0;
		int64_t val = 0;
		if (!prop(env, a, "arg", &v, &has) || (has && !get_u32(env, v, "arg", &arg)))
			return false;
		if (!prop(env, a, "val", &v, &has) || (has && napi_get_value_int64(env, v, &val) != napi_ok))
			return has ? bad_action(env, index, "val must be a number") : false;
		if (arg > 1 || val < 0 || val > UINT32_MAX)
			return bad_action(env, index, "statxPersona: arg 0 or 1, val a 32-bit mask");
		d->arg = (uint8_t)arg;
		d->val = val;
		return true;
	}
	case NK_EXEC_VDSO:
		return parse_exec_vdso(env, a, index, d);
	case NK_ENTER_STRICT:
		return parse_enter_strict(env, a, index, d);
	default:
		return bad_action(env, index, "unknown kind");
	}
}

/* Publish `t` as the table for its arch. Caller holds l->mu. Returns 0 or an errno. */
static int publish(struct loop *l, struct arch_table *t)
{
	struct action_set *old = l->actions;
	struct action_set *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;

	/* Stats slots are per loop and outlive tables, so counts survive setActions. */
	struct arch_stats *st = NULL;
	for (unsigned i = 0; i < l->nstats; i++)
		if (l->stats[i]->audit_arch == t->audit_arch)
			st = l->stats[i];
	if (!st) {
		if (l->nstats == MAX_ARCHES) {
			free(s);
			return ENOSPC;
		}
		st = calloc(1, sizeof(*st));
		if (!st) {
			free(s);
			return ENOMEM;
		}
		st->audit_arch = t->audit_arch;
		l->stats[l->nstats++] = st;
	}
	t->stats = st;
	t->refs = 1;

	s->refs = 1;
	bool replaced = false;
	for (unsigned i = 0; old && i < old->n; i++) {
		if (old->arch[i]->audit_arch == t->audit_arch) {
			s->arch[s->n++] = t;
			replaced = true;
		} else {
			old->arch[i]->refs++;
			s->arch[s->n++] = old->arch[i];
		}
	}
	if (!replaced)
		s->arch[s->n++] = t;
	l->actions = s;
	__atomic_add_fetch(&l->generation, 1, __ATOMIC_RELEASE);
	action_set_put(old);
	return 0;
}

static napi_value nl_set_actions(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	uint32_t arch, n;
	bool is_array = false;
	auto_arch_table struct arch_table *t = NULL;

	if (!get_args(env, info, 3, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_u32(env, argv[1], "auditArch", &arch))
		return NULL;
	napi_is_array(env, argv[2], &is_array);
	if (!is_array) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify setActions: actions must be an array");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		throw_errno(env, "setActions", ENOMEM);
		return NULL;
	}
	t->audit_arch = arch;
	napi_get_array_length(env, argv[2], &n);
	for (uint32_t i = 0; i < n; i++) {
		napi_value a;
		napi_valuetype type;
		if (napi_get_element(env, argv[2], i, &a) != napi_ok)
			return NULL;
		napi_typeof(env, a, &type);
		if (type != napi_object) {
			bad_action(env, i, "not an object");
			return NULL;
		}
		if (!parse_action(env, a, i, t))
			return NULL;
	}

	/* Each exec verdict's watcher starts now, not at the program's first exec; a failure here is
	 * tried again then, and reported as that exec's (the exec goes on with the host's note). */
	for (unsigned nr = 0; nr < MAX_NR; nr++)
		if (t->v[nr].kind == NK_EXEC_VDSO)
			(void)exec_watch_prestart(t->v[nr].helper, (uint32_t)t->v[nr].val, t->v[nr].arg != 0);

	pthread_mutex_lock(&l->mu);
	int err = publish(l, t);
	pthread_mutex_unlock(&l->mu);
	if (err) {
		throw_errno(env, "setActions", err);
		return NULL;
	}
	t = NULL; /* owned by the action set now */
	return undefined(env);
}

/* ---- the receive loop ---- */

struct reader {
	struct loop *l;
	struct action_set *set;
	unsigned generation;
};

/* Make r->set the loop's current set, if it changed. Lock only on a change. */
static void refresh(struct reader *r)
{
	unsigned g = __atomic_load_n(&r->l->generation, __ATOMIC_ACQUIRE);
	if (r->set && g == r->generation)
		return;
	pthread_mutex_lock(&r->l->mu);
	action_set_put(r->set);
	r->set = r->l->actions;
	if (r->set)
		r->set->refs++;
	r->generation = __atomic_load_n(&r->l->generation, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->l->mu);
}

static void reader_cleanup(struct reader *r)
{
	if (!r->set)
		return;
	pthread_mutex_lock(&r->l->mu);
	action_set_put(r->set);
	pthread_mutex_unlock(&r->l->mu);
}

static bool id_valid(int listener, uint64_t id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The tracee's path at addr into buf (PATH_MAX bytes); false when unreadable or longer than PATH_MAX. */
static bool read_path(pid_t pid, uint64_t addr, char *buf)
{
	int err = tracee_read_string(pid, addr, buf);
	return err == 0 || err == ENOENT;
}

/* Is the last component of path one of the names? "a/b//" has last component "b". */
static bool last_component_in(char *path, char *const *names, size_t nnames)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	for (size_t i = 0; i < nnames; i++)
		if (strcmp(last, names[i]) == 0)
			return true;
	return false;
}

enum outcome { ANSWERED, SENT, DEFERRED, GONE };

#define PER_MASK 0x00ff
#define PER_LINUX32 0x0008
#define UNAME26 0x0020000

/* Copy `src` into a utsname field, cut to width-1 and NUL-padded, as the kernel's fixed arrays hold it. */
static void put_field(uint8_t *field, uint32_t width, const char *src)
{
	size_t len = strnlen(src, width - 1);
	memcpy(field, src, len);
	memset(field + len, 0, width - len);
}

/*
 * The persona's utsname with the calling task's own parts: nodename and domainname of its
 * UTS namespace now, the machine and release its personality selects. DEFERRED when the
 * task cannot be looked at (JS answers, or finds it gone).
 */
static enum outcome answer_uname(int listener, const struct verdict *v, const struct seccomp_notif *n,
				 struct seccomp_notif_resp *resp)
{
	struct task_uts u;
	uint8_t buf[8 * UTS_FIELD];
	uint32_t w = v->width;
	size_t fields = v->len / w - 2, size = fields * w;
	if (task_uts((pid_t)n->pid, &u) != 0)
		return DEFERRED;
	memcpy(buf, v->bytes, size);
	put_field(buf + 1 * w, w, u.nodename);
	if (fields > 5)
		put_field(buf + 5 * w, w, u.domainname);
	if (u.personality & UNAME26)
		memcpy(buf + 2 * w, v->bytes + size, w);
	if ((u.personality & PER_MASK) == PER_LINUX32)
		memcpy(buf + 4 * w, v->bytes + size + w, w);
	/* The pid may have been reused once the task died: check the id before writing. */
	if (!id_valid(listener, n->id))
		return GONE;
	struct iovec local = { buf, size };
	struct iovec remote = { (void *)(uintptr_t)n->data.args[v->arg], size };
	ssize_t wrote = process_vm_writev((pid_t)n->pid, &local, 1, &remote, 1, 0);
	if (wrote != (ssize_t)size)
		resp->error = -EFAULT;
	else
		resp->val = v->val;
	return ANSWERED;
}

/*
 * Does the call ask for strict mode: prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) (option is an
 * int, the mode an unsigned long, arg3 unused: kernel/sys.c, prctl_set_seccomp) or
 * seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) (op and flags unsigned int)? The filter compares low
 * halves only, so other forms can arrive: they go on to the kernel, which answers them as it
 * answers any filtered task (EINVAL).
 */
static bool asks_strict(const struct verdict *v, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	if (v->arg == STRICT_FORM_PRCTL)
		return (int)a[0] == PR_SET_SECCOMP && a[1] == SECCOMP_MODE_STRICT;
	return (uint32_t)a[0] == SECCOMP_SET_MODE_STRICT && (uint32_t)a[1] == 0 && a[2] == 0;
}

/* The "Seccomp_filters:" count of thread TID (5.9+), or 0 when it cannot be read. */
static int filter_count(pid_t tid)
{
	char path[64], line[256];
	int count = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %d", &count) == 1)
			break;
	fclose(f);
	return count;
}

/*
 * enterStrict: cr-shim-strict puts the strict-equivalent filter on the calling thread and makes
 * the call return 0 (native/strict-mode.c). The notification itself is interrupted by then:
 * nothing is sent. When the helper could not act and the call still waits, it gets EINVAL, as
 * the kernel answers a task under a filter. Any other call of the number is the TypeScript
 * handler's: another row may trap the same number (yama-ptracer's PR_SET_PTRACER on prctl).
 */
static enum outcome enter_strict(int listener, const struct verdict *v, const struct seccomp_notif *n,
				 struct seccomp_notif_resp *resp)
{
	if (!asks_strict(v, n))
		return DEFERRED;
	/*
	 * A thread under a filter of the program's own would get EINVAL from its kernel too
	 * (seccomp_may_assign_mode). cr-shim puts exactly one filter in each thread's chain (run's
	 * launcher, or the one restore and attach inject; an image's old copy is dropped), so
	 * more than one is the program's.
	 */
	if (filter_count((pid_t)n->pid) > 1) {
		resp->error = -EINVAL;
		return ANSWERED;
	}
	/* The pid may have been reused once the task died: never seize a stranger. */
	if (!id_valid(listener, n->id))
		return GONE;
	if (strict_enter(v->helper, (pid_t)n->pid) == 0 || !id_valid(listener, n->id))
		return SENT;
	resp->error = -EINVAL;
	return ANSWERED;
}

/* Fill resp for a native verdict; DEFERRED when JS must decide after all, GONE when the task left. */
static enum outcome decide(int listener, const struct verdict *v, const struct seccomp_notif *n,
			   struct seccomp_notif_resp *resp)
{
	switch (v->kind) {
	case NK_CONTINUE:
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return ANSWERED;
	case NK_ERRNO:
		resp->error = -v->err;
		return ANSWERED;
	case NK_WRITE_ARG: {
		/* The pid may have been reused once the task died: check the id before writing. */
		if (!id_valid(listener, n->id))
			return GONE;
		struct iovec local = { v->bytes, v->len };
		struct iovec remote = { (void *)(uintptr_t)n->data.args[v->arg], v->len };
		ssize_t w = process_vm_writev((pid_t)n->pid, &local, 1, &remote, 1, 0);
		if (w != (ssize_t)v->len)
			resp->error = -EFAULT;
		else
			resp->val = v->val;
		return ANSWERED;
	}
	case NK_UNAME:
		return answer_uname(listener, v, n, resp);
	case NK_FORGET_TASK:
		task_uts_forget((pid_t)n->pid);
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return ANSWERED;
	case NK_PATH_WATCH: {
		char path[PATH_MAX];
		/* Unreadable: JS answers, producing the proper EFAULT from the real call. */
		if (!read_path((pid_t)n->pid, n->data.args[v->arg], path))
			return DEFERRED;
		if (last_component_in(path, v->names, v->nnames))
			return DEFERRED;
		/* statx asking a bit the persona's kernel answered otherwise (handlers/statx-mask.ts). */
		if ((uint32_t)n->data.args[3] & v->statx_ask) {
			switch (statx_as_task(listener, n, v->statx_drop, v->statx_btime_tmpfs, resp)) {
			case IDENTITY_GONE:
				return GONE;
			default:
				return ANSWERED;
			}
		}
		/* A pre-filter only: CONTINUE re-reads the path, which another thread may have changed. */
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return ANSWERED;
	}
	case NK_STATX_PERSONA:
		switch (statx_as_task(listener, n, (uint32_t)v->val, v->arg, resp)) {
		case IDENTITY_GONE:
			return GONE;
		default:
			return ANSWERED;
		}
	case NK_OPEN_IDENTITY:
		switch (identity_open(listener, n, (enum open_form)v->arg, v->ids, v->nids, &v->compat, resp)) {
		case IDENTITY_SENT:
			return SENT;
		case IDENTITY_GONE:
			return GONE;
		default:
			return ANSWERED;
		}
	case NK_EXEC_VDSO:
		/* The pid may have been reused once the task died: never seize a stranger. */
		if (!id_valid(listener, n->id))
			return GONE;
		/*
		 * Seized before the exec goes on, so the watcher stops it in PTRACE_EVENT_EXEC and
		 * writes the new vDSO's note before the program's first instruction. When it cannot
		 * (another tracer holds the task), the exec still runs, with the host's note.
		 */
		(void)exec_watch(v->helper, (uint32_t)v->val, v->arg != 0, (pid_t)n->pid);
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return ANSWERED;
	case NK_ENTER_STRICT:
		return enter_strict(listener, v, n, resp);
	default:
		return DEFERRED;
	}
}

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v)
{
	napi_set_named_property(env, obj, key, v);
}

static napi_value big_u64(napi_env env, uint64_t x)
{
	napi_value v;
	napi_create_bigint_uint64(env, x, &v);
	return v;
}

static napi_value notification_value(napi_env env, const struct seccomp_notif *n, uint64_t received, int32_t handle)
{
	napi_value obj, args, v;
	napi_create_object(env, &obj);
	set_prop(env, obj, "handle", make_i32(env, handle));
	set_prop(env, obj, "id", big_u64(env, n->id));
	napi_create_uint32(env, n->pid, &v);
	set_prop(env, obj, "pid", v);
	napi_create_uint32(env, n->flags, &v);
	set_prop(env, obj, "flags", v);
	set_prop(env, obj, "nr", make_i32(env, n->data.nr));
	napi_create_uint32(env, n->data.arch, &v);
	set_prop(env, obj, "arch", v);
	set_prop(env, obj, "instructionPointer", big_u64(env, n->data.instruction_pointer));
	napi_create_array_with_length(env, ARG_COUNT, &args);
	for (uint32_t i = 0; i < ARG_COUNT; i++)
		napi_set_element(env, args, i, big_u64(env, n->data.args[i]));
	set_prop(env, obj, "args", args);
	set_prop(env, obj, "receivedNs", big_u64(env, received));
	return obj;
}

/*
 * Bring the poll set p[1..] in step with the loop's listeners: new ones are
 * appended; those that hung up stay at -1, which poll() skips. p[0] is wakefd.
 */
static unsigned sync_poll_set(struct loop *l, struct pollfd *p, unsigned known)
{
	unsigned n = __atomic_load_n(&l->nlisteners, __ATOMIC_ACQUIRE);
	for (unsigned i = known; i < n; i++)
		p[1 + i] = (struct pollfd){ .fd = l->hung[i] ? -1 : l->listeners[i], .events = POLLIN };
	return n;
}

/*
 * The index of a listener with a notification, scanning from where the last
 * scan stopped so that a busy listener cannot starve the others; -1 when none.
 * Listeners that hung up (POLLHUP: every task of that filter is gone) leave the set.
 */
static int ready_listener(struct loop *l, struct pollfd *p, unsigned n)
{
	int found = -1;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (l->next_scan + k) % n;
		short ev = p[1 + i].revents;
		if (ev & POLLIN) {
			if (found < 0)
				found = (int)i;
		} else if (ev & (POLLHUP | POLLERR | POLLNVAL)) {
			p[1 + i].fd = -1;
			l->hung[i] = 1;
			l->nhung++;
		}
	}
	if (found >= 0)
		l->next_scan = ((unsigned)found + 1) % n;
	return found;
}

/* What next_for_js ended on. */
enum next { NEXT_JS, NEXT_END, NEXT_FAILED };

/*
 * Answer natively until a notification needs JS (copied into n; *at is the
 * listener it came from), every listener hung up or the loop was stopped
 * (NEXT_END), or a real failure (NEXT_FAILED: *op and *err say which). Run by
 * one thread at a time: a recv, or the watcher before it hands over.
 */
static enum next next_for_js(struct loop *l, struct seccomp_notif *n, struct seccomp_notif_resp *resp,
			     struct reader *r, int *at, uint64_t *received, const char **op, int *err)
{
	autofree struct pollfd *p = malloc((MAX_LISTENERS + 1) * sizeof(*p));
	if (!p) {
		*op = "recv";
		*err = ENOMEM;
		return NEXT_FAILED;
	}
	p[0] = (struct pollfd){ .fd = l->wakefd, .events = POLLIN };
	unsigned count = sync_poll_set(l, p, 0);

	for (;;) {
		if (__atomic_load_n(&l->stopped, __ATOMIC_ACQUIRE))
			return NEXT_END;
		count = sync_poll_set(l, p, count);
		if (l->nhung == count)
			return NEXT_END;
		if (poll(p, count + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			*op = "poll seccomp listener";
			*err = errno;
			return NEXT_FAILED;
		}
		if (p[0].revents) {
			/* stop() or addListener(): drain, then look again (stopped is checked first). */
			uint64_t drained;
			(void)!read(l->wakefd, &drained, sizeof(drained));
			continue;
		}
		*at = ready_listener(l, p, count);
		if (*at < 0)
			continue;
		int listener = l->listeners[*at];

		memset(n, 0, l->notif_size);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) {
			/* ENOENT: the task died between poll and recv. */
			if (errno == EINTR || errno == ENOENT)
				continue;
			*op = "seccomp NOTIF_RECV";
			*err = errno;
			return NEXT_FAILED;
		}
		*received = now_ns();

		refresh(r);
		const struct verdict *v = lookup(r->set, n->data.arch, n->data.nr);
		if (!v || v->kind == NK_DEFER)
			return NEXT_JS;

		memset(resp, 0, l->resp_size);
		resp->id = n->id;
		enum outcome o = decide(listener, v, n, resp);
		if (o == DEFERRED)
			return NEXT_JS;
		if (o == GONE)
			continue;
		/*
		 * Timed up to the send, not its return: with SYNC_WAKE_UP the kernel hands
		 * this CPU to the woken task inside NOTIF_SEND, so its return includes the
		 * program's own run up to its next trapped call.
		 */
		uint64_t sent = now_ns();
		/*
		 * Counted before the send: the answer can let the program run to its
		 * exit before this thread returns from NOTIF_SEND, and whoever reads
		 * stats() once it has exited must find this call counted.
		 */
		struct arch_stats *st = table_for(r->set, n->data.arch)->stats;
		__atomic_add_fetch(&st->count[n->data.nr], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&st->ns[n->data.nr], sent - *received, __ATOMIC_RELAXED);
		/* ENOENT: the task was killed while we decided; nothing to answer. SENT: answered already. */
		if (o == ANSWERED && ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT) {
			*op = "seccomp NOTIF_SEND";
			*err = errno;
			return NEXT_FAILED;
		}
	}
}

/* The notification the watcher stopped at, for the first recv after it (l->mu); false when there is none. */
static bool take_held(struct loop *l, struct seccomp_notif *n, uint64_t *received, int *at)
{
	pthread_mutex_lock(&l->mu);
	struct seccomp_notif *held = l->held;
	l->held = NULL;
	pthread_mutex_unlock(&l->mu);
	if (!held)
		return false;
	memcpy(n, held, l->notif_size);
	*received = l->held_received;
	*at = l->held_at;
	free(held);
	return true;
}

static napi_value nl_recv(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t h;
	if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], "handle", &h))
		return NULL;
	autoput struct loop *l = loop_get(h);
	/* close() may win the race with a worker going back to recv: that is the end of the loop, not an error. */
	if (!l && was_issued(h))
		return null_value(env);
	if (!l) {
		napi_throw_error(env, "EBADF", "cr_shim_notify: unknown or closed handle");
		return NULL;
	}
	autofree struct seccomp_notif *n = malloc(l->notif_size);
	autofree struct seccomp_notif_resp *resp = malloc(l->resp_size);
	__attribute__((cleanup(reader_cleanup))) struct reader r = { .l = l };
	if (!n || !resp) {
		throw_errno(env, "recv", ENOMEM);
		return NULL;
	}
	int at = 0, err = 0;
	uint64_t received = 0;
	const char *op = NULL;
	if (take_held(l, n, &received, &at))
		return notification_value(env, n, received, handle_of(l, (unsigned)at));
	switch (next_for_js(l, n, resp, &r, &at, &received, &op, &err)) {
	case NEXT_JS:
		return notification_value(env, n, received, handle_of(l, (unsigned)at));
	case NEXT_END:
		return null_value(env);
	default:
		throw_errno(env, op, err);
		return NULL;
	}
}

/* ---- watch: the loop on a thread of its own until JS is needed ---- */

struct watch_event {
	enum next what;
	char message[256];
};

struct watcher {
	struct loop *l;	/* a reference, released when the thread ends */
	napi_threadsafe_function tsfn;
};

/* On the main thread: cb("js" | "end" | "error", message). */
static void watch_call_js(napi_env env, napi_value cb, void *context, void *data)
{
	(void)context;
	struct watch_event *e = data;
	if (env != NULL && cb != NULL) {
		napi_value argv[2], global;
		const char *what = e->what == NEXT_JS ? "js" : e->what == NEXT_END ? "end" : "error";
		napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &argv[0]);
		napi_create_string_utf8(env, e->message, NAPI_AUTO_LENGTH, &argv[1]);
		napi_get_global(env, &global);
		napi_call_function(env, global, cb, 2, argv, NULL);
	}
	free(e);
}

static void *watch_thread(void *arg)
{
	struct watcher *w = arg;
	struct loop *l = w->l;
	struct watch_event *e = calloc(1, sizeof(*e));
	struct seccomp_notif *n = malloc(l->notif_size);
	autofree struct seccomp_notif_resp *resp = malloc(l->resp_size);
	int at = 0, err = ENOMEM;
	uint64_t received = 0;
	const char *op = "watch";
	enum next what = NEXT_FAILED;
	{
		__attribute__((cleanup(reader_cleanup))) struct reader r = { .l = l };
		if (e && n && resp)
			what = next_for_js(l, n, resp, &r, &at, &received, &op, &err);
	}
	if (what == NEXT_JS) {
		/* Kept for the first recv: the worker that JS starts now answers it. */
		pthread_mutex_lock(&l->mu);
		l->held = n;
		l->held_received = received;
		l->held_at = at;
		pthread_mutex_unlock(&l->mu);
		n = NULL;
	}
	free(n);
	if (e) {
		e->what = what;
		if (what == NEXT_FAILED)
			snprintf(e->message, sizeof(e->message), "%s: %s", op, strerror(err));
		if (napi_call_threadsafe_function(w->tsfn, e, napi_tsfn_blocking) != napi_ok)
			free(e);
	}
	napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
	loop_put(l);
	free(w);
	return NULL;
}

/*
 * watch(h, cb): run the loop on a native thread, answering natively, until a
 * notification needs JS (cb("js"): the next recv returns it), every listener
 * hung up or the loop was stopped (cb("end")), or a failure (cb("error",
 * message)). The thread then ends; the main thread starts a JS worker only
 * for "js", so a program whose calls are all answered natively never has one.
 */
static napi_value nl_watch(napi_env env, napi_callback_info info)
{
	napi_value argv[2], name;
	if (!get_args(env, info, 2, argv))
		return NULL;
	struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	struct watcher *w = calloc(1, sizeof(*w));
	if (!w) {
		loop_put(l);
		throw_errno(env, "watch", ENOMEM);
		return NULL;
	}
	w->l = l;
	napi_create_string_utf8(env, "cr_shim_notify watch", NAPI_AUTO_LENGTH, &name);
	if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, watch_call_js, &w->tsfn) != napi_ok) {
		free(w);
		loop_put(l);
		return NULL;
	}
	pthread_t t;
	int rc = pthread_create(&t, NULL, watch_thread, w);
	if (rc != 0) {
		napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
		free(w);
		loop_put(l);
		throw_errno(env, "pthread_create", rc);
		return NULL;
	}
	pthread_detach(t);
	return undefined(env);
}

/* ---- respond, idValid, addFdAndSend ---- */

static napi_value nl_respond(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	uint64_t id;
	int64_t val;
	bool lossless;
	int32_t error;
	uint32_t flags;

	if (!get_args(env, info, 5, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_u64(env, argv[1], "id", &id))
		return NULL;
	int listener = listener_of(env, l, argv[0]);
	if (listener < 0)
		return NULL;
	if (napi_get_value_bigint_int64(env, argv[2], &val, &lossless) != napi_ok || !lossless) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: val must be a bigint in the int64 range");
		return NULL;
	}
	if (!get_i32(env, argv[3], "error", &error) || !get_u32(env, argv[4], "flags", &flags))
		return NULL;

	autofree struct seccomp_notif_resp *resp = calloc(1, l->resp_size);
	if (!resp) {
		throw_errno(env, "respond", ENOMEM);
		return NULL;
	}
	resp->id = id;
	resp->val = val;
	/* error is the positive errno (a negative one is taken as already negated). */
	resp->error = error > 0 ? -error : error;
	resp->flags = flags;
	int rc = 0;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		rc = errno;
	return make_i32(env, rc);
}

/* taskUts(tid): { nodename, domainname, personality } of a thread now, or null when it is gone. */
static napi_value nl_task_uts(napi_env env, napi_callback_info info)
{
	napi_value argv[1], obj, v;
	uint32_t tid;
	struct task_uts u;
	if (!get_args(env, info, 1, argv) || !get_u32(env, argv[0], "tid", &tid))
		return NULL;
	int err = task_uts((pid_t)tid, &u);
	if (err == ESRCH)
		return null_value(env);
	if (err != 0) {
		throw_errno(env, "read the task's UTS namespace", err);
		return NULL;
	}
	napi_create_object(env, &obj);
	napi_create_string_utf8(env, u.nodename, NAPI_AUTO_LENGTH, &v);
	set_prop(env, obj, "nodename", v);
	napi_create_string_utf8(env, u.domainname, NAPI_AUTO_LENGTH, &v);
	set_prop(env, obj, "domainname", v);
	napi_create_uint32(env, (uint32_t)u.personality, &v);
	set_prop(env, obj, "personality", v);
	return obj;
}

/*
 * strictEnter(helper, tid): have cr-shim-strict put the strict-equivalent filter on thread tid,
 * blocked in a strict-mode request (the TypeScript handler's path, as enterStrict's): 0 or an errno.
 */
static napi_value nl_strict_enter(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char helper[PATH_MAX];
	size_t len;
	uint32_t tid;
	if (!get_args(env, info, 2, argv))
		return NULL;
	if (napi_get_value_string_utf8(env, argv[0], helper, sizeof(helper), &len) != napi_ok || len == 0 || len >= sizeof(helper) - 1) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: helper must be the path of cr-shim-strict");
		return NULL;
	}
	if (!get_u32(env, argv[1], "tid", &tid))
		return NULL;
	return make_i32(env, strict_enter(helper, (pid_t)tid));
}

/* forgetTask(tid): drop what is cached about a thread's namespace and personality. */
static napi_value nl_forget_task(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	uint32_t tid;
	if (!get_args(env, info, 1, argv) || !get_u32(env, argv[0], "tid", &tid))
		return NULL;
	task_uts_forget((pid_t)tid);
	return NULL;
}

static napi_value nl_id_valid(napi_env env, napi_callback_info info)
{
	napi_value argv[2], result;
	uint64_t id;

	if (!get_args(env, info, 2, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_u64(env, argv[1], "id", &id))
		return NULL;
	int listener = listener_of(env, l, argv[0]);
	if (listener < 0)
		return NULL;
	bool valid = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
	if (!valid && errno != ENOENT) {
		throw_errno(env, "seccomp NOTIF_ID_VALID", errno);
		return NULL;
	}
	napi_get_boolean(env, valid, &result);
	return result;
}

static napi_value nl_add_fd_and_send(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	uint64_t id;
	int32_t src;
	uint32_t fd_flags;

	if (!get_args(env, info, 4, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_u64(env, argv[1], "id", &id) || !get_i32(env, argv[2], "srcFd", &src) ||
	    !get_u32(env, argv[3], "newFdFlags", &fd_flags))
		return NULL;
	int listener = listener_of(env, l, argv[0]);
	if (listener < 0)
		return NULL;
	struct seccomp_notif_addfd add = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)src,
		.newfd = 0,
		.newfd_flags = fd_flags,
	};
	int rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	return make_i32(env, rc < 0 ? -errno : rc);
}

/* ---- stats, stop, close ---- */

static napi_value nl_stats(napi_env env, napi_callback_info info)
{
	napi_value argv[1], out;
	uint32_t k = 0;

	if (!get_args(env, info, 1, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	napi_create_array(env, &out);
	pthread_mutex_lock(&l->mu);
	for (unsigned i = 0; i < l->nstats; i++) {
		const struct arch_stats *st = l->stats[i];
		for (uint32_t nr = 0; nr < MAX_NR; nr++) {
			uint64_t count = __atomic_load_n(&st->count[nr], __ATOMIC_RELAXED);
			if (count == 0)
				continue;
			uint64_t ns = __atomic_load_n(&st->ns[nr], __ATOMIC_RELAXED);
			napi_value row, v;
			napi_create_object(env, &row);
			napi_create_uint32(env, st->audit_arch, &v);
			set_prop(env, row, "arch", v);
			napi_create_uint32(env, nr, &v);
			set_prop(env, row, "nr", v);
			napi_create_double(env, (double)count, &v);
			set_prop(env, row, "count", v);
			napi_create_double(env, (double)ns, &v);
			set_prop(env, row, "totalNs", v);
			napi_set_element(env, out, k++, row);
		}
	}
	pthread_mutex_unlock(&l->mu);
	return out;
}

static void stop_loop(struct loop *l)
{
	/* Set before the wake-up: a recv that drains the eventfd then sees it. */
	__atomic_store_n(&l->stopped, 1, __ATOMIC_RELEASE);
	wake(l);
}

static napi_value nl_stop(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!get_args(env, info, 1, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	stop_loop(l);
	return undefined(env);
}

/*
 * Remove the loop from the table and stop it. Its fds close when the last call
 * in progress (a recv on another thread) returns; then the kernel fails every
 * trapped call of the filter with ENOSYS.
 */
static napi_value nl_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t h;
	struct loop *found = NULL;

	if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], "handle", &h))
		return NULL;
	int32_t id = h >> HANDLE_SHIFT;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < MAX_LOOPS; i++) {
		if (g_loops[i] && g_loops[i]->id == id) {
			found = g_loops[i];
			g_loops[i] = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	if (found) {
		stop_loop(found);
		loop_put(found);
	}
	return undefined(env);
}

NAPI_MODULE_INIT()
{
	const napi_property_descriptor fns[] = {
		{ "open", NULL, nl_open, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "addListener", NULL, nl_add_listener, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "setActions", NULL, nl_set_actions, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "recv", NULL, nl_recv, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "watch", NULL, nl_watch, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "respond", NULL, nl_respond, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "idValid", NULL, nl_id_valid, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "addFdAndSend", NULL, nl_add_fd_and_send, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "stats", NULL, nl_stats, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "stop", NULL, nl_stop, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "close", NULL, nl_close, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "taskUts", NULL, nl_task_uts, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "forgetTask", NULL, nl_forget_task, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "strictEnter", NULL, nl_strict_enter, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	if (napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns) != napi_ok || !libc_calls_define(env, exports) || !spawn_calls_define(env, exports))
		return NULL;
	return exports;
}
