/*
 * A strict JSON reader over [p, end): JSON as JSON.parse takes it, for the replies the front
 * reads (the service's "failed" reply, the TypeScript helper's report). Strings decode to
 * UTF-8; a lone surrogate becomes U+FFFD, as Node writes one to stderr. Each call starts at
 * j->p and returns 0, advancing it past what it read, or -1.
 */
#ifndef CR_SHIM_FRONT_JSON_READ_H
#define CR_SHIM_FRONT_JSON_READ_H

#include "text.h"

struct json {
	const char *p, *end;
};

/* Skip white space. */
void json_ws(struct json *j);
/* After white space, the character c: 1 and past it, or 0 where it was. */
int json_eat(struct json *j, char c);
/* A string at j->p (its opening quote); decoded into out when not NULL. */
int json_string(struct json *j, struct buf *out);
/* A number as JSON's grammar has it; its value in *v when v is not NULL. */
int json_number(struct json *j, double *v);
/* Skip any value, nesting at most 64 deep. */
int json_skip(struct json *j, int depth);

#endif
