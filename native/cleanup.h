/*
 * Resources released by scope (STYLE item 9): declare
 *   autofree char *buf = malloc(n);
 *   autoclose int fd = open(...);
 * and hand ownership over explicitly by setting the variable to NULL or -1.
 */
#ifndef CR_SHIM_CLEANUP_H
#define CR_SHIM_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void cr_free_ptr(void *p)
{
	free(*(void **)p);
}
#define autofree __attribute__((cleanup(cr_free_ptr)))

static inline void cr_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define autoclose __attribute__((cleanup(cr_close_fd)))

#endif
