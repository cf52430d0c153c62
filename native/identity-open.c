/*
 * The supervisor performs a trapped task's open itself and decides by the
 * file it opened, so no check-then-use race is left (a CONTINUE after a path
 * check lets another thread swap the path before the kernel reads it again).
 *
 * How the open is made to be the task's own, and why this way:
 *  - Resolution. The base directory is the task's own, taken through procfs's
 *    magic links: /proc/PID/root for an absolute path (with RESOLVE_IN_ROOT,
 *    so "..", absolute symlinks and the path itself stay inside the task's
 *    root, as chroot would keep them), /proc/PID/cwd or /proc/PID/fd/DIRFD for
 *    a relative one. The links lead into the task's mount namespace, so a
 *    restored tree in its own namespace resolves through its own mounts.
 *    openat2 against these fds needs no helper process and no chroot; the one
 *    difference left: a relative path of a chrooted task climbs ".." above its
 *    cwd up to our root, not its own. The decision does not depend on the
 *    resolution being exact: it looks at the opened file.
 *  - Credentials. fsuid, fsgid, supplementary groups and effective
 *    capabilities are per-thread in the kernel (glibc broadcasts setgroups
 *    and setfsuid to every thread; the raw syscalls do not), so the loop's own
 *    thread takes the task's for the open and its own back afterwards: five
 *    syscalls, no thread hand-off (a cross-thread wake-up costs more than the
 *    whole open on this VM). Permitted capabilities stay ours, so the way
 *    back is always open. A task in another user namespace gets no
 *    capabilities here: its CapEff counts only inside its namespace.
 *  - umask. Per fs_struct: the loop thread unshares CLONE_FS once, then sets
 *    the task's umask for opens that may create.
 *  - Blocking. Opened with O_NONBLOCK, cleared afterwards unless asked for: a
 *    FIFO (whose blocking open waits for the other end) is reopened on a
 *    detached helper thread that waits in its stead, so one task's FIFO never
 *    stalls the loop.
 *  - Decision. An identity file is a procfs file with the device and inode of
 *    ROOT/proc/version etc. (sysctl inode numbers are not stable across
 *    dentry eviction, so they are looked up again, only when the opened file
 *    is on procfs). A match is answered with a new read-only description of
 *    the persona's sealed memfd instead.
 *  - Added files (sysctl files a later kernel removed, e.g.
 *    net/ipv4/tcp_tw_recycle, gone in 4.12). Only an open that failed with
 *    ENOENT is looked at: its last component must be the file's name and its
 *    directory, opened as the task with the same resolution, must be the
 *    procfs directory ROOT/proc/sys/net/ipv4 (device and inode). Then the
 *    old kernel's checks are made (proc_sys_permission: the table's mode,
 *    root by euid, not by capability; O_CREAT|O_EXCL is EEXIST, O_DIRECTORY
 *    ENOTDIR) and the call is answered with a new description of the file's
 *    writable memfd, which keeps what is written for the supervisor's life.
 *    The supervisor opens only its own memfd: nothing of the host is opened
 *    with its privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "identity-open.h"
#include "seccomp-compat.h"
#include "tracee-string.h"

#define MAX_GROUPS 256
/* include/linux/fcntl.h */
#define VALID_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | \
			  FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | __O_TMPFILE)

struct task_creds {
	uint32_t fsuid, fsgid;
	uint32_t euid, egid;	/* what proc_sys_permission's test_perm() looks at */
	uint32_t groups[MAX_GROUPS];
	int ngroups;
	uint64_t cap_eff;
	unsigned umask;
	/* The task's own ids in its pid namespace (NStgid, NSpid): what /proc/self means to it. */
	long ns_tgid, ns_pid;
};

/* One open, everything it needs, so that a helper thread can own a copy. */
struct open_job {
	int listener;
	uint64_t id;
	pid_t pid;
	int base;	/* O_PATH fd of the directory the path starts from */
	int root;	/* O_PATH fd of the task's root */
	char path[PATH_MAX];
	struct open_how how;
	uint64_t user_resolve;	/* openat2's resolve flags as the task gave them */
	bool cloexec;
	struct open_compat compat;
	struct task_creds creds;
	/* Copies, so that a helper thread does not depend on the loop's action table living on. */
	struct {
		char path[64];
		int fd;
		unsigned mode;
		int net_admin;
	} ids[IDENTITY_MAX_ENTRIES];
	size_t nids;
};

/* ---- reading the task ---- */


