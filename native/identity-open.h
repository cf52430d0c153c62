/*
 * Opens performed by the supervisor for a trapped task (restore, attach, run
 * --dumpable): the call is answered with the fd the supervisor opened, or with
 * the persona's text when that fd turns out to be one of the identity files.
 */
#ifndef CR_SHIM_IDENTITY_OPEN_H
#define CR_SHIM_IDENTITY_OPEN_H

#include <linux/seccomp.h>
#include <stddef.h>

/* Where the open-family call keeps its arguments. Mirrors OpenForm in src/native/addon-types.ts. */
enum open_form {
	OPEN_FORM_OPEN = 0,	/* open(path, flags, mode) */
	OPEN_FORM_OPENAT = 1,	/* openat(dirfd, path, flags, mode) */
	OPEN_FORM_OPENAT2 = 2,	/* openat2(dirfd, path, how, size) */
};

#define IDENTITY_MAX_ENTRIES 16

struct identity_entry {
	char *path;	/* relative to the task's root, e.g. "proc/version" */
	int fd;		/* sealed memfd with the persona's text; owned by the supervisor's JS side */
};

enum identity_outcome {
	IDENTITY_SENT,	/* answered with SECCOMP_ADDFD_FLAG_SEND (or handed to a helper thread that will) */
	IDENTITY_REPLY,	/* resp holds the answer (an error): the caller sends it */
	IDENTITY_GONE,	/* the task went away */
};

/*
 * Open as the task of notification n would, decide by the file opened, answer.
 * The calling thread's fs attributes (umask) and credentials change while it
 * runs: call it only from the loop's own thread.
 */
enum identity_outcome identity_open(int listener, const struct seccomp_notif *n, enum open_form form,
				    const struct identity_entry *ids, size_t nids, struct seccomp_notif_resp *resp);

#endif
