/*
 * cr_shim_notify: the seccomp user-notification loop (notify-core.c), as a Node-API addon.
 * The interface is src/native/addon-types.ts (NotifyAddon); keep the two in step.
 *
 * This file is the binding only: it parses the NativeAction objects JS pushes down (the one
 * parser of the verdict vocabulary: parse_action fills nc_table_slot()), keeps the handles,
 * and turns notify-core's results into JS values. recv() blocks the calling thread (a worker,
 * never Node's main thread) in nc_next: notifications whose (arch, nr) has a native verdict
 * are answered there, from the table setActions() published, and counted; the first one that
 * needs JS is returned to it.
 *
 * Listeners. A handle names a loop and one of its listeners,
 * handle = loop id << HANDLE_SHIFT | listener index, so open's handle (index 0)
 * also names the loop, and each notification carries the handle of the
 * listener it came from, which respond/idValid/addFdAndSend take.
 *
 * Threads. Loops live in a process-wide table, named by small integers, so the
 * main thread can stop() or read stats() of a loop a worker runs (N-API values
 * cannot cross threads). g_mu guards the table and each loop's reference count;
 * a loop is freed, and its fds closed, only when the last user lets go, so
 * close() from one thread never pulls an fd from under another thread's ioctl.
 */
#include <errno.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <node_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "cleanup.h"
#include "identity-open.h"
#include "libc-calls.h"
#include "native-verdict.h"
#include "notify-core.h"
#include "spawn-calls.h"
#include "seccomp-compat.h"
#include "strict-client.h"
#include "task-uts.h"

#define MAX_LOOPS 256
#define HANDLE_SHIFT 10	/* NC_MAX_LISTENERS == 1 << HANDLE_SHIFT: the index is the handle's low bits */

_Static_assert(NC_MAX_LISTENERS == 1 << HANDLE_SHIFT, "a listener index fits the handle's low bits");

struct loop {
	int32_t id;
	unsigned refs;		/* g_mu: the table's reference + one per call in progress */
	struct nc_loop *core;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct loop *g_loops[MAX_LOOPS];
static int32_t g_next_id = 1;

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

/* ---- loop table ---- */

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
	if (last) {
		nc_loop_free(l->core);
		free(l);
	}
}
static void loop_cleanup(struct loop **l)
{
	if (*l)
		loop_put(*l);
}
#define autoput __attribute__((cleanup(loop_cleanup)))

static void table_cleanup(struct nc_table **t)
{
	nc_table_free(*t);
}
#define auto_table __attribute__((cleanup(table_cleanup)))

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
	int fd = nc_loop_listener(l->core, (unsigned)h & (NC_MAX_LISTENERS - 1));
	if (fd < 0)
		napi_throw_error(env, "EBADF", "cr_shim_notify: unknown listener handle");
	return fd;
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

