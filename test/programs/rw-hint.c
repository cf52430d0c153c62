/*
 * rw-hint
 *
 * The per open file write hints, F_GET_FILE_RW_HINT and F_SET_FILE_RW_HINT (removed in 5.18),
 * on a private memfd: a NULL pointer for each (null_get_, null_set_), a hint out of range
 * (bad_set_), RWH_WRITE_LIFE_MEDIUM set (set_) and read back (get_, get_val), read through a dup
 * (dup_, dup_val: the same open file) and through a fresh open of /proc/self/fd/N (reopen_,
 * reopen_val: another open file), and after RWH_WRITE_LIFE_NONE set through the dup, read through
 * the first descriptor (back_val). Every call is made with syscall(2).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "kv.h"

#define F_GET_FILE_RW_HINT_ 1037
#define F_SET_FILE_RW_HINT_ 1038

static void get(const char *prefix, int fd)
{
	uint64_t h = 99;
	char key[32];
	long ret = syscall(SYS_fcntl, fd, F_GET_FILE_RW_HINT_, &h);
	kv_result(prefix, ret, errno);
	snprintf(key, sizeof(key), "%sval", prefix);
	kv_long(key, ret == 0 ? (long)h : -1);
}

static long set(int fd, uint64_t h)
{
	return syscall(SYS_fcntl, fd, F_SET_FILE_RW_HINT_, &h);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage("rw-hint");
	int fd = memfd_create("rw-hint", MFD_CLOEXEC);
	if (fd < 0)
		kv_die("rw-hint", "memfd_create", errno);
	long ret = syscall(SYS_fcntl, fd, F_GET_FILE_RW_HINT_, NULL);
	kv_result("null_get_", ret, errno);
	ret = syscall(SYS_fcntl, fd, F_SET_FILE_RW_HINT_, NULL);
	kv_result("null_set_", ret, errno);
	ret = set(fd, 6);
	kv_result("bad_set_", ret, errno);
	ret = set(fd, 3);
	kv_result("set_", ret, errno);
	get("get_", fd);
	int dup = (int)syscall(SYS_dup, fd);
	get("dup_", dup);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int again = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (again < 0)
		kv_die("rw-hint", "reopen", errno);
	get("reopen_", again);
	set(dup, 1);
	syscall(SYS_close, dup);
	get("back_", fd);
	return 0;
}
