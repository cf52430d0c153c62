/*
 * cr-shim-vdso: set the LINUX_VERSION_CODE in the vDSO note of running processes
 * (restore, before the tree is resumed; attach, once the filter is in).
 *
 *   cr-shim-vdso CODE PID...     CODE decimal or 0x hex; every PID's note becomes CODE
 *   cr-shim-vdso --read PID      print the note of PID's vDSO as 0x%06x
 *
 * A PID that is gone or has no vDSO (vdso=0) is skipped: it reads nothing.
 * Exit status: 0, 22 (EINVAL) for bad usage, else the errno of the first
 * failure, after one line on stderr naming the process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdso-note.h"

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno == 0 && *s != '\0' && *end == '\0' && *out <= max ? 0 : EINVAL;
}

int main(int argc, char **argv)
{
	unsigned long code, pid;
	if (argc == 3 && strcmp(argv[1], "--read") == 0) {
		uint32_t got;
		if (number(argv[2], 0x3fffffff, &pid) != 0)
			goto usage;
		int err = vdso_note_read((pid_t)pid, &got);
		if (err != 0) {
			fprintf(stderr, "cr-shim-vdso: read the vDSO note of process %lu: %s\n", pid, strerror(err));
			return err;
		}
		printf("0x%06x\n", got);
		return 0;
	}
	if (argc < 3 || number(argv[1], UINT32_MAX, &code) != 0)
		goto usage;
	for (int i = 2; i < argc; i++) {
		if (number(argv[i], 0x3fffffff, &pid) != 0)
			goto usage;
		int err = vdso_note_write((pid_t)pid, (uint32_t)code);
		if (err == ESRCH || err == ENOENT)
			continue;
		if (err != 0) {
			fprintf(stderr, "cr-shim-vdso: write the vDSO note of process %lu: %s\n", pid, strerror(err));
			return err;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: cr-shim-vdso CODE PID... | cr-shim-vdso --read PID\n");
	return EINVAL;
}
