/*
 * Opens performed by the supervisor for a trapped task (restore, attach, run
 * --dumpable): the call is answered with the fd the supervisor opened, or with
 * the persona's text when that fd turns out to be one of the identity files,
 * or, when the open failed with ENOENT and named a file the persona's kernel
 * had but this kernel removed (an added file: tables/sysctl-removed.json),
 * with a new description of that file's stand-in.
 */
#ifndef CR_SHIM_IDENTITY_OPEN_H
#define CR_SHIM_IDENTITY_OPEN_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* Where the open-family call keeps its arguments. Mirrors OpenForm in src/native/addon-types.ts. */
enum open_form {
	OPEN_FORM_OPEN = 0,	/* open(path, flags, mode) */
	OPEN_FORM_OPENAT = 1,	/* openat(dirfd, path, flags, mode) */
	OPEN_FORM_OPENAT2 = 2,	/* openat2(dirfd, path, how, size) */
};

#define IDENTITY_MAX_ENTRIES 32

struct identity_entry {
	char *path;	/* relative to the task's root, e.g. "proc/version" */
	int fd;		/* memfd with the persona's text; owned by the supervisor's JS side */
	/*
	 * 0: an identity file: fd is sealed, answered read-only instead of the file opened.
	 * Otherwise an added file: the permission bits its table gives it (owner root); fd is
	 * writable and keeps what the tree writes, answered when an open of path fails with ENOENT.
	 */
	unsigned mode;
	int net_admin;	/* added file: CAP_NET_ADMIN gives the owner's bits (net_ctl_permissions) */
};

/*
 * What the persona's kernel did otherwise in an open, answered by the open itself
 * (handlers/proc-identity.ts sets them from the behaviour catalogue):
 */
struct open_compat {
	/* Before 6.6 (e88e0d366f9c "tmpfs: trivial support for direct IO") shmem had no
	 * ->direct_IO, so do_dentry_open() refused O_DIRECT with EINVAL for any file whose
	 * mapping is shmem's: tmpfs, memfd, devtmpfs device nodes (not block devices). */
	int direct_shmem_einval;
	/* openat2 how.flags bits that kernel's VALID_OPEN_FLAGS held and this one's does not
	 * (__FMODE_NONOTIFY): accepted, then dropped before the open. */
	uint64_t openat2_accept;
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
				    const struct identity_entry *ids, size_t nids, const struct open_compat *compat,
				    struct seccomp_notif_resp *resp);

/*
 * statx as the task of notification n would make it (its root, cwd or dirfd and credentials:
 * the path is opened O_PATH as the task, then stat'ed), asked without the bits `drop` and
 * answered with them cleared from stx_mask and their fields zeroed; with btime_tmpfs,
 * STATX_BTIME is dropped too for a file on tmpfs. A call the task could not make, or with
 * flags the kernel refuses, is left to the kernel (CONTINUE): it answers with its own error.
 * Same thread rule as identity_open.
 */
enum identity_outcome statx_as_task(int listener, const struct seccomp_notif *n, uint32_t drop, int btime_tmpfs,
				    struct seccomp_notif_resp *resp);

#endif
