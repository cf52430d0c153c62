/*
 * Identity files by bind mount, as LXCFS presents /proc files to containers.
 *
 * Kernel facts this relies on:
 *  - unshare(CLONE_NEWNS) copies the caller's mounts with their propagation:
 *    on a systemd host "/" is MS_SHARED, so a mount made in the copy would
 *    appear on the host too. Making the whole tree MS_PRIVATE (MS_REC) inside
 *    the new namespace first cuts every peer group, and only this namespace
 *    changes.
 *  - A bind mount holds the file it binds: after umount2(MNT_DETACH) of the
 *    staging tmpfs its files stay readable through the bind mounts, and the
 *    staging directory is empty again for whoever looks from the host.
 *  - A bind mount of a single file can cover a procfs or sysctl file; every
 *    path that resolves to that dentry in this namespace (symlinks, "..",
 *    /proc/self/cwd, /proc/self/fd/N of a directory, an O_PATH fd reopened
 *    through /proc/self/fd) reaches the bind mount, and no check races an open.
 *  - MS_RDONLY on the bind (a remount, the kernel ignores it on the first
 *    MS_BIND) makes a write-open fail with EROFS even for root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
#include "identity-mount.h"

static int fail(const char *op, const char *path, int err)
{
	fprintf(stderr, "cr-shim-launch: %s%s%s: %s\n", op, path ? " " : "", path ? path : "", strerror(err));
	return -1;
}

/* Write text into a new 0444 file at path. 0 or -errno. */
static int write_text(const char *path, const char *text)
{
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		text += w;
		len -= (size_t)w;
	}
	return 0;
}

int identity_mount(const char *stage, const struct identity_file *files, size_t n)
{
	const unsigned long ro = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char src[PATH_MAX];

	if (unshare(CLONE_NEWNS) < 0)
		return fail("unshare(CLONE_NEWNS)", NULL, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("mount --make-rprivate", "/", errno);
	if (mount("cr-shim-identity", stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m") < 0)
		return fail("mount tmpfs on", stage, errno);
	for (size_t i = 0; i < n; i++) {
		if (snprintf(src, sizeof(src), "%s/%zu", stage, i) >= (int)sizeof(src))
			return fail("staging path for", files[i].target, ENAMETOOLONG);
		int err = write_text(src, files[i].text);
		if (err < 0)
			return fail("write", src, -err);
		if (mount(src, files[i].target, NULL, MS_BIND, NULL) < 0)
			return fail("bind mount over", files[i].target, errno);
		if (mount(NULL, files[i].target, NULL, ro, NULL) < 0)
			return fail("remount read-only", files[i].target, errno);
	}
	if (umount2(stage, MNT_DETACH) < 0)
		return fail("umount", stage, errno);
	return 0;
}
