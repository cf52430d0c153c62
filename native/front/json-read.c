/* A strict JSON reader for the few replies the front reads (json-read.h). */
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>

#include "json-read.h"

void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80)
		u[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)), u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	buf_add(b, u, n);
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* A string at j->p (its opening quote); decoded into `out` when not NULL. */
int json_string(struct json *j, struct buf *out)
{
	struct buf sink = { 0 };
	struct buf *b = out ? out : &sink;
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		if (c < 0x20)
			return buf_free(&sink), -1;
		if (c != '\\') {
			if (out)
				buf_add(b, j->p, 1);
			j->p++;
			continue;
		}
		if (j->end - j->p < 2)
			return buf_free(&sink), -1;
		char e = j->p[1];
		j->p += 2;
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e && simple) {
			static const char to[] = "\"\\/\b\f\n\r\t";
			if (out)
				buf_add(b, &to[simple - "\"\\/bfnrt"], 1);
			continue;
		}
		unsigned u, lo;
		if (e != 'u' || j->end - j->p < 4 || hex4(j->p, &u) < 0)
			return buf_free(&sink), -1;
		j->p += 4;
		if (u >= 0xd800 && u <= 0xdbff && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' && hex4(j->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
			j->p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		} else if (u >= 0xd800 && u <= 0xdfff) {
			u = 0xfffd;
		}
		if (out)
			put_utf8(b, u);
	}
	if (j->p >= j->end)
		return buf_free(&sink), -1;
	j->p++;
	buf_free(&sink);
	return b->failed ? -1 : 0;
}

/* A number as JSON's grammar has it; its value in *v when v is not NULL. */
int json_number(struct json *j, double *v)
{
	const char *s = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	else
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (v) {
		char tmp[64];
		size_t n = (size_t)(j->p - s);
		if (n >= sizeof(tmp))
			return -1;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		*v = strtod(tmp, NULL);
	}
	return 0;
}

static int json_literal(struct json *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

/* Skip any value (nesting bounded: the service's reply is flat). */
int json_skip(struct json *j, int depth)
{
	json_ws(j);
	if (j->p >= j->end || depth > 64)
		return -1;
	char c = *j->p;
	if (c == '"')
		return json_string(j, NULL);
	if (c == 't')
		return json_literal(j, "true");
	if (c == 'f')
		return json_literal(j, "false");
	if (c == 'n')
		return json_literal(j, "null");
	if (c == '[' || c == '{') {
		char close = c == '[' ? ']' : '}';
		j->p++;
		json_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				json_ws(j);
				if (json_string(j, NULL) < 0)
					return -1;
				json_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return -1;
			}
			if (json_skip(j, depth + 1) < 0)
				return -1;
			json_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				return 0;
			}
			return -1;
		}
	}
	return json_number(j, NULL);
}

int json_eat(struct json *j, char c)
{
	json_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	return 0;
}
