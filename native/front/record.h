/*
 * The supervision record `cr-shim dump` reads (src/criu/supervised-record.ts recordSupervised):
 * $CR_SHIM_RUN_DIR (or /run/cr-shim)/tree-SUPERVISORPID.json, written atomically, removed at the end.
 */
#ifndef CR_SHIM_FRONT_RECORD_H
#define CR_SHIM_FRONT_RECORD_H

#include <sys/types.h>

/* Write the record of `root`'s tree; its path goes to `file` ("" when none was written: never an error, as in TS). */
void record_write(pid_t root, const char *release, const char *mainline, const char *sha256, const char *cgroup, char *file, size_t n);
/* Remove it (if written). */
void record_remove(const char *file);

#endif