static napi_value nl_open(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	struct nc_loop *core = NULL;

	if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], "listenerFd", &fd))
		return NULL;
	/* Allocated first: once nc_loop_open has the listener, only nc_loop_free lets it go (and closes it). */
	struct loop *l = calloc(1, sizeof(*l));
	if (!l) {
		throw_errno(env, "open", ENOMEM);
		return NULL;
	}
	/* The slot is found before nc_loop_open takes the listener: on any failure it stays JS's. */
	int err = EMFILE;
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < MAX_LOOPS && g_next_id < (INT32_MAX >> HANDLE_SHIFT); i++) {
		if (!g_loops[i]) {
			err = nc_loop_open(fd, &core);
			if (err == 0) {
				l->core = core;
				l->refs = 1;
				l->id = g_next_id++;
				g_loops[i] = l;
			}
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
	if (err) {
		free(l);
		throw_errno(env, fd < 0 ? "seccomp listener" : "open", err);
		return NULL;
	}
	return make_i32(env, handle_of(l, 0));
}

static napi_value nl_add_listener(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd;
	unsigned index;

	if (!get_args(env, info, 2, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_i32(env, argv[1], "listenerFd", &fd))
		return NULL;
	int err = nc_loop_add_listener(l->core, fd, &index);
	if (err) {
		throw_errno(env, fd < 0 ? "seccomp listener" : "addListener", err == ENOSPC ? EMFILE : err);
		return NULL;
	}
	return make_i32(env, handle_of(l, index));
}

/* ---- the NativeAction parser (setActions) ---- */

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

static bool bad_action(napi_env env, const char *op, uint32_t index, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "cr_shim_notify %s: action %u: %s", op, index, why);
	napi_throw_range_error(env, "EINVAL", msg);
	return false;
}

/*
 * uname: `bytes` is FIELDS + 2 fields of `width` bytes: the utsname the persona answers
 * (nodename and domainname left for the call), then the release under UNAME26 and the
 * machine under PER_LINUX32 (both computed in TypeScript for the persona's kernel).
 */
static bool parse_uname_layout(napi_env env, const char *op, napi_value a, uint32_t index, struct nc_verdict *d)
{
	napi_value v;
	bool has = false;
	uint32_t width;
	if (!prop(env, a, "width", &v, &has) || !has || !get_u32(env, v, "width", &width))
		return has ? false : bad_action(env, op, index, "width missing");
	if (width < 2 || width > UTS_FIELD || d->len % width != 0 || d->len / width < 7 || d->len / width > 8)
		return bad_action(env, op, index, "uname bytes must be 5 or 6 fields of width, plus 2");
	d->width = width;
	return true;
}

/* openIdentity: arg is the open_form, identity an array of { path, fd, mode?, netAdmin? } (mode: an added file). */
static bool parse_open_identity(napi_env env, const char *op, napi_value a, uint32_t index, struct nc_verdict *d)
{
	napi_value v, list;
	bool has = false, is_array = false;
	uint32_t form, n;

	if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &form))
		return has ? false : bad_action(env, op, index, "arg (the open form) missing");
	if (form > OPEN_FORM_OPENAT2)
		return bad_action(env, op, index, "arg out of range 0..2 (open, openat, openat2)");
	d->arg = (uint8_t)form;
	if (!prop(env, a, "identity", &list, &has))
		return false;
	if (has)
		napi_is_array(env, list, &is_array);
	if (!is_array)
		return bad_action(env, op, index, "identity must be an array of { path, fd }");
	napi_get_array_length(env, list, &n);
	if (n > IDENTITY_MAX_ENTRIES)
		return bad_action(env, op, index, "identity: at most 32 files");
	d->ids = calloc(n ? n : 1, sizeof(*d->ids));
	if (!d->ids)
		return bad_action(env, op, index, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		napi_value e, pv, fv;
		bool hp = false, hf = false;
		int32_t fd;
		size_t len;
		napi_get_element(env, list, i, &e);
		if (!prop(env, e, "path", &pv, &hp) || !prop(env, e, "fd", &fv, &hf) || !hp || !hf ||
		    napi_get_value_string_utf8(env, pv, NULL, 0, &len) != napi_ok || napi_get_value_int32(env, fv, &fd) != napi_ok || fd < 0)
			return bad_action(env, op, index, "identity entries must be { path: string, fd: number }");
		napi_value mv, nv;
		bool hm = false, hn = false, net_admin = false;
		uint32_t mode = 0;
		if (!prop(env, e, "mode", &mv, &hm) || !prop(env, e, "netAdmin", &nv, &hn))
			return false;
		if (hm && !get_u32(env, mv, "mode", &mode))
			return false;
		if ((hm && (mode == 0 || mode > 07777)) || (hn && napi_get_value_bool(env, nv, &net_admin) != napi_ok))
			return bad_action(env, op, index, "identity entries' mode must be 1..07777 and netAdmin a boolean");
		d->ids[i].path = malloc(len + 1);
		if (!d->ids[i].path)
			return bad_action(env, op, index, "out of memory");
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
		return bad_action(env, op, index, "directEinval must be a boolean and openat2Accept a 32-bit mask");
	d->compat.direct_shmem_einval = direct;
	d->compat.openat2_accept = accept;
	return true;
}

/* execVdso: val is the version code (0..2^32-1), helper the path of cr-shim-exec-watch. */
static bool parse_exec_vdso(napi_env env, const char *op, napi_value a, uint32_t index, struct nc_verdict *d)
{
	napi_value v;
	bool has = false;
	int64_t code;
	size_t len;
	if (!prop(env, a, "val", &v, &has) || !has || napi_get_value_int64(env, v, &code) != napi_ok || code < 0 || code > UINT32_MAX)
		return has ? bad_action(env, op, index, "val (the version code) must be 0..2^32-1") : bad_action(env, op, index, "val (the version code) missing");
	if (!prop(env, a, "helper", &v, &has) || !has || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_MAX)
		return bad_action(env, op, index, "helper must be the path of cr-shim-exec-watch");
	d->helper = malloc(len + 1);
	if (!d->helper)
		return bad_action(env, op, index, "out of memory");
	napi_get_value_string_utf8(env, v, d->helper, len + 1, &len);
	d->val = code;
	if (!prop(env, a, "readImpliesExec", &v, &has))
		return false;
	bool rie = false;
	if (has && napi_get_value_bool(env, v, &rie) != napi_ok)
		return bad_action(env, op, index, "readImpliesExec must be a boolean");
	d->arg = rie;
	return true;
}

