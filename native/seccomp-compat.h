/*
 * Seccomp constants newer than the uapi headers cr-shim may be built against
 * (Debian 12 ships 6.1's): SECCOMP_IOCTL_NOTIF_SET_FLAGS and
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP arrived in 6.6. The values are the
 * kernel's ABI; the running kernel is probed, never assumed to have them.
 */
#ifndef CR_SHIM_SECCOMP_COMPAT_H
#define CR_SHIM_SECCOMP_COMPAT_H

#include <linux/seccomp.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#endif
