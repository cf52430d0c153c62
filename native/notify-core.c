/*
 * The seccomp notification loop without Node-API (notify-core.h): verdict tables and their
 * binary form, the loop that answers natively, the held notification, stats and stop. The
 * addon (notify-loop.c) and the native front (front/run.c) both run it.
 *
 * Threads. One thread at a time runs nc_next on a loop; nc_loop_stop, nc_publish,
 * nc_loop_add_listener and nc_stats_each may run on others meanwhile. A loop's verdict
 * tables are immutable once published: nc_publish builds a new action set, swaps the pointer
 * under the loop's mutex and bumps a generation; nc_next holds a reference to the set it uses
 * and re-reads the pointer only when the generation moved, so the hot path costs one atomic
 * load. Listeners are appended, never removed: one whose tasks are all gone (POLLHUP) is only
 * left out of the poll set; nc_next returns NC_END once all of them are.
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
#include "native-verdict.h"
#include "notify-core.h"
#include "seccomp-compat.h"
#include "strict-client.h"
#include "task-uts.h"
#include "tracee-string.h"

#define STATX_BTIME_BIT 0x800U	/* STATX_BTIME */

struct arch_stats {
	uint32_t audit_arch;
	uint64_t count[NC_MAX_NR];
	uint64_t ns[NC_MAX_NR];
};

/* Immutable once published; shared by action sets, freed with the last one. */
struct nc_table {
	uint32_t audit_arch;
	unsigned refs;
	struct arch_stats *stats; /* owned by the loop */
	struct nc_verdict v[NC_MAX_NR];
};

struct action_set {
	unsigned refs;
	unsigned n;
	struct nc_table *arch[NC_MAX_ARCHES];
};

