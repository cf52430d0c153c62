/*
 * own-filter [--setsid]
 *
 * A program with a seccomp filter of its own, for checkpoint/restore of programs
 * under cr-shim: cr-shim's filter must go, this one must stay. It installs one
 * classic BPF filter, getpriority(2) -> ERRNO(EPERM), everything else allowed
 * (getpriority is harmless and neither CRIU's parasite nor glibc's start-up
 * calls it), then prints pid=, own_filter=1, probe.errname= (SYS_getpriority's
 * answer: EPERM while the filter is in force), ready=1, and once a second
 * counter= and probe.errname= again, until killed.
 *
 * --setsid: call setsid() first, so the process can be dumped without
 * criu --shell-job even when started from a shell or a test.
 *
 * Without CAP_SYS_ADMIN seccomp() needs no_new_privs: on EACCES it is set and
 * the call retried.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "kv.h"

#define TICK_MS 50
#define TICKS_PER_REPORT (1000 / TICK_MS)

static const struct sock_filter program[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getpriority, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static void probe(void)
{
	long ret = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	kv_str("probe.errname", ret == -1 ? kv_errname(errno) : "");
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--setsid") != 0))
		kv_usage("own-filter [--setsid]");
	/* EPERM: already a process group leader; fine if it already leads its session. */
	if (argc == 2 && setsid() < 0 && getsid(0) != getpid())
		kv_die("own-filter", "setsid", errno);

	struct sock_fprog prog = { .len = sizeof(program) / sizeof(program[0]), .filter = (struct sock_filter *)program };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		if (errno != EACCES)
			kv_die("own-filter", "seccomp", errno);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			kv_die("own-filter", "prctl(PR_SET_NO_NEW_PRIVS)", errno);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			kv_die("own-filter", "seccomp", errno);
	}

	kv_long("pid", getpid());
	kv_long("own_filter", 1);
	probe();
	kv_long("ready", 1);
	for (unsigned long counter = 0;;) {
		struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };
		/* EINTR (a restore, a stop/continue) just ends this tick early. */
		nanosleep(&tick, NULL);
		counter++;
		if (counter % TICKS_PER_REPORT == 0) {
			kv_long("counter", (long)counter);
			probe();
		}
	}
}
