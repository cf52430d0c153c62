/*
 * open-direct PATH FLAGS
 *
 * Opens PATH with FLAGS (a number, e.g. 0x4002 for O_RDWR|O_DIRECT) three ways: open(2) (open_),
 * openat(2) from AT_FDCWD (openat_) and openat2(2) with how.flags = FLAGS (openat2_). PATH "memfd"
 * names a fresh memfd reopened through /proc/self/fd/N. Prints each result; st_type_ is the
 * opened file's statfs f_type in hex when openat2 succeeded. Every call is made with syscall(2).
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include "kv.h"

int main(int argc, char **argv)
{
	if (argc != 3)
		kv_usage("open-direct PATH|memfd FLAGS");
	char path[4096];
	snprintf(path, sizeof(path), "%s", argv[1]);
	if (strcmp(argv[1], "memfd") == 0) {
		int m = memfd_create("open-direct", 0);
		if (m < 0)
			kv_die("open-direct", "memfd_create", errno);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	}
	uint64_t flags = strtoull(argv[2], NULL, 0);
	long ret = syscall(SYS_open, path, (int)flags, 0600);
	kv_result("open_", ret, errno);
	ret = syscall(SYS_openat, AT_FDCWD, path, (int)flags, 0600);
	kv_result("openat_", ret, errno);
	struct open_how how = { .flags = flags, .mode = flags & O_CREAT ? 0600 : 0 };
	ret = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	kv_result("openat2_", ret, errno);
	if (ret >= 0) {
		struct statfs s;
		char hex[32];
		snprintf(hex, sizeof(hex), "%lx", fstatfs((int)ret, &s) == 0 ? (unsigned long)s.f_type : 0UL);
		kv_str("fs_type", hex);
	}
	return 0;
}
