/*
 * sockopt FAMILY OPTION
 *
 * FAMILY is inet, inet6, tcp or unix (a datagram socket, a stream socket for tcp); OPTION is
 * passcred, passsec, passpidfd or txrehash. Reads the option of a fresh socket, sets it to 1,
 * reads it back, sets it to 0, reads it again, then tries an optlen of 2 (the old kernel's
 * EINVAL) and a value of 2 (EINVAL for txrehash, a true flag for the others). Prints fresh_*,
 * set_*, get_* results, the value and length after each get, short_* and two_*. Every call is made with
 * syscall(2).
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include "kv.h"

/* <asm-generic/socket.h>: newer than some libcs' headers. */
#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static const char usage[] = "sockopt inet|inet6|tcp|unix passcred|passsec|passpidfd|txrehash";

static void get(const char *prefix, int fd, int opt)
{
	int val = -1;
	socklen_t len = sizeof(val);
	char key[32];
	long ret = syscall(SYS_getsockopt, fd, SOL_SOCKET, opt, &val, &len);
	kv_result(prefix, ret, errno);
	snprintf(key, sizeof(key), "%sval", prefix);
	kv_long(key, ret == 0 ? val : -1);
	snprintf(key, sizeof(key), "%slen", prefix);
	kv_long(key, ret == 0 ? (long)len : -1);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		kv_usage(usage);
	int domain, type = SOCK_DGRAM, opt;
	if (strcmp(argv[1], "inet") == 0)
		domain = AF_INET;
	else if (strcmp(argv[1], "inet6") == 0)
		domain = AF_INET6;
	else if (strcmp(argv[1], "tcp") == 0)
		domain = AF_INET, type = SOCK_STREAM;
	else if (strcmp(argv[1], "unix") == 0)
		domain = AF_UNIX;
	else
		kv_usage(usage);
	if (strcmp(argv[2], "passcred") == 0)
		opt = SO_PASSCRED;
	else if (strcmp(argv[2], "passsec") == 0)
		opt = SO_PASSSEC;
	else if (strcmp(argv[2], "passpidfd") == 0)
		opt = SO_PASSPIDFD;
	else if (strcmp(argv[2], "txrehash") == 0)
		opt = SO_TXREHASH;
	else
		kv_usage(usage);

	long fd = syscall(SYS_socket, domain, type, 0);
	if (fd < 0)
		kv_die("sockopt", "socket", errno);
	int one = 1, zero = 0, two = 2;
	get("fresh_", (int)fd, opt);
	long ret = syscall(SYS_setsockopt, fd, SOL_SOCKET, opt, &one, sizeof(one));
	kv_result("set1_", ret, errno);
	get("get1_", (int)fd, opt);
	ret = syscall(SYS_setsockopt, fd, SOL_SOCKET, opt, &zero, sizeof(zero));
	kv_result("set0_", ret, errno);
	get("get0_", (int)fd, opt);
	ret = syscall(SYS_setsockopt, fd, SOL_SOCKET, opt, &one, 2);
	kv_result("short_", ret, errno);
	ret = syscall(SYS_setsockopt, fd, SOL_SOCKET, opt, &two, sizeof(two));
	kv_result("two_", ret, errno);
	return 0;
}
