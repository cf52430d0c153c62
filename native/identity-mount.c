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
 *  - A file cannot be created in procfs, so a file the host's kernel no longer
 *    has (net/ipv4/tcp_tw_recycle, removed in 4.12) is added by covering its
 *    directory: a tmpfs holding a bind mount of every real entry, read as
 *    before (the binds are taken in the launcher's network namespace: a program
 *    that later enters another one reads that directory's values from the
 *    first), plus the added file, a bind of a writable staging file. The cover
 *    is read-only, so nothing else can be created there; the added file keeps
 *    what is written to it for the life of this mount namespace (it goes
 *    nowhere else, the host's kernel has no such setting).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "identity-mount.h"

static int fail(const char *op, const char *path, int err)
{
	fprintf(stderr, "cr-shim-launch: %s%s%s: %s\n", op, path ? " " : "", path ? path : "", strerror(err));
	return -1;
}

/* Write text into a new file of this mode at path. 0 or -errno. */
static int write_text(const char *path, const char *text, mode_t mode)
{
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
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

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* An empty file or directory at path for a bind mount of an entry of this type to land on. 0 or -errno. */
static int mount_point(const char *path, unsigned char type)
{
	if (type == DT_DIR)
		return mkdir(path, 0555) < 0 ? -errno : 0;
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	return fd < 0 ? -errno : 0;
}

/* The directory part of an absolute target ("/proc/sys/net/ipv4"), and its last component. */
static int split_target(const char *target, char *dir, size_t size, const char **base)
{
	const char *slash = strrchr(target, '/');
	if (!slash || slash == target || (size_t)(slash - target) >= size)
		return -1;
	memcpy(dir, target, (size_t)(slash - target));
	dir[slash - target] = '\0';
	*base = slash + 1;
	return 0;
}

/*
 * Cover `dir` with cover tmpfs number k: a bind of each real entry, then each added file of
 * that directory bound writable from the staging tmpfs, then the cover made read-only and
 * moved over `dir`. 0, or -1 after one stderr line.
 */
static int cover_dir(const char *stage, size_t k, const char *dir, const struct identity_file *files, size_t n)
{
	const unsigned long rw = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const unsigned long ro = rw | MS_RDONLY;
	char cover[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], fdir[PATH_MAX];
	const char *base;

	if (snprintf(cover, sizeof(cover), "%s/cover%zu", stage, k) >= (int)sizeof(cover))
		return fail("staging path for", dir, ENAMETOOLONG);
	if (mkdir(cover, 0755) < 0)
		return fail("mkdir", cover, errno);
	if (mount("cr-shim-sysctl", cover, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555,size=1m") < 0)
		return fail("mount tmpfs on", cover, errno);
	__attribute__((cleanup(closedirp))) DIR *d = opendir(dir);
	if (!d)
		return fail("opendir", dir, errno);
	for (struct dirent *e; (errno = 0, e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(src, sizeof(src), "%s/%s", dir, e->d_name) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", cover, e->d_name) >= (int)sizeof(dst))
			return fail("path of", e->d_name, ENAMETOOLONG);
		unsigned char type = e->d_type;
		struct stat st;
		if (type == DT_UNKNOWN && stat(src, &st) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		int err = mount_point(dst, type);
		if (err < 0)
			return fail("create", dst, -err);
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			return fail("bind mount", src, errno);
	}
	if (errno != 0)
		return fail("readdir", dir, errno);
	for (size_t i = 0; i < n; i++) {
		if (!files[i].added || split_target(files[i].target, fdir, sizeof(fdir), &base) < 0 || strcmp(fdir, dir) != 0)
			continue;
		if (access(files[i].target, F_OK) == 0)
			continue;
		if (snprintf(src, sizeof(src), "%s/%zu", stage, i) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", cover, base) >= (int)sizeof(dst))
			return fail("staging path for", files[i].target, ENAMETOOLONG);
		int err = write_text(src, files[i].text, 0644);
		if (err == 0)
			err = mount_point(dst, DT_REG);
		if (err < 0)
			return fail("create", dst, -err);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return fail("bind mount over", dst, errno);
		if (mount(NULL, dst, NULL, rw, NULL) < 0)
			return fail("remount", dst, errno);
	}
	if (mount(NULL, cover, NULL, ro, NULL) < 0)
		return fail("remount read-only", cover, errno);
	if (mount(cover, dir, NULL, MS_MOVE, NULL) < 0)
		return fail("move cover over", dir, errno);
	return 0;
}

/* Cover each directory that gets an added file, once; skip files the host still has or whose directory is gone. */
static int add_files(const char *stage, const struct identity_file *files, size_t n)
{
	char dir[PATH_MAX], prev[PATH_MAX];
	const char *base;
	struct stat st;
	size_t covered[IDENTITY_MAX_FILES]; /* the file whose directory each cover is for */
	size_t covers = 0;

	for (size_t i = 0; i < n; i++) {
		if (!files[i].added || access(files[i].target, F_OK) == 0)
			continue;
		if (split_target(files[i].target, dir, sizeof(dir), &base) < 0)
			return fail("directory of", files[i].target, EINVAL);
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		int seen = 0;
		for (size_t c = 0; c < covers && !seen; c++)
			seen = split_target(files[covered[c]].target, prev, sizeof(prev), &base) == 0 && strcmp(prev, dir) == 0;
		if (seen)
			continue;
		if (cover_dir(stage, covers, dir, files, n) < 0)
			return -1;
		covered[covers++] = i;
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
	/* Added files first: an identity file in a covered directory is then bound over the cover's bind. */
	if (add_files(stage, files, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (files[i].added)
			continue;
		if (snprintf(src, sizeof(src), "%s/%zu", stage, i) >= (int)sizeof(src))
			return fail("staging path for", files[i].target, ENAMETOOLONG);
		int err = write_text(src, files[i].text, 0444);
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
