/* What the front reads of /proc about a process: its start time and its cgroup v2 path. */
#ifndef CR_SHIM_FRONT_PROC_FILES_H
#define CR_SHIM_FRONT_PROC_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* Field 22 of /proc/PID/stat (clock ticks since boot) as text. 0, or -1 when gone. */
int proc_start_time(pid_t pid, char *out, size_t n);
/* The "0::" line's path of /proc/PID/cgroup. 0, or -1 when gone or no v2 hierarchy is in use. */
int proc_cgroup(pid_t pid, char *out, size_t n);
/* CAP_SYS_ADMIN in this process's effective set (CapEff of /proc/self/status). */
int proc_self_has_sys_admin(void);

#endif
