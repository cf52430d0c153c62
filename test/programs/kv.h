/*
 * Output convention shared by every test program (see README.md).
 *
 *   OUTPUT ::= { LINE }
 *   LINE   ::= KEY "=" VALUE "\n"
 *   KEY    ::= [a-z0-9_.]+            (dots group related keys: "thread.0.release")
 *   VALUE  ::= { byte 0x20..0x7e except "\" | "\\" | "\n" | "\t" | "\xHH" }
 *
 * Each line is flushed as soon as it is written, so output survives fork(),
 * a kill by signal, and a reader that waits for one key (signals, sleeper).
 */
#ifndef CR_SHIM_TEST_KV_H
#define CR_SHIM_TEST_KV_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exit status for bad command-line input; a program that fails on its own
 * exits with the errno value of the failed operation. */
#define KV_EXIT_USAGE EINVAL

static inline void kv_put_escaped(const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c > 0x7e)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/** Print KEY=VALUE where VALUE is LEN raw bytes, escaped. */
static inline void kv_bytes(const char *key, const char *value, size_t len)
{
	printf("%s=", key);
	kv_put_escaped(value, len);
	putchar('\n');
	fflush(stdout);
}

static inline void kv_str(const char *key, const char *value)
{
	kv_bytes(key, value, strlen(value));
}

/* utsname fields are fixed-size arrays that the kernel NUL-terminates, but an
 * emulated one might not: never read past the array. */
static inline void kv_field(const char *key, const char *field, size_t size)
{
	kv_bytes(key, field, strnlen(field, size));
}

static inline void kv_long(const char *key, long value)
{
	printf("%s=%ld\n", key, value);
	fflush(stdout);
}

static inline void kv_fmt_key(char *buf, size_t size, const char *prefix, const char *key)
{
	snprintf(buf, size, "%s%s", prefix, key);
}

/** errno's symbolic name ("ENOSYS"), or "E<number>" when glibc has none. */
static inline const char *kv_errname(int err)
{
	static char unknown[16];
	const char *name = strerrorname_np(err);
	if (name != NULL)
		return name;
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}

/** Print PREFIXret=, PREFIXerrno= (number, 0 on success) and PREFIXerrname= (empty on success). */
static inline void kv_result(const char *prefix, long ret, int err)
{
	char key[64];
	kv_fmt_key(key, sizeof(key), prefix, "ret");
	kv_long(key, ret);
	kv_fmt_key(key, sizeof(key), prefix, "errno");
	kv_long(key, ret == -1 ? err : 0);
	kv_fmt_key(key, sizeof(key), prefix, "errname");
	kv_str(key, ret == -1 ? kv_errname(err) : "");
}

/** "SIGINT" for SIGINT; "SIG<number>" for signals glibc cannot name. */
static inline const char *kv_signame(int signo)
{
	static char name[16];
	const char *abbrev = sigabbrev_np(signo);
	if (abbrev != NULL)
		snprintf(name, sizeof(name), "SIG%s", abbrev);
	else
		snprintf(name, sizeof(name), "SIG%d", signo);
	return name;
}

/** Report a failure of the program itself on stderr and exit with its errno. */
static inline __attribute__((noreturn)) void kv_die(const char *prog, const char *op, int err)
{
	fprintf(stderr, "%s: %s: %s (%s)\n", prog, op, strerror(err), kv_errname(err));
	exit(err != 0 ? err : 1);
}

static inline __attribute__((noreturn)) void kv_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(KV_EXIT_USAGE);
}

/** Parse a whole decimal, 0x-hex or 0-octal integer; returns 0 on success, -1 if not one. */
static inline int kv_parse_long(const char *text, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long value = strtoll(text, &end, 0);
	if (errno != 0 || end == text || *end != '\0') {
		/* Large unsigned values such as 0xffffffffffffffff are valid register contents. */
		errno = 0;
		unsigned long long u = strtoull(text, &end, 0);
		if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
			return -1;
		value = (long long)u;
	}
	*out = value;
	return 0;
}

#endif