/* enterStrict: arg the form, helper the path of cr-shim-strict. */
static bool parse_enter_strict(napi_env env, const char *op, napi_value a, uint32_t index, struct nc_verdict *d)
{
	napi_value v;
	bool has = false;
	uint32_t form;
	size_t len;
	if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &form))
		return has ? false : bad_action(env, op, index, "arg (the form) missing");
	if (form > STRICT_FORM_SECCOMP)
		return bad_action(env, op, index, "arg out of range 0..1 (prctl, seccomp)");
	d->arg = (uint8_t)form;
	if (!prop(env, a, "helper", &v, &has) || !has || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_MAX)
		return bad_action(env, op, index, "helper must be the path of cr-shim-strict");
	d->helper = malloc(len + 1);
	if (!d->helper)
		return bad_action(env, op, index, "out of memory");
	napi_get_value_string_utf8(env, v, d->helper, len + 1, &len);
	return true;
}

/* Fill the slot of action.nr in t from one NativeAction object. */
static bool parse_action(napi_env env, const char *op, napi_value a, uint32_t index, struct nc_table *t)
{
	napi_value v;
	bool has = false;
	uint32_t nr, kind;

	if (!prop(env, a, "nr", &v, &has) || !has || !get_u32(env, v, "nr", &nr))
		return has ? false : bad_action(env, op, index, "nr missing");
	if (nr >= NC_MAX_NR)
		return bad_action(env, op, index, "nr out of range (max 4095)");
	if (!prop(env, a, "kind", &v, &has) || !has || !get_u32(env, v, "kind", &kind))
		return has ? false : bad_action(env, op, index, "kind missing");
	struct nc_verdict *d = nc_table_slot(t, nr);
	if (d->kind != NK_DEFER || d->bytes || d->names || d->ids || d->helper)
		return bad_action(env, op, index, "nr given twice");
	d->kind = (uint8_t)kind;

	switch (kind) {
	case NK_DEFER:
	case NK_CONTINUE:
		return true;
	case NK_ERRNO: {
		uint32_t e;
		if (!prop(env, a, "errno", &v, &has) || !has || !get_u32(env, v, "errno", &e))
			return has ? false : bad_action(env, op, index, "errno missing");
		if (e == 0 || e > 4095)
			return bad_action(env, op, index, "errno out of range 1..4095");
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
			return has ? false : bad_action(env, op, index, "arg missing");
		if (arg >= NC_ARG_COUNT)
			return bad_action(env, op, index, "arg out of range 0..5");
		if (!prop(env, a, "val", &v, &has))
			return false;
		if (has && napi_get_value_int64(env, v, &val) != napi_ok)
			return bad_action(env, op, index, "val must be a number");
		if (!prop(env, a, "bytes", &v, &has))
			return false;
		bool is_ta = false;
		if (has)
			napi_is_typedarray(env, v, &is_ta);
		if (!is_ta)
			return bad_action(env, op, index, "bytes must be a Uint8Array");
		napi_typedarray_type tt;
		size_t len;
		void *data;
		if (napi_get_typedarray_info(env, v, &tt, &len, &data, NULL, NULL) != napi_ok)
			return false;
		if (tt != napi_uint8_array || len == 0 || len > NC_MAX_WRITE)
			return bad_action(env, op, index, "bytes must be a Uint8Array of 1..1MiB");
		d->bytes = malloc(len);
		if (!d->bytes)
			return bad_action(env, op, index, "out of memory");
		memcpy(d->bytes, data, len);
		d->len = len;
		d->arg = (uint8_t)arg;
		d->val = val;
		if (kind == NK_UNAME)
			return parse_uname_layout(env, op, a, index, d);
		return true;
	}
	case NK_PATH_WATCH: {
		uint32_t arg, n;
		if (!prop(env, a, "arg", &v, &has) || !has || !get_u32(env, v, "arg", &arg))
			return has ? false : bad_action(env, op, index, "arg missing");
		if (arg >= NC_ARG_COUNT)
			return bad_action(env, op, index, "arg out of range 0..5");
		d->arg = (uint8_t)arg;
		bool is_array = false;
		if (!prop(env, a, "names", &v, &has))
			return false;
		if (has)
			napi_is_array(env, v, &is_array);
		if (!is_array)
			return bad_action(env, op, index, "names must be an array of strings");
		napi_get_array_length(env, v, &n);
		d->names = calloc(n ? n : 1, sizeof(char *));
		if (!d->names)
			return bad_action(env, op, index, "out of memory");
		napi_value sd, sb;
		bool hsd = false, hsb = false, btime = false;
		uint32_t drop = 0;
		if (!prop(env, a, "statxDrop", &sd, &hsd) || !prop(env, a, "statxBtimeTmpfs", &sb, &hsb))
			return false;
		if ((hsd && !get_u32(env, sd, "statxDrop", &drop)) || (hsb && napi_get_value_bool(env, sb, &btime) != napi_ok))
			return bad_action(env, op, index, "statxDrop must be a 32-bit mask and statxBtimeTmpfs a boolean");
		d->statx_drop = drop;
		d->statx_btime_tmpfs = btime;
		d->statx_ask = hsd || hsb ? drop | (btime ? 0x800U /* STATX_BTIME */ : 0) : 0;
		for (uint32_t i = 0; i < n; i++) {
			napi_value s;
			size_t slen;
			napi_get_element(env, v, i, &s);
			if (napi_get_value_string_utf8(env, s, NULL, 0, &slen) != napi_ok)
				return bad_action(env, op, index, "names must be an array of strings");
			d->names[i] = malloc(slen + 1);
			if (!d->names[i])
				return bad_action(env, op, index, "out of memory");
			d->nnames = i + 1;
			napi_get_value_string_utf8(env, s, d->names[i], slen + 1, &slen);
		}
		return true;
	}
	case NK_OPEN_IDENTITY:
		return parse_open_identity(env, op, a, index, d);
	case NK_STATX_PERSONA: {
		/* val: the mask bits dropped; arg 1: STATX_BTIME dropped too on tmpfs. */
		uint32_t arg = 0;
		int64_t val = 0;
		if (!prop(env, a, "arg", &v, &has) || (has && !get_u32(env, v, "arg", &arg)))
			return false;
		if (!prop(env, a, "val", &v, &has) || (has && napi_get_value_int64(env, v, &val) != napi_ok))
			return has ? bad_action(env, op, index, "val must be a number") : false;
		if (arg > 1 || val < 0 || val > UINT32_MAX)
			return bad_action(env, op, index, "statxPersona: arg 0 or 1, val a 32-bit mask");
		d->arg = (uint8_t)arg;
		d->val = val;
		return true;
	}
	case NK_EXEC_VDSO:
		return parse_exec_vdso(env, op, a, index, d);
	case NK_ENTER_STRICT:
		return parse_enter_strict(env, op, a, index, d);
	default:
		return bad_action(env, op, index, "unknown kind");
	}
}