/* /proc/PID/status: Uid, Gid (4th field: fs), Groups, CapEff, Umask. 0 or an errno. */
static int read_creds(pid_t pid, struct task_creds *c)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	if (len <= 0)
		return len < 0 ? errno : ESRCH;
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	c->umask = 022;
	bool uid = false, gid = false, cap = false;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned a, b, d, e;
		if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &d, &e) == 4) {
			c->euid = b;
			c->fsuid = e;
			uid = true;
		} else if (sscanf(line, "Gid: %u %u %u %u", &a, &b, &d, &e) == 4) {
			c->egid = b;
			c->fsgid = e;
			gid = true;
		} else if (strncmp(line, "Groups:", 7) == 0) {
			char *p = line + 7, *end;
			while (c->ngroups < MAX_GROUPS) {
				unsigned long g = strtoul(p, &end, 10);
				if (end == p)
					break;
				c->groups[c->ngroups++] = (uint32_t)g;
				p = end;
			}
		} else if (sscanf(line, "CapEff: %lx", (unsigned long *)&c->cap_eff) == 1) {
			cap = true;
		} else if (strncmp(line, "NStgid:", 7) == 0 || strncmp(line, "NSpid:", 6) == 0) {
			/* The last field is the innermost namespace's, the task's own view. */
			char *end = strchr(line, '\n'), *last = end ? end : line + strlen(line);
			while (last > line && last[-1] != '\t' && last[-1] != ' ')
				last--;
			*(line[2] == 't' ? &c->ns_tgid : &c->ns_pid) = strtol(last, NULL, 10);
		} else {
			sscanf(line, "Umask: %o", &c->umask);
		}
	}
	return uid && gid && cap ? 0 : EPROTO;
}

/* A task whose user namespace is not ours: its capabilities mean nothing here. */
static bool foreign_userns(pid_t pid)
{
	static __thread char ours[64];
	static __thread ssize_t ours_len = -1;
	char path[64], theirs[64];
	if (ours_len < 0)
		ours_len = readlink("/proc/self/ns/user", ours, sizeof(ours) - 1);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	ssize_t a = readlink(path, theirs, sizeof(theirs) - 1);
	return a < 0 || ours_len < 0 || a != ours_len || memcmp(theirs, ours, (size_t)a) != 0;
}

/* ---- credentials of the calling thread ---- */

struct own_creds {
	uint32_t fsuid, fsgid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	struct __user_cap_data_struct caps[2];
};

static int capset_thread(const struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	return (int)syscall(SYS_capset, &h, d);
}

static int save_own(struct own_creds *o)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	if (syscall(SYS_capget, &h, o->caps) < 0)
		return errno;
	/* setfsuid returns the previous value whatever it is given; -1 is never valid, so nothing changes. */
	o->fsuid = (uint32_t)syscall(SYS_setfsuid, -1);
	o->fsgid = (uint32_t)syscall(SYS_setfsgid, -1);
	o->ngroups = (int)syscall(SYS_getgroups, MAX_GROUPS, o->groups);
	return o->ngroups < 0 ? errno : 0;
}

/* Take the task's fs credentials on this thread only (raw syscalls: glibc would change every thread). */
static int become(const struct task_creds *t, const struct own_creds *o, bool caps_count)
{
	gid_t groups[MAX_GROUPS];
	for (int i = 0; i < t->ngroups; i++)
		groups[i] = t->groups[i];
	if (syscall(SYS_setgroups, t->ngroups, groups) < 0)
		return errno;
	syscall(SYS_setfsgid, t->fsgid);
	syscall(SYS_setfsuid, t->fsuid);
	struct __user_cap_data_struct d[2] = { o->caps[0], o->caps[1] };
	uint64_t eff = caps_count ? t->cap_eff : 0;
	d[0].effective = (uint32_t)eff & o->caps[0].permitted;
	d[1].effective = (uint32_t)(eff >> 32) & o->caps[1].permitted;
	return capset_thread(d) < 0 ? errno : 0;
}

/* Back to our own: capabilities first, which setgroups needs. */
static void unbecome(const struct own_creds *o)
{
	capset_thread(o->caps);
	syscall(SYS_setfsuid, o->fsuid);
	syscall(SYS_setfsgid, o->fsgid);
	syscall(SYS_setgroups, o->ngroups, o->groups);
}

/* ---- the open and the decision ---- */

