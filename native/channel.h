/*
 * The fd-3 channel between cr-shim and its launch helpers (cr-shim-launch,
 * cr-shim-ptrace-launch), and the exit statuses they share with env(1):
 * 125 the helper failed before exec, 126 exec failed, 127 program not found.
 * Integers on the channel are 32-bit little-endian.
 */
#ifndef CR_SHIM_CHANNEL_H
#define CR_SHIM_CHANNEL_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

enum {
	EXIT_LAUNCHER = 125,
	EXIT_EXEC_FAILED = 126,
	EXIT_NOT_FOUND = 127,
};

#define CHANNEL_FD 3

/* Read exactly len bytes; 0, or -1 with errno (EPIPE for an early EOF). */
static inline int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write all len bytes; 0, or -1 with errno. */
static inline int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline int write_u32(int fd, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff };
	return write_full(fd, b, sizeof(b));
}

#endif
