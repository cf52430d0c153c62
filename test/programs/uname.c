/*
 * uname [--bad-pointer]
 *
 * Calls SYS_uname directly (and, on i386, SYS_olduname and SYS_oldolduname,
 * which only the ia32 ABI has) and prints every field. --bad-pointer passes
 * (void *)1 instead of a buffer and prints the errno each call returned.
 */
#include <linux/utsname.h>
#include <sys/syscall.h>

#include "kv.h"

static const char usage[] = "uname [--bad-pointer]";

#if defined(__i386__)
static const char abi[] = "i386";
#elif defined(__x86_64__)
static const char abi[] = "x86_64";
#else
#error "test programs are built for x86_64 and i386 only"
#endif

#define PRINT_UTS(prefix, uts)                                                  \
	do {                                                                    \
		kv_field(prefix "sysname", (uts).sysname, sizeof((uts).sysname)); \
		kv_field(prefix "nodename", (uts).nodename, sizeof((uts).nodename)); \
		kv_field(prefix "release", (uts).release, sizeof((uts).release)); \
		kv_field(prefix "version", (uts).version, sizeof((uts).version)); \
		kv_field(prefix "machine", (uts).machine, sizeof((uts).machine)); \
	} while (0)

static void print_uname(void)
{
	struct new_utsname uts;
	if (syscall(SYS_uname, &uts) == -1)
		kv_die("uname", "SYS_uname", errno);
	PRINT_UTS("", uts);
	kv_field("domainname", uts.domainname, sizeof(uts.domainname));
#if defined(__i386__)
	struct old_utsname old;
	if (syscall(SYS_olduname, &old) == -1)
		kv_result("olduname.", -1, errno);
	else
		PRINT_UTS("olduname.", old);
	struct oldold_utsname oldold;
	if (syscall(SYS_oldolduname, &oldold) == -1)
		kv_result("oldolduname.", -1, errno);
	else
		PRINT_UTS("oldolduname.", oldold);
#endif
}

static void print_bad_pointer(void)
{
	void *bad = (void *)1;
	long ret = syscall(SYS_uname, bad);
	kv_result("", ret, errno);
#if defined(__i386__)
	ret = syscall(SYS_olduname, bad);
	kv_result("olduname.", ret, errno);
	ret = syscall(SYS_oldolduname, bad);
	kv_result("oldolduname.", ret, errno);
#endif
}

int main(int argc, char **argv)
{
	int bad_pointer = 0;
	if (argc == 2 && strcmp(argv[1], "--bad-pointer") == 0)
		bad_pointer = 1;
	else if (argc != 1)
		kv_usage(usage);

	kv_str("abi", abi);
	if (bad_pointer)
		print_bad_pointer();
	else
		print_uname();
	return 0;
}
