/*
 * The supervision record (record.h):
 *
 *   RECORD ::= { "pid": N, "startTime": TICKS, "supervisor": N, "supervisorStartTime": TICKS,
 *                "persona": { "release": R, "mainline": M }, "filterSha256": HEX64, "cgroup": PATH }
 *
 * written as JSON.stringify does (same field order, same escapes) and followed by a newline.
 * Unlike recordSupervised the front does not sweep stale records of dead supervisors first:
 * every lookup (findSupervision) and every CLI run removes them, and a hot path that lists
 * /run/cr-shim and parses each record would cost what the front exists to save.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../channel.h"
#include "proc-files.h"
#include "record.h"
#include "text.h"

/* s as JSON.stringify writes it (text.c). */
static void json_string(FILE *out, const char *s)
{
	struct buf b = { 0 };
	buf_json_str(&b, s);
	if (!b.failed)
		fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

/* mkdir -p with mode 0755, as fs.mkdirSync(dir, { recursive: true, mode: 0o755 }). */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -1;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

void record_write(pid_t root, const char *release, const char *mainline, const char *sha256, const char *cgroup, char *file, size_t n)
{
	const char *env = getenv("CR_SHIM_RUN_DIR");
	const char *dir = env && *env ? env : "/run/cr-shim";
	char start[32], own_start[32], tmp[PATH_MAX + 32];
	file[0] = '\0';
	if (proc_start_time(root, start, sizeof(start)) < 0 || proc_start_time(getpid(), own_start, sizeof(own_start)) < 0)
		return;
	if (snprintf(file, n, "%s/tree-%d.json", dir, (int)getpid()) >= (int)n || mkdir_p(dir) < 0) {
		file[0] = '\0';
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", file, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		if (fd >= 0)
			close(fd);
		file[0] = '\0';
		return;
	}
	fprintf(out, "{\"pid\":%d,\"startTime\":\"%s\",\"supervisor\":%d,\"supervisorStartTime\":\"%s\",\"persona\":{\"release\":", (int)root, start, (int)getpid(), own_start);
	json_string(out, release);
	fputs(",\"mainline\":", out);
	json_string(out, mainline);
	fputs("},\"filterSha256\":", out);
	json_string(out, sha256);
	fputs(",\"cgroup\":", out);
	json_string(out, cgroup);
	fputs("}\n", out);
	if (fclose(out) != 0 || rename(tmp, file) < 0) {
		unlink(tmp);
		file[0] = '\0';
	}
}

void record_remove(const char *file)
{
	if (file[0])
		unlink(file);
}
