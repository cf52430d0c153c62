/*
 * A NUL-terminated string in a tracee's memory (a path argument of a trapped call),
 * shared by the notify loop and the identity open.
 */
#ifndef CR_SHIM_TRACEE_STRING_H
#define CR_SHIM_TRACEE_STRING_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * Copy the string at addr in pid into buf (PATH_MAX bytes), one page at a time, so
 * that a string ending just before an unmapped page is still read. 0, or what the
 * kernel's getname() would answer: EFAULT (unreadable), ENOENT (empty),
 * ENAMETOOLONG (no NUL within PATH_MAX).
 */
static inline int tracee_read_string(pid_t pid, uint64_t addr, char *buf)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t got = 0;
	while (got < PATH_MAX) {
		uint64_t at = addr + got;
		size_t chunk = page - (size_t)(at % page);
		if (chunk > PATH_MAX - got)
			chunk = PATH_MAX - got;
		struct iovec local = { buf + got, chunk };
		struct iovec remote = { (void *)(uintptr_t)at, chunk };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return EFAULT;
		if (memchr(buf + got, '\0', (size_t)n))
			return buf[0] ? 0 : ENOENT;
		got += (size_t)n;
	}
	return ENAMETOOLONG;
}

#endif
