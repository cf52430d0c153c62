/*
 * sendfile-proc FILE
 *
 * sendfile(2) and splice(2) from FILE (e.g. /proc/self/status, which has no splice_read, so
 * 5.10+ answers EINVAL): every call made with syscall(2), each result printed.
 *   pos.*     sendfile of 8 bytes to a pipe from the file position: ret, errname, data, and
 *             the file position after (advanced by ret)
 *   off.*     sendfile of 6 bytes from offset 4: ret, data, the offset after, the file
 *             position after (unchanged)
 *   sock.*    sendfile of up to 64 KiB from offset 0 to a socket: ret, and whether the bytes
 *             are what read(2) gives from offset 0 (same=1)
 *   splice.*  splice of 5 bytes from the file position into a pipe: ret, data
 *   zero.*    sendfile of 0 bytes: ret
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "kv.h"

static const char usage[] = "sendfile-proc FILE";

static void drain(const char *key, int fd, long n)
{
	char buf[64] = { 0 };
	long got = n > 0 ? read(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf)) : 0;
	kv_bytes(key, buf, got > 0 ? (size_t)got : 0);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		kv_usage(usage);
	int in = open(argv[1], O_RDONLY | O_CLOEXEC);
	int p[2], sv[2];
	if (in < 0 || pipe2(p, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return errno;

	long ret = syscall(SYS_sendfile, p[1], in, NULL, 8);
	kv_result("pos.", ret, errno);
	drain("pos.data", p[0], ret);
	kv_long("pos.after", (long)lseek(in, 0, SEEK_CUR));

	off_t off = 4;
	ret = syscall(SYS_sendfile, p[1], in, &off, 6);
	kv_result("off.", ret, errno);
	drain("off.data", p[0], ret);
	kv_long("off.off", (long)off);
	kv_long("off.pos", (long)lseek(in, 0, SEEK_CUR));

	static char sent[65536], direct[65536];
	off = 0;
	ret = syscall(SYS_sendfile, sv[0], in, &off, sizeof(sent));
	kv_result("sock.", ret, errno);
	long got = 0;
	while (ret > 0 && got < ret) {
		long n = recv(sv[1], sent + got, (size_t)(ret - got), 0);
		if (n <= 0)
			break;
		got += n;
	}
	long want = pread(in, direct, sizeof(direct), 0);
	kv_long("sock.same", ret > 0 && got == ret && want == ret && memcmp(sent, direct, (size_t)ret) == 0);

	ret = syscall(SYS_splice, in, NULL, p[1], NULL, 5, 0);
	kv_result("splice.", ret, errno);
	drain("splice.data", p[0], ret);

	ret = syscall(SYS_sendfile, p[1], in, NULL, 0);
	kv_result("zero.", ret, errno);
	return 0;
}
