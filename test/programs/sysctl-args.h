/*
 * struct __sysctl_args, for _sysctl(2): glibc dropped <sys/sysctl.h> and this
 * struct; this is the kernel's layout (include/uapi/linux/sysctl.h), which is
 * pointer-sized per ABI.
 */
#ifndef CR_SHIM_TEST_SYSCTL_ARGS_H
#define CR_SHIM_TEST_SYSCTL_ARGS_H
#include <stddef.h>

struct __sysctl_args {
	int *name;
	int nlen;
	void *oldval;
	size_t *oldlenp;
	void *newval;
	size_t newlen;
	unsigned long __unused[4];
};

#endif
