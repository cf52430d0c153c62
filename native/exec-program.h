/*
 * exec as the kernel does it, for the launch helpers: execvp(3) walks PATH
 * like this too, but hands a file the kernel refuses with ENOEXEC to /bin/sh,
 * so a 32-bit program on a host without ia32 emulation ends as a shell's
 * syntax error. Here ENOEXEC stays ENOEXEC (exit status 126), with the cause
 * named when the file's header shows it.
 */
#ifndef CR_SHIM_EXEC_PROGRAM_H
#define CR_SHIM_EXEC_PROGRAM_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/*
 * execve argv[0], searched in $PATH (confstr's default "/bin:/usr/bin" when
 * unset) unless it holds a '/'. Returns only on failure, with errno set and
 * `path` (PATH_MAX bytes) holding the file whose exec failed last.
 */
static inline int exec_program(char **argv, char *path)
{
	const char *name = argv[0];
	if (strchr(name, '/') != NULL) {
		snprintf(path, PATH_MAX, "%s", name);
		execve(path, argv, environ);
		return -1;
	}
	const char *dirs = getenv("PATH");
	if (dirs == NULL)
		dirs = "/bin:/usr/bin";
	int seen_eacces = 0;
	char last[PATH_MAX] = "";
	for (const char *p = dirs;; p++) {
		const char *end = strchrnul(p, ':');
		int dirlen = (int)(end - p);
		/* An empty entry is the current directory. */
		if (snprintf(path, PATH_MAX, "%.*s%s%s", dirlen, p, dirlen ? "/" : "", name) < PATH_MAX) {
			execve(path, argv, environ);
			if (errno == EACCES) {
				seen_eacces = 1;
				snprintf(last, sizeof(last), "%s", path);
			} else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV && errno != ETIMEDOUT) {
				/* Found, but the kernel refused it (ENOEXEC, E2BIG, ...): that is the answer. */
				return -1;
			}
		}
		if (*end == '\0')
			break;
		p = end;
	}
	if (seen_eacces) {
		snprintf(path, PATH_MAX, "%s", last);
		errno = EACCES;
	} else {
		snprintf(path, PATH_MAX, "%s", name);
		errno = ENOENT;
	}
	return -1;
}

/* a.out magic numbers (include/uapi/linux/a.out.h), the low 16 bits of a_info. */
enum { AOUT_OMAGIC = 0407, AOUT_NMAGIC = 0410, AOUT_ZMAGIC = 0413, AOUT_QMAGIC = 0314 };
enum { ELF_CLASS32 = 1, ELF_CLASS64 = 2, ELF_EM_386 = 3, ELF_EM_X86_64 = 62 };

/*
 * Why the kernel answered ENOEXEC for `path`, from its first bytes; NULL when
 * the header does not tell. The caller's format: "... (CAUSE)".
 */
static inline const char *enoexec_cause(const char *path)
{
	unsigned char h[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n >= 20 && memcmp(h, "\177ELF", 4) == 0) {
		unsigned machine = h[18] | h[19] << 8;
		if (h[4] == ELF_CLASS32 && machine == ELF_EM_386)
			return "a 32-bit x86 (i386) program: this kernel runs without 32-bit emulation (CONFIG_IA32_EMULATION off, or ia32_emulation=0 on its command line)";
		if (h[4] == ELF_CLASS32 && machine == ELF_EM_X86_64)
			return "an x32 program: this kernel was built without CONFIG_X86_X32_ABI";
		if (machine != ELF_EM_X86_64)
			return "an ELF program for another machine than x86_64";
		return NULL;
	}
	if (n >= 4) {
		unsigned magic = h[0] | h[1] << 8;
		if (magic == AOUT_OMAGIC || magic == AOUT_NMAGIC || magic == AOUT_ZMAGIC || magic == AOUT_QMAGIC)
			return "an a.out program: this kernel has no a.out loader (CONFIG_BINFMT_AOUT; x86 lost a.out support in Linux 5.18)";
	}
	if (n >= 2 && (h[0] != '#' || h[1] != '!'))
		return "neither ELF nor a #! script; a shell would run it as a script, the kernel does not";
	return NULL;
}

/*
 * After exec_program failed: the one stderr line "cr-shim: NAME: <strerror>
 * [(cause)]"; returns the exit status (127 for ENOENT, else 126), errno kept.
 */
static inline int exec_failed(const char *name, const char *path)
{
	int err = errno;
	const char *cause = err == ENOEXEC ? enoexec_cause(path) : NULL;
	if (cause != NULL)
		fprintf(stderr, "cr-shim: %s: %s (%s)\n", name, strerror(err), cause);
	else
		fprintf(stderr, "cr-shim: %s: %s\n", name, strerror(err));
	errno = err;
	return err == ENOENT ? 127 : 126;
}

#endif