/* A table for auditArch from an array of NativeAction objects, or NULL with an exception pending. */
static struct nc_table *parse_table(napi_env env, const char *op, napi_value arch_value, napi_value list)
{
	uint32_t arch, n;
	bool is_array = false;
	auto_table struct nc_table *t = NULL;
	if (!get_u32(env, arch_value, "auditArch", &arch))
		return NULL;
	napi_is_array(env, list, &is_array);
	if (!is_array) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cr_shim_notify %s: actions must be an array", op);
		napi_throw_type_error(env, "EINVAL", msg);
		return NULL;
	}
	t = nc_table_new(arch);
	if (!t) {
		throw_errno(env, op, ENOMEM);
		return NULL;
	}
	napi_get_array_length(env, list, &n);
	for (uint32_t i = 0; i < n; i++) {
		napi_value a;
		napi_valuetype type;
		if (napi_get_element(env, list, i, &a) != napi_ok)
			return NULL;
		napi_typeof(env, a, &type);
		if (type != napi_object) {
			bad_action(env, op, i, "not an object");
			return NULL;
		}
		if (!parse_action(env, op, a, i, t))
			return NULL;
	}
	struct nc_table *done = t;
	t = NULL;
	return done;
}

static napi_value nl_set_actions(napi_env env, napi_callback_info info)
{
	napi_value argv[3];

	if (!get_args(env, info, 3, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	struct nc_table *t = parse_table(env, "setActions", argv[1], argv[2]);
	if (!t)
		return NULL;
	/* nc_publish takes t, also when it fails. */
	int err = nc_publish(l->core, t);
	if (err) {
		throw_errno(env, "setActions", err);
		return NULL;
	}
	return undefined(env);
}

/* ---- the binary form: encodeActions, setEncodedActions ---- */

/* The bytes of a Uint8Array (a Buffer is one), or false with a TypeError pending. */
static bool get_bytes(napi_env env, napi_value v, const char *op, const char *what, const uint8_t **data, size_t *len)
{
	bool is_ta = false;
	napi_typedarray_type tt;
	void *p = NULL;
	napi_is_typedarray(env, v, &is_ta);
	if (!is_ta || napi_get_typedarray_info(env, v, &tt, len, &p, NULL, NULL) != napi_ok || tt != napi_uint8_array) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cr_shim_notify %s: %s must be a Uint8Array", op, what);
		napi_throw_type_error(env, "EINVAL", msg);
		return false;
	}
	/* An empty typed array may have no backing store. */
	static const uint8_t none[1];
	*data = p ? p : none;
	return true;
}

/* encodeActions(auditArch, actions): the table setActions would publish, in its binary form. */
static napi_value nl_encode_actions(napi_env env, napi_callback_info info)
{
	napi_value argv[2], out;
	autofree uint8_t *bytes = NULL;
	size_t len = 0;

	if (!get_args(env, info, 2, argv))
		return NULL;
	auto_table struct nc_table *t = parse_table(env, "encodeActions", argv[0], argv[1]);
	if (!t)
		return NULL;
	int err = nc_table_encode(t, &bytes, &len);
	if (err == ENOTSUP) {
		napi_throw_error(env, "ENOTSUP",
				 "cr_shim_notify encodeActions: an openIdentity verdict holds identity memfds, which live in this process only");
		return NULL;
	}
	if (err) {
		throw_errno(env, "encodeActions", err);
		return NULL;
	}
	void *data;
	napi_value buffer;
	if (napi_create_arraybuffer(env, len, &data, &buffer) != napi_ok)
		return NULL;
	memcpy(data, bytes, len);
	if (napi_create_typedarray(env, napi_uint8_array, len, buffer, 0, &out) != napi_ok)
		return NULL;
	return out;
}

/* setEncodedActions(h, bytes): decode a table encodeActions wrote and publish it, as setActions does. */
static napi_value nl_set_encoded_actions(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	const uint8_t *data;
	size_t len;
	struct nc_table *t = NULL;
	const char *why = NULL;

	if (!get_args(env, info, 2, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || !get_bytes(env, argv[1], "setEncodedActions", "bytes", &data, &len))
		return NULL;
	int err = nc_table_decode(data, len, &t, &why);
	if (err == EINVAL) {
		char msg[192];
		snprintf(msg, sizeof(msg), "cr_shim_notify setEncodedActions: %s", why ? why : "malformed table");
		napi_throw_range_error(env, "EINVAL", msg);
		return NULL;
	}
	if (err) {
		throw_errno(env, "setEncodedActions", err);
		return NULL;
	}
	/* nc_publish takes t, also when it fails. */
	err = nc_publish(l->core, t);
	if (err) {
		throw_errno(env, "setEncodedActions", err);
		return NULL;
	}
	return undefined(env);
}

/*
 * holdNotification(h, notification, receivedNs?): the raw struct seccomp_notif (as the kernel
 * wrote it, for the listener h names) that the next recv returns before polling: where
 * another process's loop stopped, this one goes on (docs/FRONT.md, "When a call needs TypeScript").
 */
static napi_value nl_hold_notification(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	size_t argc = 3;
	const uint8_t *data;
	size_t len;
	uint64_t received;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return NULL;
	if (argc < 2) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: missing arguments");
		return NULL;
	}
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l || listener_of(env, l, argv[0]) < 0 || !get_bytes(env, argv[1], "holdNotification", "notification", &data, &len))
		return NULL;
	size_t size = nc_notif_size(l->core);
	if (len < sizeof(struct seccomp_notif) || len > size) {
		char msg[160];
		snprintf(msg, sizeof(msg), "cr_shim_notify holdNotification: the notification must be %zu..%zu bytes (struct seccomp_notif), not %zu",
			 sizeof(struct seccomp_notif), size, len);
		napi_throw_range_error(env, "EINVAL", msg);
		return NULL;
	}
	napi_valuetype type = napi_undefined;
	if (argc > 2)
		napi_typeof(env, argv[2], &type);
	if (type == napi_undefined) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		received = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	} else if (!get_u64(env, argv[2], "receivedNs", &received)) {
		return NULL;
	}
	/* Zero past what was given: a newer kernel's larger struct ends in fields we do not read. */
	autofree struct seccomp_notif *n = calloc(1, size);
	if (!n) {
		throw_errno(env, "holdNotification", ENOMEM);
		return NULL;
	}
	memcpy(n, data, len);
	int32_t h;
	napi_get_value_int32(env, argv[0], &h);
	int err = nc_hold(l->core, n, (unsigned)h & (NC_MAX_LISTENERS - 1), received);
	if (err) {
		throw_errno(env, "holdNotification", err);
		return NULL;
	}
	return undefined(env);
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
	napi_create_array_with_length(env, NC_ARG_COUNT, &args);
	for (uint32_t i = 0; i < NC_ARG_COUNT; i++)
		napi_set_element(env, args, i, big_u64(env, n->data.args[i]));
	set_prop(env, obj, "args", args);
	set_prop(env, obj, "receivedNs", big_u64(env, received));
	return obj;
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
	autofree struct seccomp_notif *n = malloc(nc_notif_size(l->core));
	if (!n) {
		throw_errno(env, "recv", ENOMEM);
		return NULL;
	}
	unsigned at = 0;
	int err = 0;
	uint64_t received = 0;
	const char *op = NULL;
	switch (nc_next(l->core, n, &at, &received, &op, &err)) {
	case NC_JS:
		return notification_value(env, n, received, handle_of(l, at));
	case NC_END:
		return null_value(env);
	default:
		throw_errno(env, op, err);
		return NULL;
	}
}

