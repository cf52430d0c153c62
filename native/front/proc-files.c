/* The /proc files the front reads (proc-files.h), parsed as src/criu/supervised-record.ts does. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "proc-files.h"

#define CAP_SYS_ADMIN_BIT 21

static ssize_t read_proc(const char *path, char *buf, size_t n)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t o = 0;
	ssize_t r;
	while (o + 1 < n && (r = read(fd, buf + o, n - 1 - o)) > 0)
		o += (size_t)r;
	buf[o] = '\0';
	return (ssize_t)o;
}

/*
 * /proc/PID/stat ::= PID " (" COMM ") " STATE " " PPID " " ... field 22 STARTTIME ...
 * COMM may hold spaces and parentheses: split after the last ")".
 */
int proc_start_time(pid_t pid, char *out, size_t n)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_proc(path, buf, sizeof(buf)) <= 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	/* p is at field 3; field 22 is 19 spaces on. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	size_t len = strcspn(p, " \n");
	if (len == 0 || len >= n)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int proc_cgroup(pid_t pid, char *out, size_t n)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_proc(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		size_t len = strcspn(line + 3, "\n");
		if (len >= n)
			return -1;
		memcpy(out, line + 3, len);
		out[len] = '\0';
		return 0;
	}
	return -1;
}

int proc_self_has_sys_admin(void)
{
	char buf[4096];
	if (read_proc("/proc/self/status", buf, sizeof(buf)) <= 0)
		return 0;
	char *cap = strstr(buf, "\nCapEff:");
	if (!cap)
		return 0;
	uint64_t eff = strtoull(cap + 8, NULL, 16);
	return (eff >> CAP_SYS_ADMIN_BIT) & 1;
}
