/*
 * The launcher (native/launcher.c, build/Release/cr-shim-launch) as src/native/launcher.ts drives
 * it: spawned with the front's stdio and fd 3 a socketpair end, sent the filter, its listener
 * copied here, then told to exec once the loop and the guard are ready.
 */
#ifndef CR_SHIM_FRONT_LAUNCH_H
#define CR_SHIM_FRONT_LAUNCH_H

#include <sys/types.h>

#include "front-entry.h"

struct launch {
	pid_t pid;
	int channel;	/* kept open until the launcher's end: it writes an exec failure's errno there */
	int listener;	/* the front's copy (close-on-exec) */
};

/*
 * Spawn the launcher for argv (the program and its arguments), send the filter, take the
 * listener. 0, or -1 after one error line (the launcher killed).
 */
int launch_under_filter(const char *root, const struct front_entry *e, char *const *argv, int no_new_privs, struct launch *out);
/* Let it exec (ACK). 0, or -1 with errno. */
int launch_ack(struct launch *l);

#endif
