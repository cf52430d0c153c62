/*
 * The session cache's front entry (docs/FRONT.md, "The session cache's front entry"): the cache
 * directory and its trust, the key the front computes as runCacheKey does, and the entry read,
 * checked and split into its records. Everything here is a question with a yes/no answer: a
 * miss is a value (*why names it), never an error line, so that the CLI can then answer.
 */
#ifndef CR_SHIM_FRONT_ENTRY_H
#define CR_SHIM_FRONT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "front.h"

/* Bumped with docs/FRONT.md's VERSION (the writer's FRONT_VERSION in src/supervisor/run-cache.ts). */
#define FRONT_ENTRY_VERSION 1

enum front_tag {
	FT_END = 0,
	FT_KEY = 1,
	FT_DEP = 2,
	FT_FILTER = 3,
	FT_SHA256 = 4,
	FT_NOTICE = 5,
	FT_IDENTITY = 6,
	FT_ADDED = 7,
	FT_PERSONA = 8,
	FT_ACTIONS = 9,
	FT_ROUTE = 10,
	FT_WORKER = 11,
	FT_HELD = 12,
};

struct span {
	const uint8_t *p;
	uint32_t len;
};

/* TARGET NUL TEXT, both NUL-terminated copies. */
struct file_text {
	char *target;
	char *text;
};

struct route_name {
	uint32_t audit_arch, nr;
	char *name;
};

struct front_entry {
	uint8_t *buf;	/* the whole file; spans point into it */
	size_t len;
	struct span filter, worker;
	char sha256[65];
	char *release, *mainline;
	struct span *notices, *actions;
	size_t nnotices, nactions;
	struct file_text *identity, *added;
	size_t nidentity, nadded;
	struct route_name *routes;
	size_t nroutes;
};

/* What the request's key depends on besides the host: run's options that change the compile. */
struct run_request {
	const char *kernel;	/* NULL: the host's */
	int identity_mounted, io_uring, tiocsti;
};

/*
 * The entry for `req`, read and checked (trust, key, deps, records): 0 and *out filled, or -1 with
 * *why naming the miss (or the reason the cache cannot be used at all). Free with front_entry_free.
 */
int front_entry_read(const struct front *f, const struct run_request *req, struct front_entry *out, const char **why);
void front_entry_free(struct front_entry *e);

/* The key text runCacheKey computes for req (malloc'd), or NULL with *why. Exposed for the key test. */
char *front_entry_key(const struct front *f, const struct run_request *req, const char **why);

/* Append one record (TAG LEN BODY) to fd; 0 or -1 with errno. For the hand-over's stream. */
int front_record_write(int fd, uint32_t tag, const void *body, uint32_t len);

#endif
