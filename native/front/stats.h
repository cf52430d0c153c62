/*
 * `run --stats` as src/cli/stats-report.ts formatStats and src/supervisor/peak-rss.ts print it:
 * the front's native counts, and a TypeScript helper's rows after a hand-over, byte for byte.
 */
#ifndef CR_SHIM_FRONT_STATS_H
#define CR_SHIM_FRONT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "front-entry.h"

struct stats_row {
	char *arch;	/* "x86_64", "ia32", "aarch64", or "undefined" (archFromAudit) */
	char *name;
	uint64_t count;
	double total_ns;
	int js;
	uint32_t audit, nr;	/* native rows: merged by (audit, nr) across the front's loop and the helper's */
};

struct stats {
	struct stats_row *js, *native;
	size_t njs, nnative, capjs, capnative;
};

/* A native count; a second one for the same (audit, nr) adds to the first. 0 or -1 (ENOMEM). */
int stats_add_native(struct stats *s, uint32_t audit, uint32_t nr, uint64_t count, double total_ns);
/* A row the TypeScript helper answered (its CallStat). 0 or -1. */
int stats_add_js(struct stats *s, const char *arch, const char *name, uint64_t count, double total_ns, int js_path);
/* formatStats' table, names from the entry's ROUTE records, then the peak RSS line for max_rss_kib. */
void stats_print(FILE *out, const struct stats *s, const struct front_entry *e, double max_rss_kib);

#endif
