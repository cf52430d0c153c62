/*
 * Kernel facts (x86_64):
 *  - before 5.8, elf_read_implies_exec(ex, stk) was stk != EXSTACK_DISABLE_X: a 64-bit image
 *    without PT_GNU_STACK, or with an executable one, ran with READ_IMPLIES_EXEC (readable
 *    mappings executable). Since 5.8 only ia32 images without PT_GNU_STACK get it.
 *  - set_personality_64bit clears it at every exec, so a personality set before the exec
 *    does not survive it: it must be set in the new image, after the exec.
 *  - personality is per thread (task_struct): every thread of a process needs the call.
 *  - execve's return writes ax after PTRACE_EVENT_EXEC, so registers set in that stop do not
 *    hold: a single step first stops at the syscall's exit (SYSCALL_EXIT_TRAP,
 *    report_single_step), before the program's first instruction.
 *  - a `syscall` instruction (0f 05) written over the current instruction through
 *    /proc/PID/mem (the process's own copy of the page) runs the call under a single step,
 *    which stops at its exit; then the bytes and registers go back.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "read-implies-exec.h"

bool read_implies_exec_wanted(pid_t pid)
{
	char path[64];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 || eh.e_phentsize < sizeof(ph))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_GNU_STACK)
			return (ph.p_flags & PF_X) != 0;
	}
	return true;
}

/* The thread's personality (/proc/TID/personality, hex); 0 when unreadable. */
static unsigned long personality_of(pid_t tid)
{
	char path[64];
	unsigned long value = 0;
	snprintf(path, sizeof(path), "/proc/%d/personality", tid);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lx", &value) != 1)
			value = 0;
		fclose(f);
	}
	return value;
}

/*
 * Resume with a single step and wait for its SIGTRAP stop; 0 or an errno. A thread seized in a
 * group-stop and interrupted reports PTRACE_EVENT_STOP once more before it runs: step again.
 */
static int step(pid_t tid, ptrace_wait_fn wait)
{
	for (int tries = 0; tries < 4; tries++) {
		int status, err;
		if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0) < 0)
			return errno;
		if ((err = wait(tid, &status)) != 0)
			return err;
		if (!WIFSTOPPED(status))
			return ESRCH;
		if (status >> 8 == SIGTRAP)
			return 0;
		if (status >> 16 != PTRACE_EVENT_STOP)
			return EINTR;
	}
	return EAGAIN;
}

int read_implies_exec_set(pid_t tid, bool in_exec, ptrace_wait_fn wait)
{
	struct user_regs_struct saved, regs;
	static const unsigned char insn[2] = { 0x0f, 0x05 };
	unsigned char orig[2];
	char path[64];
	int err = in_exec ? step(tid, wait) : 0;
	if (err != 0)
		return err;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0)
		return errno;
	if (!in_exec && saved.orig_rax != (unsigned long long)-1)
		return EBUSY;
	snprintf(path, sizeof(path), "/proc/%d/mem", tid);
	autoclose int mem = open(path, O_RDWR | O_CLOEXEC);
	if (mem < 0)
		return errno;
	if (pread(mem, orig, sizeof(orig), (off_t)saved.rip) != (ssize_t)sizeof(orig) ||
	    pwrite(mem, insn, sizeof(insn), (off_t)saved.rip) != (ssize_t)sizeof(insn))
		return errno ? errno : EIO;
	regs = saved;
	regs.rax = SYS_personality;
	regs.orig_rax = (unsigned long long)-1;
	regs.rdi = personality_of(tid) | READ_IMPLIES_EXEC;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		err = errno;
	else
		err = step(tid, wait);
	/* Whatever happened, the thread resumes where it was, with its own bytes and registers. */
	if (pwrite(mem, orig, sizeof(orig), (off_t)saved.rip) != (ssize_t)sizeof(orig) && err == 0)
		err = errno;
	if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0 && err == 0)
		err = errno;
	return err;
}
