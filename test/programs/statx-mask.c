/*
 * statx-mask MASK [PATH [nobody]]
 *
 * statx of a fresh memfd (AT_EMPTY_PATH, ""), or of PATH, asking for MASK (a number); with
 * "nobody", after dropping to uid and gid 65534 without groups (root only). Prints the
 * result, stx_mask in hex (mask), whether STATX_BTIME was reported (btime: 1 or 0) and the birth
 * time's seconds (btime_sec), and stx_mnt_id (mnt_id). Made with syscall(2).
 */
#include <fcntl.h>
#include <linux/stat.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "kv.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4 || (argc == 4 && strcmp(argv[3], "nobody") != 0))
		kv_usage("statx-mask MASK [PATH [nobody]]");
	if (argc == 4 && (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, 65534, 65534, 65534) != 0 ||
			  syscall(SYS_setresuid, 65534, 65534, 65534) != 0))
		kv_die("statx-mask", "drop to nobody", errno);
	unsigned mask = (unsigned)strtoul(argv[1], NULL, 0);
	struct statx stx;
	memset(&stx, 0xff, sizeof(stx));
	long ret;
	if (argc >= 3) {
		ret = syscall(SYS_statx, AT_FDCWD, argv[2], 0, mask, &stx);
	} else {
		int m = memfd_create("statx-mask", 0);
		if (m < 0)
			kv_die("statx-mask", "memfd_create", errno);
		ret = syscall(SYS_statx, m, "", AT_EMPTY_PATH, mask, &stx);
	}
	kv_result("", ret, errno);
	char hex[32];
	snprintf(hex, sizeof(hex), "%x", ret == 0 ? stx.stx_mask : 0);
	kv_str("mask", hex);
	kv_long("btime", ret == 0 && (stx.stx_mask & STATX_BTIME) ? 1 : 0);
	kv_long("btime_sec", ret == 0 ? (long)stx.stx_btime.tv_sec : -1);
	kv_long("mnt_id", ret == 0 ? (long)stx.stx_mnt_id : -1);
	return 0;
}
