/*
 * pidfd_open (5.3) and pidfd_getfd (5.6) by number: glibc has wrappers only from 2.36, and
 * older headers lack the numbers (the same on every architecture, from the common table).
 */
#ifndef CR_SHIM_PIDFD_CALLS_H
#define CR_SHIM_PIDFD_CALLS_H

#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#endif
