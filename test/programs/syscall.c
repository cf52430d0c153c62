/*
 * syscall NR [ARG...]
 *
 * Makes syscall NR with up to six integer arguments (decimal, 0x hex, 0 octal,
 * negative) and prints ret=, errno= and errname=. Used to read ENOSYS/EPERM
 * verdicts. Refuses the calls in syscall-deny.h (exit status EPERM, nothing on
 * stdout): arguments are raw integers and tests run as root.
 */
#include "kv.h"
#include "syscall-deny.h"

static const char usage[] = "syscall NR [ARG...]   (at most 6 args; see syscall-deny.h)";

int main(int argc, char **argv)
{
	long long nr;
	long long args[6] = { 0 };
	int nargs = argc - 2;

	if (argc < 2 || nargs > 6 || kv_parse_long(argv[1], &nr) != 0)
		kv_usage(usage);
	for (int i = 0; i < nargs; i++)
		if (kv_parse_long(argv[i + 2], &args[i]) != 0)
			kv_usage(usage);

	const char *denied = syscall_denied(nr);
	if (denied != NULL) {
		fprintf(stderr, "syscall: refusing %lld (%s): see syscall-deny.h\n", nr, denied);
		return EPERM;
	}

	kv_long("nr", (long)nr);
	/* Arguments are register-sized: on i386 the upper half of a 64-bit literal is dropped. */
	long ret = syscall((long)nr, (long)args[0], (long)args[1], (long)args[2],
			   (long)args[3], (long)args[4], (long)args[5]);
	kv_result("", ret, errno);
	return 0;
}
