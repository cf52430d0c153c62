/*
 * proc-identity
 *
 * Reads the kernel identity files every way a program might open them: the
 * open and openat syscalls directly (glibc's open() is openat), openat relative
 * to a /proc directory fd, fopen(), and relative paths after
 * chdir("/proc/sys/kernel"). Prints METHOD.FILE=contents; a failed read prints
 * METHOD.FILE.error=ERRNAME and the program exits with the first such errno.
 */
#include <fcntl.h>
#include <sys/syscall.h>

#include "kv.h"

struct identity_file {
	const char *key;
	const char *absolute;      /* for open, openat, fopen */
	const char *from_proc;     /* relative to a /proc dirfd */
	const char *from_kernel;   /* relative to /proc/sys/kernel */
};

static const struct identity_file files[] = {
	{ "proc_version", "/proc/version", "version", "../../version" },
	{ "osrelease", "/proc/sys/kernel/osrelease", "sys/kernel/osrelease", "osrelease" },
	{ "kernel_version", "/proc/sys/kernel/version", "sys/kernel/version", "version" },
	{ "ostype", "/proc/sys/kernel/ostype", "sys/kernel/ostype", "ostype" },
};

enum method { BY_OPEN, BY_OPENAT, BY_OPENAT_DIRFD, BY_FOPEN, BY_RELATIVE };

static const char *const method_names[] = {
	[BY_OPEN] = "open",
	[BY_OPENAT] = "openat",
	[BY_OPENAT_DIRFD] = "openat_dirfd",
	[BY_FOPEN] = "fopen",
	[BY_RELATIVE] = "relative",
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static void close_file(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

/* Returns 0 or an errno value; CONTENT holds LEN bytes on success. */
static int read_fd(int fd, char *content, size_t size, size_t *len)
{
	*len = 0;
	while (*len < size) {
		ssize_t n = read(fd, content + *len, size - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

static int read_by(enum method method, const struct identity_file *file, int proc_dirfd,
		   char *content, size_t size, size_t *len)
{
	if (method == BY_FOPEN) {
		__attribute__((cleanup(close_file))) FILE *f = fopen(file->absolute, "re");
		if (f == NULL)
			return errno;
		*len = fread(content, 1, size, f);
		return ferror(f) ? EIO : 0;
	}

	__attribute__((cleanup(close_fd))) int fd = -1;
	switch (method) {
	case BY_OPEN:
		fd = (int)syscall(SYS_open, file->absolute, O_RDONLY | O_CLOEXEC);
		break;
	case BY_OPENAT:
		fd = (int)syscall(SYS_openat, AT_FDCWD, file->absolute, O_RDONLY | O_CLOEXEC);
		break;
	case BY_OPENAT_DIRFD:
		fd = (int)syscall(SYS_openat, proc_dirfd, file->from_proc, O_RDONLY | O_CLOEXEC);
		break;
	case BY_RELATIVE:
		fd = (int)syscall(SYS_open, file->from_kernel, O_RDONLY | O_CLOEXEC);
		break;
	case BY_FOPEN:
		break;
	}
	if (fd == -1)
		return errno;
	return read_fd(fd, content, size, len);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage("proc-identity");

	__attribute__((cleanup(close_fd))) int proc_dirfd =
		(int)syscall(SYS_openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_dirfd == -1)
		kv_die("proc-identity", "openat /proc", errno);

	int first_err = 0;
	for (enum method m = BY_OPEN; m <= BY_RELATIVE; m++) {
		if (m == BY_RELATIVE && chdir("/proc/sys/kernel") == -1)
			kv_die("proc-identity", "chdir /proc/sys/kernel", errno);
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			char content[4096];
			size_t len = 0;
			char key[64];
			int err = read_by(m, &files[i], proc_dirfd, content, sizeof(content), &len);
			if (err == 0) {
				snprintf(key, sizeof(key), "%s.%s", method_names[m], files[i].key);
				kv_bytes(key, content, len);
			} else {
				snprintf(key, sizeof(key), "%s.%s.error", method_names[m], files[i].key);
				kv_str(key, kv_errname(err));
				if (first_err == 0)
					first_err = err;
			}
		}
	}
	return first_err;
}