static bool on_procfs(int fd, const struct stat *st)
{
	struct statfs sfs;
	return major(st->st_dev) == 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The persona's fd for what fd (whose fstat is st) opened, or -1 when it is not an identity file. */
static int identity_match(int fd, const struct stat *stp, const struct open_job *j)
{
	struct stat st = *stp, id;
	if (!on_procfs(fd, &st))
		return -1;
	for (size_t i = 0; i < j->nids; i++) {
		if (j->ids[i].mode != 0)
			continue; /* an added file: the host has no such file to match */
		if (fstatat(j->root, j->ids[i].path, &id, 0) == 0 && id.st_dev == st.st_dev && id.st_ino == st.st_ino) {
			char self[64];
			/* A new open file description: its own offset, as each open of a /proc file has. */
			snprintf(self, sizeof(self), "/proc/self/fd/%d", j->ids[i].fd);
			return open(self, O_RDONLY | O_CLOEXEC);
		}
	}
	return -1;
}

/* Install fd in the task as the call's result. */
static enum identity_outcome send_fd(const struct open_job *j, int fd, struct seccomp_notif_resp *resp)
{
	struct seccomp_notif_addfd add = {
		.id = j->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)fd,
		.newfd = 0,
		.newfd_flags = j->cloexec ? O_CLOEXEC : 0,
	};
	if (ioctl(j->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0)
		return IDENTITY_SENT;
	if (errno == ENOENT)
		return IDENTITY_GONE;
	/* EMFILE and the like: the task's own limits, its own error. */
	resp->error = -errno;
	return IDENTITY_REPLY;
}

/* O_DIRECT on a file whose mapping is shmem's, which kernels before 6.6 refused (struct open_compat). */
static bool direct_refused(const struct open_job *j, int fd, const struct stat *st)
{
	struct statfs sfs;
	if (!j->compat.direct_shmem_einval || !(j->how.flags & O_DIRECT) || (j->how.flags & O_PATH))
		return false;
	/* A block device's open points f_mapping at the bdev's, which has ->direct_IO. */
	return !S_ISBLK(st->st_mode) && fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

/* Answer with fd, which the task's open gave (st: its fstat), or with the persona's text instead. */
static enum identity_outcome open_and_answer(struct open_job *j, int fd, const struct stat *st, struct seccomp_notif_resp *resp)
{
	autoclose int opened = fd;
	if (direct_refused(j, opened, st)) {
		/* The task opened it itself (its credentials): the filesystem is a fact it could learn. */
		resp->error = -EINVAL;
		return IDENTITY_REPLY;
	}
	autoclose int persona = identity_match(opened, st, j);
	return send_fd(j, persona >= 0 ? persona : opened, resp);
}

static __thread bool thread_ready;
static __thread struct own_creds thread_own;

/* Once per thread: our own fs_struct (for umask) and our credentials to come back to. */
static int prepare_thread(void)
{
	if (thread_ready)
		return 0;
	if (unshare(CLONE_FS) < 0)
		return errno;
	int err = save_own(&thread_own);
	if (err)
		return err;
	thread_ready = true;
	return 0;
}

/* ---- resolving a path that holds symlinks, as the task would ---- */

#define MAX_LINKS 40 /* the kernel's MAXSYMLINKS */
#define PROC_ROOT_INO 1

static bool same_inode(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_proc_root(int dir)
{
	struct stat st;
	return fstat(dir, &st) == 0 && st.st_ino == PROC_ROOT_INO && on_procfs(dir, &st);
}

static bool dir_on_procfs(int dir)
{
	struct stat st;
	return fstat(dir, &st) == 0 && on_procfs(dir, &st);
}

/* Replace *cur with next (owned), closing the old one. */
static void step(int *cur, int next)
{
	close(*cur);
	*cur = next;
}

/*
 * Walk j->path one component at a time from the task's root or base directory,
 * opening the last one with the task's flags. Needed when the path holds a
 * symlink, because procfs's "self" and "thread-self" name whoever resolves
 * them: the supervisor would read its own /proc/self/fd. They are replaced by
 * the task's ids; other symlinks are spliced in as text, except procfs's magic
 * links (/proc/PID/fd/N, cwd, root, exe, ns/NAME), which only the kernel can follow,
 * and does so with the task's credentials, which this thread holds.
 * The fd, or -1 with errno.
 */
static int walk_open(struct open_job *j, const struct open_how *how)
{
	char bufs[2][PATH_MAX * 2];
	int which = 0, links = 0;
	char *rest = bufs[0];
	snprintf(rest, sizeof(bufs[0]), "%s", j->path);
	bool in_root = j->how.resolve & RESOLVE_IN_ROOT;
	int top = in_root ? j->base : j->root;
	autoclose int cur = fcntl(rest[0] == '/' ? top : j->base, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -1;

	for (;;) {
		if (*rest == '/') {
			while (*rest == '/')
				rest++;
		}
		char *comp = rest, *slash = strchr(rest, '/');
		bool trailing = false;
		if (slash) {
			*slash = '\0';
			rest = slash + 1;
			while (*rest == '/')
				rest++;
			trailing = *rest == '\0';
		} else {
			rest = comp + strlen(comp);
		}
		bool last = *rest == '\0';
		if (*comp == '\0')
			comp = ".";

		char self[64] = "";
		if (is_proc_root(cur) && strcmp(comp, "self") == 0)
			snprintf(self, sizeof(self), "%ld", j->creds.ns_tgid);
		else if (is_proc_root(cur) && strcmp(comp, "thread-self") == 0)
			snprintf(self, sizeof(self), "%ld/task/%ld", j->creds.ns_tgid, j->creds.ns_pid);
		if (*self) {
			/* The task's /proc/self: continue from its own pid directory. */
			char *next = bufs[which ^= 1];
			snprintf(next, sizeof(bufs[0]), "%s%s%s", self, last ? "" : "/", rest);
			if (trailing)
				strcat(next, "/");
			rest = next;
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			int up = same_inode(cur, top) ? fcntl(cur, F_DUPFD_CLOEXEC, 0) : openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (up < 0)
				return -1;
			step(&cur, up);
			comp = ".";
		}
		int probe = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		bool link = probe >= 0 && fstat(probe, &st) == 0 && S_ISLNK(st.st_mode);
		bool follow = link && (!last || trailing || !(how->flags & O_NOFOLLOW));
		if (follow && dir_on_procfs(cur)) {
			/* A procfs link below the root is a magic link: the kernel follows it, as this task. */
			close(probe);
			if (last) {
				struct open_how h = *how;
				h.resolve &= ~(uint64_t)(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
				return (int)syscall(SYS_openat2, cur, comp, &h, sizeof(h));
			}
			int next = openat(cur, comp, O_PATH | O_CLOEXEC);
			if (next < 0)
				return -1;
			step(&cur, next);
			continue;
		}
		if (follow) {
			char target[PATH_MAX];
			ssize_t len = readlinkat(probe, "", target, sizeof(target) - 1);
			close(probe);
			if (len < 0)
				return -1;
			target[len] = '\0';
			if (++links > MAX_LINKS) {
				errno = ELOOP;
				return -1;
			}
			char *next = bufs[which ^= 1];
			snprintf(next, sizeof(bufs[0]), "%s%s%s%s", target, last ? "" : "/", rest, trailing ? "/" : "");
			rest = next;
			if (target[0] == '/') {
				int r = fcntl(top, F_DUPFD_CLOEXEC, 0);
				if (r < 0)
					return -1;
				step(&cur, r);
			}
			continue;
		}
		if (!last) {
			if (probe < 0)
				return -1;
			step(&cur, probe);
			continue;
		}
		if (probe >= 0)
			close(probe);
		/* Open the last component; NO_SYMLINKS turns a symlink swapped in since the probe into ELOOP. */
		char final[PATH_MAX + 2];
		snprintf(final, sizeof(final), "%s%s", comp, trailing ? "/" : "");
		struct open_how h = *how;
		h.resolve = (h.resolve & ~(uint64_t)RESOLVE_IN_ROOT) | RESOLVE_NO_SYMLINKS;
		return (int)syscall(SYS_openat2, cur, final, &h, sizeof(h));
	}
}

/* The task's fs credentials are this thread's already (a root task under a root supervisor): nothing to switch. */
static bool same_creds(const struct task_creds *t, const struct own_creds *o)
{
	uint64_t eff = (uint64_t)o->caps[1].effective << 32 | o->caps[0].effective;
	if (t->fsuid != o->fsuid || t->fsgid != o->fsgid || t->cap_eff != eff || t->ngroups != o->ngroups)
		return false;
	for (int i = 0; i < t->ngroups; i++)
		if (t->groups[i] != (uint32_t)o->groups[i])
			return false;
	return true;
}

static int open_as_task(struct open_job *j, uint64_t extra_flags)
{
	bool foreign = foreign_userns(j->pid);
	bool switch_creds = foreign || !same_creds(&j->creds, &thread_own);
	int err = switch_creds ? become(&j->creds, &thread_own, !foreign) : 0;
	if (err) {
		unbecome(&thread_own);
		errno = err;
		return -1;
	}
	if (j->how.flags & (O_CREAT | __O_TMPFILE))
		umask(j->creds.umask);
	struct open_how how = j->how;
	/* O_NOCTTY: a terminal must never become the supervisor's controlling terminal. */
	how.flags |= O_CLOEXEC | (how.flags & O_PATH ? 0 : O_NOCTTY | extra_flags);
	/*
	 * Fast path: a path without symlinks resolves the same for whoever walks it. Any symlink
	 * (ELOOP under RESOLVE_NO_SYMLINKS, also for a final one with O_NOFOLLOW) takes the walk.
	 */
	struct open_how fast = how;
	fast.resolve |= RESOLVE_NO_SYMLINKS;
	int fd = (int)syscall(SYS_openat2, j->base, j->path, &fast, sizeof(fast));
	if (fd < 0 && errno == ELOOP && !(j->user_resolve & RESOLVE_NO_SYMLINKS))
		fd = walk_open(j, &how);
	err = errno;
	if (switch_creds)
		unbecome(&thread_own);
	errno = err;
	return fd;
}

/* ---- added files: named by a failed open, answered with their stand-in ---- */

/* The index of the added file whose name is the last component of j->path, or -1. */
static int added_by_name(const struct open_job *j, const char *base)
{
	for (size_t i = 0; i < j->nids; i++) {
		const char *slash = strrchr(j->ids[i].path, '/');
		if (j->ids[i].mode != 0 && slash && strcmp(slash + 1, base) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * The added file a failed open of j named, or -1: the directory part of its path, opened as
 * the task (same base, same resolution: relative paths, dirfds, /proc/self/root and symlinks
 * alike), is the procfs directory that held the file in the task's root.
 */
static int added_match(struct open_job *j)
{
	const char *slash = strrchr(j->path, '/');
	const char *base = slash ? slash + 1 : j->path;
	int i = *base ? added_by_name(j, base) : -1; /* "name/" asks for a directory: not a file's */
	if (i < 0)
		return -1;
	struct open_job *dir = malloc(sizeof(*dir));
	if (!dir)
		return -1;
	*dir = *j;
	if (!slash)
		snprintf(dir->path, sizeof(dir->path), ".");
	else if (slash == j->path)
		snprintf(dir->path, sizeof(dir->path), "/");
	else
		dir->path[slash - j->path] = '\0';
	memset(&dir->how, 0, sizeof(dir->how));
	dir->how.flags = O_PATH | O_DIRECTORY;
	dir->how.resolve = j->how.resolve;
	autoclose int fd = open_as_task(dir, 0);
	free(dir);
	struct stat st, want;
	char edir[64];
	const char *eslash = strrchr(j->ids[i].path, '/');
	snprintf(edir, sizeof(edir), "%.*s", (int)(eslash - j->ids[i].path), j->ids[i].path);
	if (fd < 0 || fstat(fd, &st) != 0 || !on_procfs(fd, &st) || fstatat(j->root, edir, &want, 0) != 0)
		return -1;
	return st.st_dev == want.st_dev && st.st_ino == want.st_ino ? i : -1;
}

static bool in_group(const struct task_creds *c, uint32_t gid)
{
	if (c->egid == gid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/*
 * The old kernel's proc_sys_permission() for an open with these flags: test_perm() on the
 * table's mode, the owner's bits for euid 0 (not for a capability: root is by uid here), and
 * for net/ files also for CAP_NET_ADMIN (net_ctl_permissions, the initial network namespace's
 * rule); the group's bits for a member of group 0. may_open() asks for write with O_TRUNC.
 */
static bool added_permits(const struct open_job *j, int i)
{
	const struct task_creds *c = &j->creds;
	unsigned mode = j->ids[i].mode;
	bool net_admin = j->ids[i].net_admin && !foreign_userns(j->pid) && (c->cap_eff & (1ULL << CAP_NET_ADMIN));
	if (c->euid == 0 || net_admin)
		mode >>= 6;
	else if (in_group(c, 0))
		mode >>= 3;
	unsigned acc = (unsigned)(j->how.flags & O_ACCMODE);
	unsigned want = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
	if (j->how.flags & O_TRUNC)
		want |= 2;
	return (want & ~mode & 7) == 0;
}

/* Answer an open that named added file i: the old kernel's errors, else a new description of its memfd. */
static enum identity_outcome added_answer(struct open_job *j, int i, struct seccomp_notif_resp *resp)
{
	uint64_t fl = j->how.flags;
	int err = 0;
	if ((fl & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		err = EEXIST;
	else if (fl & O_DIRECTORY) /* also O_TMPFILE, which includes it */
		err = ENOTDIR;
	else if (!(fl & O_PATH) && !added_permits(j, i))
		err = EACCES;
	if (err) {
		resp->error = -err;
		return IDENTITY_REPLY;
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", j->ids[i].fd);
	int flags = O_CLOEXEC | (fl & O_PATH ? O_PATH : (int)(fl & (O_ACCMODE | O_TRUNC | O_APPEND | O_NONBLOCK)));
	autoclose int fd = open(self, flags);
	if (fd < 0) {
		resp->error = -errno;
		return IDENTITY_REPLY;
	}
	return send_fd(j, fd, resp);
}

static void job_free(struct open_job *j)
{
	if (j->base >= 0 && j->base != j->root)
		close(j->base);
	if (j->root >= 0)
		close(j->root);
	if (j->listener >= 0)
		close(j->listener);
	free(j);
}

/* A FIFO's blocking open, on its own thread: it may wait for the other end for ever. */
static void *blocking_open(void *arg)
{
	struct open_job *j = arg;
	struct seccomp_notif_resp resp = { .id = j->id };
	if (prepare_thread() == 0) {
		struct stat st;
		int fd = open_as_task(j, 0);
		enum identity_outcome o = IDENTITY_REPLY;
		if (fd < 0 || fstat(fd, &st) != 0)
			resp.error = -errno;
		else
			o = open_and_answer(j, fd, &st, &resp);
		if (o == IDENTITY_REPLY)
			ioctl(j->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	} else {
		resp.error = -EAGAIN;
		ioctl(j->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	job_free(j);
	return NULL;
}

/* Hand j over to a detached thread (which owns it and a dup of the listener from now on). */
static enum identity_outcome hand_over(struct open_job *j, struct seccomp_notif_resp *resp)
{
	struct open_job *copy = malloc(sizeof(*copy));
	if (!copy) {
		resp->error = -ENOMEM;
		return IDENTITY_REPLY;
	}
	*copy = *j;
	copy->listener = fcntl(j->listener, F_DUPFD_CLOEXEC, 0);
	j->base = j->root = -1; /* owned by the copy now */
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = copy->listener < 0 ? errno : pthread_create(&t, &attr, blocking_open, copy);
	pthread_attr_destroy(&attr);
	if (err) {
		job_free(copy);
		resp->error = -err;
		return IDENTITY_REPLY;
	}
	return IDENTITY_SENT;
}

static int open_proc_link(pid_t pid, const char *what, int *out)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", pid, what);
	*out = open(p, O_PATH | O_CLOEXEC);
	return *out < 0 ? errno : 0;
}

/* Arguments of the call into j; 0 or the errno the kernel would give. */
static int decode(const struct seccomp_notif *n, enum open_form form, struct open_job *j, int *dirfd)
{
	const __u64 *a = n->data.args;
	uint64_t path_addr;
	memset(&j->how, 0, sizeof(j->how));
	switch (form) {
	case OPEN_FORM_OPEN:
		*dirfd = AT_FDCWD;
		path_addr = a[0];
		j->how.flags = (uint32_t)a[1];
		j->how.mode = (uint32_t)a[2];
		break;
	case OPEN_FORM_OPENAT:
		*dirfd = (int)a[0];
		path_addr = a[1];
		j->how.flags = (uint32_t)a[2];
		j->how.mode = (uint32_t)a[3];
		break;
	default: {
		*dirfd = (int)a[0];
		path_addr = a[1];
		/* struct open_how grows by extension: a larger struct must have zeros past what we know. */
		if (a[3] < 24) /* OPEN_HOW_SIZE_VER0 */
			return EINVAL;
		unsigned char raw[256] = { 0 };
		size_t size = a[3] < sizeof(raw) ? (size_t)a[3] : sizeof(raw);
		if (a[3] > sizeof(raw))
			return E2BIG;
		struct iovec local = { raw, size }, remote = { (void *)(uintptr_t)a[2], size };
		if (process_vm_readv((pid_t)n->pid, &local, 1, &remote, 1, 0) != (ssize_t)size)
			return EFAULT;
		for (size_t i = sizeof(j->how); i < size; i++)
			if (raw[i])
				return E2BIG;
		memcpy(&j->how, raw, size < sizeof(j->how) ? size : sizeof(j->how));
		/* Bits the persona's openat2 accepted: dropped, so this kernel opens as that one did. */
		j->how.flags &= ~j->compat.openat2_accept;
		break;
	}
	}
	/*
	 * open and openat drop unknown flag bits, every flag but a few under O_PATH, and the mode
	 * without O_CREAT/O_TMPFILE (fs/open.c build_open_how); openat2 refuses them instead.
	 */
	if (form != OPEN_FORM_OPENAT2) {
		j->how.flags &= VALID_OPEN_FLAGS;
		if (j->how.flags & O_PATH)
			j->how.flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		if (!(j->how.flags & (O_CREAT | __O_TMPFILE)))
			j->how.mode = 0;
		j->how.mode &= 07777;
	}
	j->cloexec = (j->how.flags & O_CLOEXEC) != 0;
	j->user_resolve = j->how.resolve;
	return tracee_read_string((pid_t)n->pid, path_addr, j->path);
}

enum identity_outcome identity_open(int listener, const struct seccomp_notif *n, enum open_form form,
				    const struct identity_entry *ids, size_t nids, const struct open_compat *compat,
				    struct seccomp_notif_resp *resp)
{
	struct open_job j = { .listener = listener, .id = n->id, .pid = (pid_t)n->pid, .base = -1, .root = -1, .compat = *compat };
	enum identity_outcome o = IDENTITY_REPLY;
	int dirfd, err, fd;
	struct stat st;

	for (size_t i = 0; i < nids && i < IDENTITY_MAX_ENTRIES; i++) {
		snprintf(j.ids[i].path, sizeof(j.ids[i].path), "%s", ids[i].path);
		j.ids[i].fd = ids[i].fd;
		j.ids[i].mode = ids[i].mode;
		j.ids[i].net_admin = ids[i].net_admin;
		j.nids = i + 1;
	}
	err = decode(n, form, &j, &dirfd);
	if (err)
		goto reply;
	/*
	 * SECCOMP_IOCTL_NOTIF_ADDFD takes its source with fget(), which refuses O_PATH files (EBADF):
	 * an O_PATH open cannot be answered with an fd of ours. The kernel makes it: an O_PATH fd
	 * reads nothing, and reopening it through /proc/self/fd is another open, trapped here.
	 * (openat2's O_PATH with a flag beyond O_PATH_FLAGS, an accepted __FMODE_NONOTIFY too, is
	 * EINVAL there as it was on the persona's kernel.)
	 */
	if (j.how.flags & O_PATH) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return IDENTITY_REPLY;
	}
	err = prepare_thread();
	if (err)
		goto reply;
	/* From here on, ENOENT from /proc/PID means the task went away. */
	if (read_creds(j.pid, &j.creds) != 0 || open_proc_link(j.pid, "root", &j.root) != 0)
		goto gone;
	if (j.path[0] == '/' && !(j.how.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))) {
		j.base = j.root;
		j.how.resolve |= RESOLVE_IN_ROOT;
	} else {
		char what[32];
		snprintf(what, sizeof(what), dirfd == AT_FDCWD ? "cwd" : "fd/%d", dirfd);
		err = open_proc_link(j.pid, what, &j.base);
		if (err == ENOENT)
			err = EBADF; /* no such fd in the task */
	}
	/* The pid in /proc may have been reused since the notification: act only for the same task. */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &j.id) != 0)
		goto gone;
	if (err)
		goto reply;

	fd = open_as_task(&j, O_NONBLOCK);
	int open_err = fd < 0 ? errno : 0;
	int added = open_err == ENOENT ? added_match(&j) : -1;
	errno = open_err;
	if (added >= 0) {
		o = added_answer(&j, added, resp);
	} else if (fd < 0 && errno == ENXIO && (j.how.flags & O_ACCMODE) == O_WRONLY && !(j.how.flags & O_NONBLOCK)) {
		o = hand_over(&j, resp); /* a FIFO without a reader: wait for one elsewhere */
	} else if (fd < 0) {
		err = errno;
		goto reply;
	} else if (fstat(fd, &st) != 0) {
		err = errno;
		close(fd);
		goto reply;
	} else if (!(j.how.flags & (O_NONBLOCK | O_PATH)) && S_ISFIFO(st.st_mode)) {
		close(fd);
		o = hand_over(&j, resp);
	} else {
		/* F_SETFL sets only the status flags (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME, O_NONBLOCK): the task's, without ours. */
		if (!(j.how.flags & (O_NONBLOCK | O_PATH)))
			fcntl(fd, F_SETFL, (int)(j.how.flags & ~(uint64_t)FASYNC)); /* open(2) ignores O_ASYNC; F_SETFL would not */
		o = open_and_answer(&j, fd, &st, resp);
	}
	goto out;
gone:
	o = IDENTITY_GONE;
	goto out;
reply:
	resp->error = -err;
	o = IDENTITY_REPLY;
out:
	if (j.base >= 0 && j.base != j.root)
		close(j.base);
	if (j.root >= 0)
		close(j.root);
	return o;
}

/* ---- statx as the task, with the persona's mask (handlers/statx-mask.ts) ---- */

/* include/uapi/linux/stat.h: where each bit's field lies in struct statx, zeroed when dropped. */
static const struct {
	uint32_t bit;
	size_t off, len;
} statx_fields[] = {
	{ STATX_BTIME, offsetof(struct statx, stx_btime), sizeof(struct statx_timestamp) },
	{ 0x1000 /* STATX_MNT_ID */, 144, 8 },
	{ 0x2000 /* STATX_DIOALIGN */, 152, 8 },
	{ 0x4000 /* STATX_MNT_ID_UNIQUE */, 144, 8 },
	{ 0x8000 /* STATX_SUBVOL */, 160, 8 },
	{ 0x10000 /* STATX_WRITE_ATOMIC */, 168, 12 },
	{ 0x20000 /* STATX_DIO_READ_ALIGN */, 180, 4 },
};

/* The struct as the persona's kernel wrote it (handlers/statx-mask.ts personaStatx does the same). */
static void persona_statx(unsigned char *b, uint32_t drop)
{
	uint32_t mask;
	memcpy(&mask, b, sizeof(mask));
	uint32_t gone = mask & drop, kept = mask & ~drop;
	for (size_t i = 0; i < sizeof(statx_fields) / sizeof(statx_fields[0]); i++) {
		uint32_t bit = statx_fields[i].bit;
		/* STATX_MNT_ID and STATX_MNT_ID_UNIQUE share stx_mnt_id. */
		uint32_t sharer = bit == 0x1000 ? 0x4000 : bit == 0x4000 ? 0x1000 : 0;
		if ((gone & bit) && !(kept & sharer))
			memset(b + statx_fields[i].off, 0, statx_fields[i].len);
	}
	memcpy(b, &kept, sizeof(kept));
}

#define AT_STATX_SYNC_TYPE_ 0x6000
#define STATX_RESERVED_ 0x80000000U

enum identity_outcome statx_as_task(int listener, const struct seccomp_notif *n, uint32_t drop, int btime_tmpfs,
				    struct seccomp_notif_resp *resp)
{
	struct open_job j = { .listener = listener, .id = n->id, .pid = (pid_t)n->pid, .base = -1, .root = -1 };
	enum identity_outcome o = IDENTITY_REPLY;
	const __u64 *a = n->data.args;
	int dirfd = (int)a[0], flags = (int)a[2], fd = -1;
	uint32_t mask = (uint32_t)a[3];
	unsigned char stx[sizeof(struct statx)];

	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; /* until the answer is ours */
	if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE_)) ||
	    (flags & AT_STATX_SYNC_TYPE_) == AT_STATX_SYNC_TYPE_ || (mask & STATX_RESERVED_))
		return IDENTITY_REPLY; /* the kernel's EINVAL */
	int err = tracee_read_string(j.pid, a[1], j.path);
	bool empty = err == ENOENT && (flags & AT_EMPTY_PATH);
	if (err && !empty)
		return IDENTITY_REPLY; /* EFAULT, ENOENT, ENAMETOOLONG: the kernel's */
	if (prepare_thread() != 0 || read_creds(j.pid, &j.creds) != 0 || open_proc_link(j.pid, "root", &j.root) != 0)
		goto out;
	if (!empty && j.path[0] == '/') {
		j.base = j.root;
		j.how.resolve = RESOLVE_IN_ROOT;
	} else {
		char what[32];
		snprintf(what, sizeof(what), dirfd == AT_FDCWD ? "cwd" : "fd/%d", dirfd);
		if (open_proc_link(j.pid, what, &j.base) != 0)
			goto out; /* no such fd: the kernel's EBADF */
	}
	/* The pid in /proc may have been reused since the notification: act only for the same task. */
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &j.id) != 0) {
		o = IDENTITY_GONE;
		goto out;
	}
	if (empty) {
		/* statx of the descriptor itself: the file base's magic link names. */
		fd = fcntl(j.base, F_DUPFD_CLOEXEC, 0);
	} else {
		/* O_PATH needs what stat needs: search permission along the path, as the task. */
		j.how.flags = O_PATH | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
		j.user_resolve = 0;
		fd = open_as_task(&j, 0);
	}
	if (fd < 0)
		goto out; /* the task's own error, from the kernel */
	bool foreign = foreign_userns(j.pid);
	bool switch_creds = foreign || !same_creds(&j.creds, &thread_own);
	/* Made with the task's credentials too: a filesystem may check them at getattr (FUSE). */
	if (switch_creds && become(&j.creds, &thread_own, !foreign) != 0) {
		unbecome(&thread_own);
		goto out;
	}
	long r = syscall(SYS_statx, fd, "", AT_EMPTY_PATH | (flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE_)), mask & ~drop, stx);
	int statx_err = errno;
	if (switch_creds)
		unbecome(&thread_own);
	if (r < 0) {
		resp->flags = 0;
		resp->error = -statx_err;
		goto out;
	}
	struct statfs sfs;
	if (btime_tmpfs && fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
		drop |= STATX_BTIME;
	persona_statx(stx, drop);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &j.id) != 0) {
		o = IDENTITY_GONE;
		goto out;
	}
	struct iovec local = { stx, sizeof(stx) }, remote = { (void *)(uintptr_t)a[4], sizeof(stx) };
	resp->flags = 0;
	if (process_vm_writev(j.pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(stx))
		resp->error = -EFAULT;
	else
		resp->val = 0;
out:
	if (fd >= 0)
		close(fd);
	if (j.base >= 0 && j.base != j.root)
		close(j.base);
	if (j.root >= 0)
		close(j.root);
	return o;
}