struct nc_loop {
	/* listeners[0..nlisteners) are set before nlisteners is published (release). */
	int listeners[NC_MAX_LISTENERS];
	unsigned nlisteners;	/* atomic; written under mu */
	uint8_t hung[NC_MAX_LISTENERS];	/* nc_next's thread only: POLLHUP seen, out of the poll set */
	unsigned nhung;		/* nc_next's thread only */
	unsigned next_scan;	/* nc_next's thread only: where the next scan of ready listeners starts */
	int wakefd;		/* eventfd: written by stop and add_listener to wake a blocked poll */
	size_t notif_size;
	size_t resp_size;
	int stopped;		/* atomic */
	unsigned generation;	/* atomic; bumped whenever `actions` changes */
	pthread_mutex_t mu;	/* guards actions, set/arch refs, stats slots, held, adders */
	struct action_set *actions;
	struct seccomp_notif *held;	/* mu: where one loop stopped, for the next nc_next */
	uint64_t held_received;
	unsigned held_at;
	unsigned nstats;
	struct arch_stats *stats[NC_MAX_ARCHES];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- verdict tables ---- */

struct nc_table *nc_table_new(uint32_t audit_arch)
{
	struct nc_table *t = calloc(1, sizeof(*t));
	if (t)
		t->audit_arch = audit_arch;
	return t;
}

void nc_table_free(struct nc_table *t)
{
	if (!t)
		return;
	for (size_t nr = 0; nr < NC_MAX_NR; nr++) {
		struct nc_verdict *v = &t->v[nr];
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

static void table_cleanup(struct nc_table **t)
{
	nc_table_free(*t);
}
#define auto_table __attribute__((cleanup(table_cleanup)))

uint32_t nc_table_arch(const struct nc_table *t)
{
	return t->audit_arch;
}

struct nc_verdict *nc_table_slot(struct nc_table *t, uint32_t nr)
{
	return nr < NC_MAX_NR ? &t->v[nr] : NULL;
}

/* Caller holds l->mu. */
static void action_set_put(struct action_set *s)
{
	if (!s || --s->refs > 0)
		return;
	for (unsigned i = 0; i < s->n; i++)
		if (--s->arch[i]->refs == 0)
			nc_table_free(s->arch[i]);
	free(s);
}

/* The table for `arch` in `s`; NULL when none. */
static struct nc_table *table_for(const struct action_set *s, uint32_t arch)
{
	for (unsigned i = 0; s && i < s->n; i++)
		if (s->arch[i]->audit_arch == arch)
			return s->arch[i];
	return NULL;
}

static const struct nc_verdict *lookup(const struct action_set *s, uint32_t arch, int32_t nr)
{
	if (nr < 0 || nr >= NC_MAX_NR)
		return NULL;
	struct nc_table *t = table_for(s, arch);
	return t ? &t->v[nr] : NULL;
}

/* ---- the binary form (docs/FRONT.md, "Verdict tables") ----
 *
 *   TABLE ::= AUDIT_ARCH:u32 COUNT:u32 ENTRY[COUNT]      entries in increasing NR, DEFER left out
 *   ENTRY ::= NR:u16 KIND:u8 ARG:u8 BODY(KIND)
 *   STR   ::= LEN:u32 BYTES[LEN]                          no NUL, LEN < PATH_MAX
 *   BODY(continue, forgetTask) ::= empty
 *   BODY(errno)        ::= ERRNO:u32
 *   BODY(writeArg)     ::= VAL:i64 LEN:u32 BYTES[LEN]
 *   BODY(uname)        ::= VAL:i64 LEN:u32 BYTES[LEN] WIDTH:u32
 *   BODY(pathWatch)    ::= STATX_DROP:u32 STATX_BTIME_TMPFS:u8 NNAMES:u32 STR[NNAMES]
 *   BODY(openIdentity) ::= DIRECT_EINVAL:u8 OPENAT2_ACCEPT:u32        (no identity entries)
 *   BODY(execVdso)     ::= CODE:u32 HELPER:STR
 *   BODY(enterStrict)  ::= HELPER:STR
 *   BODY(statxPersona) ::= DROP:u32
 * Integers little-endian.
 */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_le(struct wbuf *w, uint64_t x, unsigned size)
{
	uint8_t b[8];
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	put_bytes(w, b, size);
}

static void put_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);
	put_le(w, n, 4);
	put_bytes(w, s, n);
}

static void encode_verdict(struct wbuf *w, uint32_t nr, const struct nc_verdict *v)
{
	put_le(w, nr, 2);
	put_le(w, v->kind, 1);
	put_le(w, v->arg, 1);
	switch (v->kind) {
	case NK_ERRNO:
		put_le(w, (uint32_t)v->err, 4);
		break;
	case NK_WRITE_ARG:
	case NK_UNAME:
		put_le(w, (uint64_t)v->val, 8);
		put_le(w, v->len, 4);
		put_bytes(w, v->bytes, v->len);
		if (v->kind == NK_UNAME)
			put_le(w, v->width, 4);
		break;
	case NK_PATH_WATCH:
		put_le(w, v->statx_drop, 4);
		put_le(w, v->statx_btime_tmpfs, 1);
		put_le(w, v->nnames, 4);
		for (size_t i = 0; i < v->nnames; i++)
			put_str(w, v->names[i]);
		break;
	case NK_OPEN_IDENTITY:
		put_le(w, v->compat.direct_shmem_einval != 0, 1);
		put_le(w, (uint32_t)v->compat.openat2_accept, 4);
		break;
	case NK_EXEC_VDSO:
		put_le(w, (uint32_t)v->val, 4);
		put_str(w, v->helper);
		break;
	case NK_ENTER_STRICT:
		put_str(w, v->helper);
		break;
	case NK_STATX_PERSONA:
		put_le(w, (uint32_t)v->val, 4);
		break;
	default:
		break;
	}
}

int nc_table_encode(const struct nc_table *t, uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };
	uint32_t count = 0;
	*out = NULL;
	*len = 0;
	for (uint32_t nr = 0; nr < NC_MAX_NR; nr++) {
		const struct nc_verdict *v = &t->v[nr];
		if (v->kind == NK_DEFER)
			continue;
		/* An identity memfd lives in this process only: such a table cannot be kept. */
		if (v->nids > 0)
			return ENOTSUP;
		count++;
	}
	put_le(&w, t->audit_arch, 4);
	put_le(&w, count, 4);
	for (uint32_t nr = 0; nr < NC_MAX_NR; nr++)
		if (t->v[nr].kind != NK_DEFER)
			encode_verdict(&w, nr, &t->v[nr]);
	if (w.oom) {
		free(w.p);
		return ENOMEM;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	const char *why;	/* the first fault */
};

static bool fault(struct rbuf *r, const char *why)
{
	if (!r->why)
		r->why = why;
	return false;
}

static bool get_le(struct rbuf *r, unsigned size, uint64_t *x)
{
	if (r->len - r->off < size)
		return fault(r, "truncated");
	*x = 0;
	for (unsigned i = 0; i < size; i++)
		*x |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += size;
	return true;
}

/* LEN bytes (min..max) copied into a fresh buffer, NUL-terminated. */
static bool get_blob(struct rbuf *r, size_t min, size_t max, uint8_t **out, size_t *n, const char *range)
{
	uint64_t len;
	if (!get_le(r, 4, &len))
		return false;
	if (len < min || len > max)
		return fault(r, range);
	if (r->len - r->off < len)
		return fault(r, "truncated");
	*out = malloc(len + 1);
	if (!*out)
		return fault(r, "out of memory");
	memcpy(*out, r->p + r->off, len);
	(*out)[len] = 0;
	*n = len;
	r->off += len;
	return true;
}

static bool get_str(struct rbuf *r, size_t min, char **out, const char *what)
{
	uint8_t *s;
	size_t n;
	if (!get_blob(r, min, PATH_MAX - 1, &s, &n, what))
		return false;
	*out = (char *)s;
	if (memchr(s, 0, n))
		return fault(r, what);
	return true;
}

static bool decode_verdict(struct rbuf *r, struct nc_verdict *v, uint32_t kind, uint32_t arg)
{
	uint64_t x, y;
	switch (kind) {
	case NK_CONTINUE:
	case NK_FORGET_TASK:
		return arg == 0 || fault(r, "arg must be 0");
	case NK_ERRNO:
		if (arg != 0)
			return fault(r, "arg must be 0");
		if (!get_le(r, 4, &x))
			return false;
		if (x == 0 || x > 4095)
			return fault(r, "errno out of range 1..4095");
		v->err = (int32_t)x;
		return true;
	case NK_WRITE_ARG:
	case NK_UNAME:
		if (arg >= NC_ARG_COUNT)
			return fault(r, "arg out of range 0..5");
		if (!get_le(r, 8, &x) || !get_blob(r, 1, NC_MAX_WRITE, &v->bytes, &v->len, "bytes must be 1..1MiB"))
			return false;
		v->val = (int64_t)x;
		if (kind == NK_WRITE_ARG)
			return true;
		if (!get_le(r, 4, &y))
			return false;
		if (y < 2 || y > UTS_FIELD || v->len % y != 0 || v->len / y < 7 || v->len / y > 8)
			return fault(r, "uname bytes must be 5 or 6 fields of width, plus 2");
		v->width = (uint32_t)y;
		return true;
	case NK_PATH_WATCH: {
		if (arg >= NC_ARG_COUNT)
			return fault(r, "arg out of range 0..5");
		uint64_t btime, n;
		if (!get_le(r, 4, &x) || !get_le(r, 1, &btime) || !get_le(r, 4, &n))
			return false;
		if (btime > 1)
			return fault(r, "statxBtimeTmpfs must be 0 or 1");
		v->statx_drop = (uint32_t)x;
		v->statx_btime_tmpfs = (uint8_t)btime;
		/* As the parser derives it: a call asking any of these is made as statxPersona would. */
		v->statx_ask = v->statx_drop | (btime ? STATX_BTIME_BIT : 0);
		/* Each name takes at least its 4-byte length. */
		if (n > (r->len - r->off) / 4)
			return fault(r, "names count exceeds the bytes left");
		v->names = calloc(n ? n : 1, sizeof(char *));
		if (!v->names)
			return fault(r, "out of memory");
		for (uint64_t i = 0; i < n; i++) {
			v->nnames = i + 1;
			if (!get_str(r, 0, &v->names[i], "names must be strings without NUL, shorter than PATH_MAX"))
				return false;
		}
		return true;
	}
	case NK_OPEN_IDENTITY: {
		if (arg > OPEN_FORM_OPENAT2)
			return fault(r, "arg out of range 0..2 (open, openat, openat2)");
		uint64_t direct;
		if (!get_le(r, 1, &direct) || !get_le(r, 4, &x))
			return false;
		if (direct > 1)
			return fault(r, "directEinval must be 0 or 1");
		v->compat.direct_shmem_einval = (int)direct;
		v->compat.openat2_accept = x;
		/* An empty list, as the parser makes it: the identity files are bind-mounted. */
		v->ids = calloc(1, sizeof(*v->ids));
		return v->ids || fault(r, "out of memory");
	}
	case NK_EXEC_VDSO:
		if (arg > 1)
			return fault(r, "readImpliesExec must be 0 or 1");
		if (!get_le(r, 4, &x))
			return false;
		v->val = (int64_t)x;
		return get_str(r, 1, &v->helper, "helper must be a path without NUL, 1..PATH_MAX-1 bytes");
	case NK_ENTER_STRICT:
		if (arg > STRICT_FORM_SECCOMP)
			return fault(r, "arg out of range 0..1 (prctl, seccomp)");
		return get_str(r, 1, &v->helper, "helper must be a path without NUL, 1..PATH_MAX-1 bytes");
	case NK_STATX_PERSONA:
		if (arg > 1)
			return fault(r, "statxPersona: arg 0 or 1");
		if (!get_le(r, 4, &x))
			return false;
		v->val = (int64_t)x;
		return true;
	default:
		return fault(r, "unknown kind");
	}
}

int nc_table_decode(const uint8_t *buf, size_t len, struct nc_table **out, const char **why)
{
	struct rbuf r = { .p = buf, .len = len };
	uint64_t arch, count;
	auto_table struct nc_table *t = NULL;
	*out = NULL;
	*why = NULL;
	if (!get_le(&r, 4, &arch) || !get_le(&r, 4, &count))
		goto bad;
	if (count > NC_MAX_NR) {
		fault(&r, "more entries than syscall numbers");
		goto bad;
	}
	t = nc_table_new((uint32_t)arch);
	if (!t) {
		fault(&r, "out of memory");
		goto bad;
	}
	int64_t last = -1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t nr, kind, arg;
		if (!get_le(&r, 2, &nr) || !get_le(&r, 1, &kind) || !get_le(&r, 1, &arg))
			goto bad;
		if (nr >= NC_MAX_NR) {
			fault(&r, "nr out of range (max 4095)");
			goto bad;
		}
		if ((int64_t)nr <= last) {
			fault(&r, "entries out of order, or an nr given twice");
			goto bad;
		}
		last = (int64_t)nr;
		struct nc_verdict *v = &t->v[nr];
		v->kind = (uint8_t)kind;
		v->arg = (uint8_t)arg;
		if (!decode_verdict(&r, v, (uint32_t)kind, (uint32_t)arg))
			goto bad;
	}
	if (r.off != r.len) {
		fault(&r, "trailing bytes");
		goto bad;
	}
	*out = t;
	t = NULL;
	return 0;
bad:
	*why = r.why;
	return EINVAL;
}

