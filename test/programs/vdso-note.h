/*
 * The LINUX_VERSION_CODE this process reads from its own vDSO: the "Linux" note
 * of type 0 in the image AT_SYSINFO_EHDR names, as glibc's ld.so (before 2.35)
 * and eBPF loaders read it. Printed as KEY=0x%06x, or KEY.error=ENOENT.
 */
#ifndef CR_SHIM_TEST_VDSO_NOTE_H
#define CR_SHIM_TEST_VDSO_NOTE_H

#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "kv.h"

static inline void kv_vdso_note(const char *key)
{
	char err_key[64];
	snprintf(err_key, sizeof(err_key), "%s.error", key);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	if (!eh) {
		kv_str(err_key, "ENOENT");
		return;
	}
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		const char *p = (const char *)eh + ph[i].p_offset, *end = p + ph[i].p_filesz;
		while (p + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *n = (const Elf64_Nhdr *)p;
			const char *name = p + sizeof(*n);
			const char *desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == 0 && n->n_namesz == 6 && memcmp(name, "Linux", 6) == 0 && n->n_descsz == 4) {
				char hex[16];
				snprintf(hex, sizeof(hex), "0x%06x", *(const uint32_t *)desc);
				kv_str(key, hex);
				return;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	kv_str(err_key, "ENOENT");
}

#endif
