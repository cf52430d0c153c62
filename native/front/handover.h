/*
 * The hand-over to the TypeScript helper when a call needs a handler (docs/FRONT.md, "When a call
 * needs TypeScript"): `NODE ROOT/dist/supervisor/handover-main.js`, fd 3 a socketpair end, fd 4 a
 * copy of the listener, PR_SET_PDEATHSIG SIGKILL; sent WORKER, ACTIONS, HELD, END; answers with
 * one JSON line at its end.
 */
#ifndef CR_SHIM_FRONT_HANDOVER_H
#define CR_SHIM_FRONT_HANDOVER_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "front-entry.h"
#include "stats.h"

struct handover {
	pid_t pid;
	int channel;	/* -1 once its line or EOF was read */
	char *line;	/* bytes so far */
	size_t len, cap;
};

/* Start the helper and send it the run. 0, or -1 after one error line. */
int handover_start(const char *root, const struct front_entry *e, int listener, const struct seccomp_notif *n, size_t nsize, uint64_t received_ns,
		   struct handover *h);

enum handover_read { HANDOVER_MORE, HANDOVER_DONE, HANDOVER_FAILED };

/*
 * Read what the channel has. DONE: its line said {"stats":...}, merged into s, *rss_kib its peak.
 * FAILED: an error line or EOF without a line; *message (malloc'd) says what.
 */
enum handover_read handover_read(struct handover *h, struct stats *s, double *rss_kib, char **message);

#endif
