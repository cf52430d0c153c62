/*
 * exec-rw [--wait-file FILE]       call code written into a RW mapping; prints
 *                                  personality=0x%x (personality(0xffffffff)), then called=1 if it ran.
 *                                  With --wait-file (for checkpoint and restore): setsid, pid=N,
 *                                  personality, ready=1, then once FILE exists
 *                                  after_wait.personality, the call, called=1
 * exec-rw --strip-gnu-stack OUT    write a copy of this program without its PT_GNU_STACK header
 *                                  (its p_type becomes PT_NULL): the Makefile builds bin/exec-rw so
 *
 * Kernels before 5.8 gave a 64-bit image without PT_GNU_STACK READ_IMPLIES_EXEC, so
 * the RW mapping was executable and the call returned; since 5.8 it dies with SIGSEGV
 * (issue 12, behaviour row read-implies-exec). The linker always writes PT_GNU_STACK,
 * hence the copy.
 */
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "kv.h"

#define PROG "exec-rw"

static int strip_gnu_stack(const char *out)
{
	static char buf[1 << 20];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		kv_die(PROG, "open /proc/self/exe", errno);
	ssize_t n = read(in, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(Elf64_Ehdr) || n == (ssize_t)sizeof(buf))
		kv_die(PROG, "read /proc/self/exe", n < 0 ? errno : EFBIG);
	close(in);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	int found = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type == PT_GNU_STACK) {
			ph->p_type = PT_NULL;
			found = 1;
		}
	}
	if (!found)
		kv_die(PROG, "find PT_GNU_STACK", ENOENT);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) != 0)
		kv_die(PROG, "write the copy", errno);
	return 0;
}

static void print_personality(const char *key)
{
	char hex[16];
	snprintf(hex, sizeof(hex), "0x%x", (unsigned)personality(0xffffffff));
	kv_str(key, hex);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--strip-gnu-stack") == 0)
		return strip_gnu_stack(argv[2]);
	const char *wait_file = argc == 3 && strcmp(argv[1], "--wait-file") == 0 ? argv[2] : NULL;
	if (argc != 1 && !wait_file)
		kv_usage(PROG " [--wait-file FILE | --strip-gnu-stack OUT]");
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		kv_die(PROG, "mmap", errno);
	if (wait_file) {
		setsid();
		kv_long("pid", getpid());
		print_personality("personality");
		kv_long("ready", 1);
		while (access(wait_file, F_OK) != 0)
			usleep(10000);
		print_personality("after_wait.personality");
	} else {
		print_personality("personality");
	}
	p[0] = 0xc3; /* ret */
	((void (*)(void))p)();
	kv_long("called", 1);
	return 0;
}
