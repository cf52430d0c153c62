/* Text the front writes (text.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

void buf_free(struct buf *b)
{
	free(b->p);
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->failed = true;
	else
		buf_add(b, tmp, (size_t)n);
}

/*
 * Is `s` well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)? Node
 * decodes argv and the environment as UTF-8 and turns anything else into U+FFFD: only for
 * well-formed text are the bytes it sends the bytes given.
 */
bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int n;
		unsigned min;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, min = 0x10000;
		} else {
			return false;
		}
		unsigned cp = c & (0x3f >> n);
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* `s` as a JSON string, as JSON.stringify writes it (well-formed UTF-8 in, so no lone surrogates). */
void buf_json_str(struct buf *b, const char *s)
{
	buf_str(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_str(b, "\\\""); break;
		case '\\': buf_str(b, "\\\\"); break;
		case '\b': buf_str(b, "\\b"); break;
		case '\f': buf_str(b, "\\f"); break;
		case '\n': buf_str(b, "\\n"); break;
		case '\r': buf_str(b, "\\r"); break;
		case '\t': buf_str(b, "\\t"); break;
		default:
			if (*p < 0x20)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_add(b, p, 1);
		}
	}
	buf_str(b, "\"");
}

/*
 * src/printable.ts escapeControl on UTF-8: C0 controls, DEL and C1 controls (U+0080..U+009F,
 * the bytes C2 80..C2 9F) as \n, \r, \t or \xNN; everything else as it is.
 */
void buf_escaped(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c == '\n')
			buf_str(b, "\\n");
		else if (c == '\r')
			buf_str(b, "\\r");
		else if (c == '\t')
			buf_str(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			buf_printf(b, "\\x%02x", p[++i]);
		else
			buf_add(b, &p[i], 1);
	}
}

/* Write all of `b` to stderr; a closed stderr loses the line, as Node's would. */
void write_stderr(const struct buf *b)
{
	for (size_t at = 0; !b->failed && at < b->len;) {
		ssize_t n = write(STDERR_FILENO, b->p + at, b->len - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		at += (size_t)n;
	}
}

/* src/cli/error-line.ts noticeLine: "cr-shim: TEXT\n", TEXT escaped. */
void print_notice(const char *text, size_t n)
{
	struct buf b = { 0 };
	buf_str(&b, "cr-shim: ");
	buf_escaped(&b, text, n);
	buf_str(&b, "\n");
	write_stderr(&b);
	buf_free(&b);
}

