/*
 * The persona's identity files as bind mounts in a private mount namespace:
 * cr-shim-launch calls identity_mount() before it installs the filter, so the
 * program never needs an open trapped to see the persona's /proc/version.
 */
#ifndef CR_SHIM_IDENTITY_MOUNT_H
#define CR_SHIM_IDENTITY_MOUNT_H

#include <stddef.h>

#define IDENTITY_MAX_FILES 32

struct identity_file {
	const char *target;	/* absolute path the program reads, e.g. /proc/version */
	const char *text;	/* what it reads there */
	/*
	 * 0: an identity file, bound read-only over an existing target.
	 * 1: a file the host's kernel no longer has (a removed sysctl): added to its directory,
	 *    writable; skipped when the target exists or its directory does not.
	 */
	int added;
};

/*
 * Enter a new mount namespace whose mounts never propagate to the host, and
 * bind each file's text, read-only, over its target; add each `added` file,
 * writable, to its directory. `stage` is an existing
 * empty directory (the supervisor's mkdtemp) used only inside the new
 * namespace. 0, or -1 after one stderr line naming the operation.
 */
int identity_mount(const char *stage, const struct identity_file *files, size_t n);

#endif