/* ---- the loop ---- */

/* The flag is passed by value. Older kernels do not know the ioctl. */
static int set_sync_wake_up(int fd)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0 && errno != EINVAL &&
	    errno != ENOTTY)
		return errno;
	return 0;
}

int nc_loop_open(int listener, struct nc_loop **out)
{
	struct seccomp_notif_sizes sizes;
	*out = NULL;
	if (listener < 0)
		return EBADF;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return errno;
	int err = set_sync_wake_up(listener);
	if (err)
		return err;
	autoclose int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wakefd < 0)
		return errno;
	struct nc_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	/* Our buffers must hold what the kernel writes and what the ioctl numbers encode. */
	l->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
	l->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
										      : sizeof(struct seccomp_notif_resp);
	l->listeners[0] = listener;
	l->nlisteners = 1;
	l->wakefd = wakefd;
	wakefd = -1;
	pthread_mutex_init(&l->mu, NULL);
	*out = l;
	return 0;
}

static void wake(struct nc_loop *l)
{
	uint64_t one = 1;
	(void)!write(l->wakefd, &one, sizeof(one));
}

int nc_loop_add_listener(struct nc_loop *l, int listener, unsigned *index)
{
	if (listener < 0)
		return EBADF;
	int err = set_sync_wake_up(listener);
	if (err)
		return err;
	/* mu serialises adders; nc_next reads nlisteners without a lock. */
	pthread_mutex_lock(&l->mu);
	unsigned i = l->nlisteners;
	if (i < NC_MAX_LISTENERS) {
		l->listeners[i] = listener;
		__atomic_store_n(&l->nlisteners, i + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&l->mu);
	if (i >= NC_MAX_LISTENERS)
		return ENOSPC;
	*index = i;
	/* An nc_next blocked in poll must start polling the new listener now. */
	wake(l);
	return 0;
}

/* -1 when index names no listener of the loop. */
int nc_loop_listener(const struct nc_loop *l, unsigned index)
{
	if (index >= __atomic_load_n(&l->nlisteners, __ATOMIC_ACQUIRE))
		return -1;
	return l->listeners[index];
}

size_t nc_notif_size(const struct nc_loop *l)
{
	return l->notif_size;
}

size_t nc_resp_size(const struct nc_loop *l)
{
	return l->resp_size;
}

/* Publish `t` as the table for its arch. Caller holds l->mu. Returns 0 or an errno. */
static int publish_locked(struct nc_loop *l, struct nc_table *t)
{
	struct action_set *old = l->actions;
	struct action_set *s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;

	/* Stats slots are per loop and outlive tables, so counts survive a new table. */
	struct arch_stats *st = NULL;
	for (unsigned i = 0; i < l->nstats; i++)
		if (l->stats[i]->audit_arch == t->audit_arch)
			st = l->stats[i];
	if (!st) {
		if (l->nstats == NC_MAX_ARCHES) {
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

int nc_publish(struct nc_loop *l, struct nc_table *t)
{
	/* Each exec verdict's watcher starts now, not at the program's first exec; a failure here is
	 * tried again then, and reported as that exec's (the exec goes on with the host's note). */
	for (unsigned nr = 0; nr < NC_MAX_NR; nr++)
		if (t->v[nr].kind == NK_EXEC_VDSO)
			(void)exec_watch_prestart(t->v[nr].helper, (uint32_t)t->v[nr].val, t->v[nr].arg != 0);

	pthread_mutex_lock(&l->mu);
	int err = publish_locked(l, t);
	pthread_mutex_unlock(&l->mu);
	if (err)
		nc_table_free(t);
	return err;
}

void nc_loop_stop(struct nc_loop *l)
{
	/* Set before the wake-up: an nc_next that drains the eventfd then sees it. */
	__atomic_store_n(&l->stopped, 1, __ATOMIC_RELEASE);
	wake(l);
}

void nc_loop_free(struct nc_loop *l)
{
	if (!l)
		return;
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

void nc_stats_each(struct nc_loop *l, void (*row)(void *ctx, uint32_t audit_arch, uint32_t nr, uint64_t count, uint64_t total_ns),
		   void *ctx)
{
	pthread_mutex_lock(&l->mu);
	for (unsigned i = 0; i < l->nstats; i++) {
		const struct arch_stats *st = l->stats[i];
		for (uint32_t nr = 0; nr < NC_MAX_NR; nr++) {
			uint64_t count = __atomic_load_n(&st->count[nr], __ATOMIC_RELAXED);
			if (count == 0)
				continue;
			row(ctx, st->audit_arch, nr, count, __atomic_load_n(&st->ns[nr], __ATOMIC_RELAXED));
		}
	}
	pthread_mutex_unlock(&l->mu);
}

int nc_hold(struct nc_loop *l, const struct seccomp_notif *n, unsigned at, uint64_t received_ns)
{
	struct seccomp_notif *held = malloc(l->notif_size);
	if (!held)
		return ENOMEM;
	memcpy(held, n, l->notif_size);
	pthread_mutex_lock(&l->mu);
	free(l->held);
	l->held = held;
	l->held_received = received_ns;
	l->held_at = at;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* The held notification, for the first nc_next after a hold; false when there is none. */
static bool take_held(struct nc_loop *l, struct seccomp_notif *n, uint64_t *received, unsigned *at)
{
	pthread_mutex_lock(&l->mu);
	struct seccomp_notif *held = l->held;
	l->held = NULL;
	uint64_t when = l->held_received;
	unsigned where = l->held_at;
	pthread_mutex_unlock(&l->mu);
	if (!held)
		return false;
	memcpy(n, held, l->notif_size);
	*received = when;
	*at = where;
	free(held);
	return true;
}

/* ---- deciding one notification ---- */

struct reader {
	struct nc_loop *l;
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
static enum outcome answer_uname(int listener, const struct nc_verdict *v, const struct seccomp_notif *n,
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
static bool asks_strict(const struct nc_verdict *v, const struct seccomp_notif *n)
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
static enum outcome enter_strict(int listener, const struct nc_verdict *v, const struct seccomp_notif *n,
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
static enum outcome decide(int listener, const struct nc_verdict *v, const struct seccomp_notif *n,
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

/* ---- the receive loop ---- */

/*
 * Bring the poll set p[1..] in step with the loop's listeners: new ones are
 * appended; those that hung up stay at -1, which poll() skips. p[0] is wakefd.
 */
static unsigned sync_poll_set(struct nc_loop *l, struct pollfd *p, unsigned known)
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
static int ready_listener(struct nc_loop *l, struct pollfd *p, unsigned n)
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

static enum nc_next next_for_js(struct nc_loop *l, struct seccomp_notif *n, struct seccomp_notif_resp *resp,
				struct reader *r, unsigned *at, uint64_t *received, const char **op, int *err)
{
	autofree struct pollfd *p = malloc((NC_MAX_LISTENERS + 1) * sizeof(*p));
	if (!p) {
		*op = "recv";
		*err = ENOMEM;
		return NC_FAILED;
	}
	p[0] = (struct pollfd){ .fd = l->wakefd, .events = POLLIN };
	unsigned count = sync_poll_set(l, p, 0);

	for (;;) {
		if (__atomic_load_n(&l->stopped, __ATOMIC_ACQUIRE))
			return NC_END;
		count = sync_poll_set(l, p, count);
		if (l->nhung == count)
			return NC_END;
		if (poll(p, count + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			*op = "poll seccomp listener";
			*err = errno;
			return NC_FAILED;
		}
		if (p[0].revents) {
			/* stop or a new listener: drain, then look again (stopped is checked first). */
			uint64_t drained;
			(void)!read(l->wakefd, &drained, sizeof(drained));
			continue;
		}
		int ready = ready_listener(l, p, count);
		if (ready < 0)
			continue;
		*at = (unsigned)ready;
		int listener = l->listeners[ready];

		memset(n, 0, l->notif_size);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0) {
			/* ENOENT: the task died between poll and recv. */
			if (errno == EINTR || errno == ENOENT)
				continue;
			*op = "seccomp NOTIF_RECV";
			*err = errno;
			return NC_FAILED;
		}
		*received = now_ns();

		refresh(r);
		const struct nc_verdict *v = lookup(r->set, n->data.arch, n->data.nr);
		if (!v || v->kind == NK_DEFER)
			return NC_JS;

		memset(resp, 0, l->resp_size);
		resp->id = n->id;
		enum outcome o = decide(listener, v, n, resp);
		if (o == DEFERRED)
			return NC_JS;
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
		 * stats once it has exited must find this call counted.
		 */
		struct arch_stats *st = table_for(r->set, n->data.arch)->stats;
		__atomic_add_fetch(&st->count[n->data.nr], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&st->ns[n->data.nr], sent - *received, __ATOMIC_RELAXED);
		/* ENOENT: the task was killed while we decided; nothing to answer. SENT: answered already. */
		if (o == ANSWERED && ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT) {
			*op = "seccomp NOTIF_SEND";
			*err = errno;
			return NC_FAILED;
		}
	}
}

enum nc_next nc_next(struct nc_loop *l, struct seccomp_notif *n, unsigned *at, uint64_t *received_ns, const char **op, int *err)
{
	if (take_held(l, n, received_ns, at))
		return NC_JS;
	autofree struct seccomp_notif_resp *resp = malloc(l->resp_size);
	if (!resp) {
		*op = "recv";
		*err = ENOMEM;
		return NC_FAILED;
	}
	__attribute__((cleanup(reader_cleanup))) struct reader r = { .l = l };
	return next_for_js(l, n, resp, &r, at, received_ns, op, err);
}
