/*
 * Syscalls that `syscall` and `loop` refuse to make. Tests run as root and pass
 * raw integers as arguments, so anything that acts outside the calling process
 * with integer arguments alone (reboot, kill(-1, SIGKILL), ftruncate(1, 0),
 * iopl) could damage the host. The list also covers path-taking calls that
 * change the filesystem, mounts, modules, the clock or the host's identity,
 * in case a caller finds a valid pointer. Each entry exists only on the ABIs
 * whose headers define it.
 *
 * Not listed, on purpose: iopl, ioperm, init_module, finit_module,
 * delete_module, kexec_load and kexec_file_load. The shim answers them for
 * personas whose kernels had them while this host's build lacks them, and the
 * tests must call them. With the arguments the tests pass (level 0, NULL
 * pointers, nothing to turn on) they change nothing on any kernel.
 */
#ifndef CR_SHIM_TEST_SYSCALL_DENY_H
#define CR_SHIM_TEST_SYSCALL_DENY_H

#include <stddef.h>
#include <sys/syscall.h>

struct denied_syscall {
	long nr;
	const char *name;
};

#define DENY(sys) { SYS_##sys, #sys },

static const struct denied_syscall denied_syscalls[] = {
	/* Other processes and the machine. */
	DENY(reboot)
	DENY(kill)
	DENY(tkill)
	DENY(tgkill)
	DENY(rt_sigqueueinfo)
	DENY(rt_tgsigqueueinfo)
#ifdef SYS_pidfd_send_signal
	DENY(pidfd_send_signal)
#endif
	DENY(ptrace)
	DENY(process_vm_writev)
	DENY(vhangup)
	DENY(acct)
	DENY(swapon)
	DENY(swapoff)
	/* Open files: integer arguments suffice to truncate stdout or a log. */
	DENY(ftruncate)
	DENY(fallocate)
#ifdef SYS_ftruncate64
	DENY(ftruncate64)
#endif
	/* Host identity, clock, modules, mounts. */
	DENY(sethostname)
	DENY(setdomainname)
	DENY(settimeofday)
	DENY(clock_settime)
	DENY(adjtimex)
	DENY(clock_adjtime)
	DENY(mount)
	DENY(umount2)
#ifdef SYS_umount
	DENY(umount)
#endif
	DENY(pivot_root)
	DENY(chroot)
	/* Files by path. */
#ifdef SYS_unlink
	DENY(unlink)
#endif
	DENY(unlinkat)
#ifdef SYS_rmdir
	DENY(rmdir)
#endif
#ifdef SYS_rename
	DENY(rename)
#endif
	DENY(renameat)
#ifdef SYS_renameat2
	DENY(renameat2)
#endif
	DENY(truncate)
#ifdef SYS_truncate64
	DENY(truncate64)
#endif
};

#undef DENY

#if defined(__x86_64__)
/* x32 numbers reach the same handlers with bit 30 set; 512..547 are x32-only
 * entry points for ptrace, rt_sigqueueinfo, process_vm_writev and the like. */
#define X32_SYSCALL_BIT 0x40000000L
#define X32_ONLY_FIRST 512
#define X32_ONLY_LAST 547
#endif

/**
 * The name of the denied syscall that the kernel would run for NR, or NULL if
 * NR may be called. NR is compared as the kernel reads it: a 32-bit int.
 */
static inline const char *syscall_denied(long long nr)
{
	if (nr < -2147483648LL || nr > 2147483647LL)
		return "out-of-range";
	long n = (long)nr;
#if defined(__x86_64__)
	if (n >= 0 && (n & X32_SYSCALL_BIT) != 0) {
		n &= ~X32_SYSCALL_BIT;
		if (n >= X32_ONLY_FIRST && n <= X32_ONLY_LAST)
			return "x32-only";
	}
#endif
	for (size_t i = 0; i < sizeof(denied_syscalls) / sizeof(denied_syscalls[0]); i++)
		if (denied_syscalls[i].nr == n)
			return denied_syscalls[i].name;
	return NULL;
}

#endif
