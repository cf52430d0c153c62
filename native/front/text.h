/*
 * Text the front writes: a growing buffer, JSON strings as JSON.stringify writes them, and
 * lines on stderr escaped as src/printable.ts escapeControl escapes them (noticeLine).
 * Shared by the restore client, run and the supervision record.
 */
#ifndef CR_SHIM_FRONT_TEXT_H
#define CR_SHIM_FRONT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A growing byte buffer; out of memory makes `failed` true and the caller decline. */
struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

void buf_free(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_str(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);
/* Is `s` well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)? */
bool utf8_ok(const char *s);
/* `s` as a JSON string, as JSON.stringify writes it (well-formed UTF-8 in). */
void buf_json_str(struct buf *b, const char *s);
/* n bytes of s, control characters escaped as escapeControl does. */
void buf_escaped(struct buf *b, const char *s, size_t n);
/* All of b on stderr; a closed stderr loses the line, as Node's would. */
void write_stderr(const struct buf *b);
/* noticeLine: "cr-shim: TEXT\n", TEXT escaped. */
void print_notice(const char *text, size_t n);

#endif
