/*
 * The LINUX_VERSION_CODE a process reads from its vDSO: the ELF note named
 * "Linux" of type 0 (the kernel's vdso note.S, ELFNOTE_START(Linux, 0, "a")),
 * which glibc before 2.35 reads in its dynamic loader and eBPF loaders read to
 * fill a program's kern_version. src/criu/image/vdso-note.ts reads the same note
 * from an image's pages.
 */
#ifndef CR_SHIM_VDSO_NOTE_H
#define CR_SHIM_VDSO_NOTE_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Write `code` into the note of every vDSO process `pid` can read: the one its
 * auxv's AT_SYSINFO_EHDR names (what getauxval and ld.so read; after a CRIU
 * restore across kernels, CRIU's copy of the old vDSO) and the kernel's [vdso]
 * mapping when that is elsewhere. Through /proc/PID/mem, so only that process
 * sees the change (see vdso-note.c). Returns 0, ENOENT when the process has no
 * vDSO or no such note, ESRCH when it is gone, or the errno of the access.
 */
int vdso_note_write(pid_t pid, uint32_t code);

/* The note's value in the vDSO AT_SYSINFO_EHDR names; 0 or an errno as above. */
int vdso_note_read(pid_t pid, uint32_t *code);

#endif
