/*
 * The seccomp notification loop without Node-API: verdict tables, their binary form, and the
 * loop that answers natively until a notification needs TypeScript. Two programs use it: the
 * Node-API addon (notify-loop.c, which parses the NativeAction objects JS pushes down: the one
 * parser of the verdict vocabulary) and cr-shim's native front (front/run.c, which serves a
 * `run` from the session cache before any Node.js exists and reads its tables in the binary
 * form the addon wrote: nc_table_encode / nc_table_decode).
 *
 * Threads: one thread at a time runs nc_next on a loop; nc_loop_stop, nc_publish and
 * nc_stats_each may be called from any other thread meanwhile (the tables are immutable once
 * published and swapped under the loop's mutex; see notify-core.c).
 */
#ifndef CR_SHIM_NOTIFY_CORE_H
#define CR_SHIM_NOTIFY_CORE_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity-open.h"

/* Verdicts per arch, indexed by syscall number: every number tables/schema/syscall-table.schema.json
 * admits (0..4095), so any schema-valid table can be pushed down. */
#define NC_MAX_NR 4096
#define NC_MAX_ARCHES 8		/* AUDIT_ARCH values per loop */
#define NC_MAX_LISTENERS 1024	/* per loop */
#define NC_MAX_WRITE (1U << 20)
#define NC_ARG_COUNT 6

/* One syscall's verdict (native-verdict.h names the kinds; NativeKind documents what each does). */
struct nc_verdict {
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
	uint32_t statx_ask, statx_drop;	/* pathWatch on statx (handlers/statx-mask.ts) */
	uint8_t statx_btime_tmpfs;
	char *helper;	/* execVdso: cr-shim-exec-watch's path; enterStrict: cr-shim-strict's */
};

/* One AUDIT_ARCH value's verdicts. Built, then published (ownership passes), never changed after. */
struct nc_table;

struct nc_table *nc_table_new(uint32_t audit_arch);
void nc_table_free(struct nc_table *t);
uint32_t nc_table_arch(const struct nc_table *t);
/* The slot for nr (< NC_MAX_NR), for a parser to fill; kind NK_DEFER and all zero until then. */
struct nc_verdict *nc_table_slot(struct nc_table *t, uint32_t nr);

/*
 * The binary form (docs/FRONT.md, "Verdict tables"): what the session cache keeps for the
 * front. encode: 0, or ENOTSUP when a verdict holds a live fd (an identity memfd), ENOMEM.
 * decode checks every field as the addon's parser does (kinds, ranges, lengths) and returns 0,
 * or EINVAL with *why naming the first fault; *out is then NULL.
 */
int nc_table_encode(const struct nc_table *t, uint8_t **out, size_t *len);
int nc_table_decode(const uint8_t *buf, size_t len, struct nc_table **out, const char **why);

/* A loop over one or more listeners (restore's and attach's trees add one per filter). */
struct nc_loop;

/* Take `listener` (closed when the loop is freed); sets SYNC_WAKE_UP where the kernel has it. 0 or an errno
 * (then the listener is still the caller's). */
int nc_loop_open(int listener, struct nc_loop **out);
/* Another listener; *index is its index (notifications name it). 0 or an errno (ENOSPC). */
int nc_loop_add_listener(struct nc_loop *l, int listener, unsigned *index);
/* The listener at index; -1 when the loop has none there. */
int nc_loop_listener(const struct nc_loop *l, unsigned index);
/* Bytes of a struct seccomp_notif as this kernel writes it (SECCOMP_GET_NOTIF_SIZES). */
size_t nc_notif_size(const struct nc_loop *l);
size_t nc_resp_size(const struct nc_loop *l);
/* Make `t` the loop's table for its arch (replacing any); starts its exec watchers. Takes t (freed on failure). 0 or an errno. */
int nc_publish(struct nc_loop *l, struct nc_table *t);
/* Wake a blocked nc_next and make it (and every later one) return NC_END. */
void nc_loop_stop(struct nc_loop *l);
/* Free the loop and close its listeners (the kernel then answers the filter's calls with ENOSYS). No thread may be in nc_next. */
void nc_loop_free(struct nc_loop *l);

enum nc_next { NC_JS, NC_END, NC_FAILED };

/*
 * Answer natively until a notification needs TypeScript (NC_JS: copied into n, which holds
 * nc_notif_size bytes; *at is its listener's index, *received_ns when it was received),
 * every listener hung up or the loop was stopped (NC_END), or a failure (NC_FAILED: *op
 * names the call, *err its errno). A notification held by nc_hold is returned first.
 */
enum nc_next nc_next(struct nc_loop *l, struct seccomp_notif *n, unsigned *at, uint64_t *received_ns, const char **op, int *err);

/* Keep n (nc_notif_size bytes) for the next nc_next: where one loop stopped, the next goes on. 0 or ENOMEM. */
int nc_hold(struct nc_loop *l, const struct seccomp_notif *n, unsigned at, uint64_t received_ns);

/* Every (arch, nr) answered natively so far, with its count and total ns. */
void nc_stats_each(struct nc_loop *l, void (*row)(void *ctx, uint32_t audit_arch, uint32_t nr, uint64_t count, uint64_t total_ns), void *ctx);

#endif