/* ---- watch: the loop on a thread of its own until JS is needed ---- */

struct watch_event {
	enum nc_next what;
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
		const char *what = e->what == NC_JS ? "js" : e->what == NC_END ? "end" : "error";
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
	autofree struct seccomp_notif *n = malloc(nc_notif_size(l->core));
	unsigned at = 0;
	int err = ENOMEM;
	uint64_t received = 0;
	const char *op = "watch";
	enum nc_next what = NC_FAILED;
	if (e && n)
		what = nc_next(l->core, n, &at, &received, &op, &err);
	/* Kept for the first recv: the worker that JS starts now answers it. */
	if (what == NC_JS && (err = nc_hold(l->core, n, at, received)) != 0) {
		what = NC_FAILED;
		op = "watch";
	}
	if (e) {
		e->what = what;
		if (what == NC_FAILED)
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

	autofree struct seccomp_notif_resp *resp = calloc(1, nc_resp_size(l->core));
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

struct stats_rows {
	napi_env env;
	napi_value out;
	uint32_t k;
};

static void stats_row(void *ctx, uint32_t audit_arch, uint32_t nr, uint64_t count, uint64_t total_ns)
{
	struct stats_rows *s = ctx;
	napi_env env = s->env;
	napi_value row, v;
	napi_create_object(env, &row);
	napi_create_uint32(env, audit_arch, &v);
	set_prop(env, row, "arch", v);
	napi_create_uint32(env, nr, &v);
	set_prop(env, row, "nr", v);
	napi_create_double(env, (double)count, &v);
	set_prop(env, row, "count", v);
	napi_create_double(env, (double)total_ns, &v);
	set_prop(env, row, "totalNs", v);
	napi_set_element(env, s->out, s->k++, row);
}

static napi_value nl_stats(napi_env env, napi_callback_info info)
{
	napi_value argv[1];

	if (!get_args(env, info, 1, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	struct stats_rows s = { .env = env };
	napi_create_array(env, &s.out);
	nc_stats_each(l->core, stats_row, &s);
	return s.out;
}

static napi_value nl_stop(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	if (!get_args(env, info, 1, argv))
		return NULL;
	autoput struct loop *l = get_loop(env, argv[0]);
	if (!l)
		return NULL;
	nc_loop_stop(l->core);
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
		nc_loop_stop(found->core);
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
		{ "encodeActions", NULL, nl_encode_actions, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "setEncodedActions", NULL, nl_set_encoded_actions, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "holdNotification", NULL, nl_hold_notification, NULL, NULL, NULL, napi_enumerable, NULL },
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
