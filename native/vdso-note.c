/*
 * Find and rewrite the vDSO's "Linux" type-0 note in another process.
 *
 *   vDSO    ::= ELF64 header, program headers at e_phoff (e_phnum of e_phentsize bytes)
 *   PT_NOTE ::= { NOTE }                        at p_offset, p_filesz bytes
 *   NOTE    ::= namesz:u32 descsz:u32 type:u32 name (padded to 4) desc (padded to 4)
 *
 * The vDSO image is mapped from its offset 0, so a segment's p_offset is its
 * offset from the mapping's start.
 *
 * Kernel facts (checked on 6.18): the vDSO text is mapped read-only and shared
 * by every process; a write to /proc/PID/mem uses FOLL_FORCE, which on a
 * private mapping breaks copy-on-write (mm/gup.c, can_follow_write_pte): the
 * process written gets its own anonymous copy of the page and no other process
 * sees the change. A fork inherits the copy; an exec maps the kernel's vDSO
 * afresh, so the note must be written again after every exec.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cleanup.h"
#include "vdso-note.h"

#define NOTE_LINUX_VERSION 0
#define MAX_NOTE_BYTES 4096
#define MAX_PHDRS 64

/* errno of a /proc access, ENOENT (the process is gone) told apart as ESRCH. */
static int proc_errno(int err)
{
	return err == ENOENT ? ESRCH : err;
}

/* AT_SYSINFO_EHDR from /proc/PID/auxv; 0 when absent. */
static int auxv_vdso(pid_t pid, uint64_t *base)
{
	char path[64];
	uint64_t pair[2];
	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_errno(errno);
	*base = 0;
	while (read(fd, pair, sizeof(pair)) == (ssize_t)sizeof(pair) && pair[0] != AT_NULL)
		if (pair[0] == AT_SYSINFO_EHDR)
			*base = pair[1];
	return 0;
}

/* Start of the [vdso] mapping from /proc/PID/maps; 0 when absent. */
static int maps_vdso(pid_t pid, uint64_t *base)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return proc_errno(errno);
	*base = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len > 7 && strcmp(line + len - 8, " [vdso]\n") == 0) {
			sscanf(line, "%" SCNx64, base);
			break;
		}
	}
	fclose(f);
	return 0;
}

static bool read_at(int mem, void *buf, size_t len, uint64_t addr)
{
	return pread(mem, buf, len, (off_t)addr) == (ssize_t)len;
}

/* Address of the note's 4-byte descriptor in the vDSO at base, or 0. */
static uint64_t note_address(int mem, uint64_t base)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned char notes[MAX_NOTE_BYTES];

	if (!read_at(mem, &eh, sizeof(eh), base) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize < sizeof(ph) || eh.e_phnum > MAX_PHDRS)
		return 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (!read_at(mem, &ph, sizeof(ph), base + eh.e_phoff + (uint64_t)i * eh.e_phentsize))
			return 0;
		if (ph.p_type != PT_NOTE)
			continue;
		size_t size = ph.p_filesz < sizeof(notes) ? ph.p_filesz : sizeof(notes);
		if (!read_at(mem, notes, size, base + ph.p_offset))
			return 0;
		for (size_t at = 0; at + sizeof(Elf64_Nhdr) <= size;) {
			const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(notes + at);
			size_t name_at = at + sizeof(*nh);
			size_t desc_at = name_at + ((nh->n_namesz + 3) & ~3u);
			if (desc_at + nh->n_descsz > size)
				break;
			if (nh->n_type == NOTE_LINUX_VERSION && nh->n_namesz == sizeof("Linux") &&
			    memcmp(notes + name_at, "Linux", sizeof("Linux")) == 0 && nh->n_descsz >= 4)
				return base + ph.p_offset + desc_at;
			at = desc_at + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

static int open_mem(pid_t pid, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	return open(path, flags | O_CLOEXEC);
}

int vdso_note_write(pid_t pid, uint32_t code)
{
	uint64_t bases[2];
	int err = auxv_vdso(pid, &bases[0]);
	if (err == 0)
		err = maps_vdso(pid, &bases[1]);
	if (err != 0)
		return err;
	autoclose int mem = open_mem(pid, O_RDWR);
	if (mem < 0)
		return proc_errno(errno);
	int written = 0;
	for (int i = 0; i < 2; i++) {
		if (bases[i] == 0 || (i == 1 && bases[1] == bases[0]))
			continue;
		uint64_t at = note_address(mem, bases[i]);
		if (at == 0)
			continue;
		/* 0 bytes: the process let go of its memory (it is exiting). */
		ssize_t w = pwrite(mem, &code, sizeof(code), (off_t)at);
		if (w != (ssize_t)sizeof(code))
			return w < 0 ? errno : ESRCH;
		written++;
	}
	return written > 0 ? 0 : ENOENT;
}

int vdso_note_read(pid_t pid, uint32_t *code)
{
	uint64_t base;
	int err = auxv_vdso(pid, &base);
	if (err != 0)
		return err;
	if (base == 0)
		return ENOENT;
	autoclose int mem = open_mem(pid, O_RDONLY);
	if (mem < 0)
		return proc_errno(errno);
	uint64_t at = note_address(mem, base);
	if (at == 0)
		return ENOENT;
	return read_at(mem, code, sizeof(*code), at) ? 0 : ESRCH;
}
