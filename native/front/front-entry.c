/*
 * The session cache's front entry: where it lives, whether it may be trusted, its key and its
 * records (front-entry.h; the format is docs/FRONT.md's, written by src/supervisor/run-cache.ts).
 *
 *   FILE   ::= MAGIC:"CRSHFRNT" VERSION:u32 RECORD*
 *   RECORD ::= TAG:u32 LEN:u32 BODY[LEN]          integers little-endian
 *
 * cr-shim runs as root on paths other users control: the directory must be a real directory of
 * the effective user with no group or other bits, the entry a regular file opened without
 * following a symlink, one link, the effective user's, mode 0600. The entry names its own key,
 * compared byte for byte; its deps are re-checked by stat. Anything else is a miss.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../channel.h"
#include "../cleanup.h"
#include "front-entry.h"

/* run-cache.ts FORMAT: the key's first line. A test compares the front's key with runCacheKey's. */
#define RUN_CACHE_FORMAT 4
#define MAGIC "CRSHFRNT"
/* A compiled run's entry is a few hundred KiB at most (filters, tables); anything larger is not ours. */
#define MAX_ENTRY (64u << 20)

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* A small file's text (boot_id, online, build-id), or NULL. */
static char *read_small(const char *path)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char tmp[4096];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, tmp + n, sizeof(tmp) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(tmp) - 1)
			return NULL;
	}
	tmp[n] = '\0';
	return strdup(tmp);
}

/* String.prototype.trim for the ASCII whitespace these files hold. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\v' || s[n - 1] == '\f'))
		s[--n] = '\0';
	return s;
}

/* A --kernel value JSON.stringify writes as it is: no quote, backslash or control byte; ASCII only (argv is not always UTF-8). */
static int json_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

char *front_entry_key(const struct front *f, const struct run_request *req, const char **why)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/dist/cli/build-id", f->root);
	autofree char *build_raw = read_small(path);
	char *build = build_raw ? trim(build_raw) : NULL;
	if (!build || !*build) {
		*why = "no build id";
		return NULL;
	}
	if (req->kernel && !json_plain(req->kernel)) {
		*why = "a --kernel value JSON escapes";
		return NULL;
	}
	struct utsname u;
	if (uname(&u) < 0) {
		*why = "no uname";
		return NULL;
	}
	/* hostIdentity: each file's trimmed text, or "" when it cannot be read. */
	autofree char *boot_raw = read_small("/proc/sys/kernel/random/boot_id");
	autofree char *online_raw = read_small("/sys/devices/system/cpu/online");
	const char *boot = boot_raw ? trim(boot_raw) : "";
	const char *online = online_raw ? trim(online_raw) : "";
	char line[64];
	struct buf b = { 0 };
	snprintf(line, sizeof(line), "format %d\n", RUN_CACHE_FORMAT);
	int err = buf_str(&b, line) | buf_str(&b, build) | buf_str(&b, "\n");
	err |= buf_str(&b, u.release) | buf_str(&b, "\n") | buf_str(&b, u.version) | buf_str(&b, "\n") | buf_str(&b, u.machine) | buf_str(&b, "\n");
	err |= buf_str(&b, boot) | buf_str(&b, "\ncpus ") | buf_str(&b, online) | buf_str(&b, "\n");
	err |= buf_str(&b, f->root) | buf_str(&b, "/tables\n");
	err |= buf_str(&b, "{\"kernel\":");
	if (req->kernel)
		err |= buf_str(&b, "\"") | buf_str(&b, req->kernel) | buf_str(&b, "\"");
	else
		err |= buf_str(&b, "null");
	err |= buf_str(&b, req->identity_mounted ? ",\"view\":{\"identityMounted\":true" : ",\"view\":{\"identityMounted\":false");
	err |= buf_str(&b, req->io_uring ? ",\"ioUring\":true}" : ",\"ioUring\":false}");
	err |= buf_str(&b, req->tiocsti ? ",\"behaviourOptions\":[\"tiocsti\"]}" : ",\"behaviourOptions\":[]}");
	if (err) {
		free(b.p);
		*why = "out of memory";
		return NULL;
	}
	return b.p;
}

/* fnv1a.ts: 64-bit FNV-1a over the UTF-8 bytes. */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

/* run-cache.ts defaultRunCacheDir, for euid 0 only (run declines otherwise: front.h). */
static const char CACHE_DIR[] = "/var/cache/cr-shim/sessions";

static int trusted_dir(const char *dir)
{
	struct stat st;
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

/* "SIZE MTIME_NS" as run-cache.ts stateOf writes it (stat follows symlinks, as fs.statSync), or "absent". */
static void state_of(const char *path, char *out, size_t n)
{
	struct stat st;
	if (stat(path, &st) < 0)
		snprintf(out, n, "absent");
	else
		snprintf(out, n, "%lld %lld", (long long)st.st_size, (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A record body as a NUL-terminated copy; NULL if it holds a NUL (no argv or path can). */
static char *text_of(const uint8_t *p, uint32_t len)
{
	if (memchr(p, '\0', len))
		return NULL;
	return strndup((const char *)p, len);
}

/* BODY ::= LEFT NUL RIGHT: both copied; -1 when malformed. */
static int split_pair(const uint8_t *p, uint32_t len, char **left, char **right)
{
	const uint8_t *nul = memchr(p, '\0', len);
	if (!nul)
		return -1;
	*left = text_of(p, (uint32_t)(nul - p));
	*right = text_of(nul + 1, (uint32_t)(len - (uint32_t)(nul - p) - 1));
	return *left && *right ? 0 : -1;
}

static int is_hex64(const uint8_t *p, uint32_t len)
{
	if (len != 64)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* Split the records of e->buf; -1 with *why on any fault (docs/FRONT.md: a miss). */
static int parse(struct front_entry *e, const char *key, const char **why)
{
	const uint8_t *b = e->buf;
	size_t n = e->len, off;
	if (n < 12 || memcmp(b, MAGIC, 8) != 0 || le32(b + 8) != FRONT_ENTRY_VERSION) {
		*why = "entry: not this version's";
		return -1;
	}
	size_t counts[FT_WORKER + 1] = { 0 };
	for (off = 12; off < n;) {
		if (n - off < 8 || le32(b + off + 4) > n - off - 8) {
			*why = "entry: a short record";
			return -1;
		}
		uint32_t tag = le32(b + off);
		if (tag == FT_END || tag > FT_WORKER) {
			*why = "entry: an unknown record";
			return -1;
		}
		counts[tag]++;
		/* The key first, whatever the order: any later "no" (a table changed) is then this key's entry. */
		if (tag == FT_KEY && (le32(b + off + 4) != strlen(key) || memcmp(b + off + 8, key, strlen(key)) != 0)) {
			*why = "entry: another key's";
			return -1;
		}
		off += 8 + le32(b + off + 4);
	}
	if (counts[FT_KEY] != 1 || counts[FT_FILTER] != 1 || counts[FT_SHA256] != 1 || counts[FT_PERSONA] != 1 || counts[FT_WORKER] != 1) {
		*why = "entry: a required record missing or repeated";
		return -1;
	}
	e->notices = calloc(counts[FT_NOTICE] + 1, sizeof(*e->notices));
	e->actions = calloc(counts[FT_ACTIONS] + 1, sizeof(*e->actions));
	e->identity = calloc(counts[FT_IDENTITY] + 1, sizeof(*e->identity));
	e->added = calloc(counts[FT_ADDED] + 1, sizeof(*e->added));
	e->routes = calloc(counts[FT_ROUTE] + 1, sizeof(*e->routes));
	if (!e->notices || !e->actions || !e->identity || !e->added || !e->routes) {
		*why = "out of memory";
		return -1;
	}
	for (off = 12; off < n;) {
		uint32_t tag = le32(b + off), len = le32(b + off + 4);
		const uint8_t *p = b + off + 8;
		off += 8 + len;
		char state[64];
		switch (tag) {
		case FT_KEY:
			break;
		case FT_DEP: {
			autofree char *path = NULL, *was = NULL;
			if (split_pair(p, len, &path, &was) < 0) {
				*why = "entry: a damaged dep";
				return -1;
			}
			state_of(path, state, sizeof(state));
			if (strcmp(state, was) != 0) {
				*why = "a table changed";
				return -1;
			}
			break;
		}
		case FT_FILTER:
			if (len == 0 || len % 8 != 0) {
				*why = "entry: a damaged filter";
				return -1;
			}
			e->filter = (struct span){ p, len };
			break;
		case FT_SHA256:
			if (!is_hex64(p, len)) {
				*why = "entry: a damaged sha256";
				return -1;
			}
			memcpy(e->sha256, p, 64);
			e->sha256[64] = '\0';
			break;
		case FT_NOTICE:
			e->notices[e->nnotices++] = (struct span){ p, len };
			break;
		case FT_IDENTITY:
		case FT_ADDED: {
			struct file_text *ft = tag == FT_IDENTITY ? &e->identity[e->nidentity++] : &e->added[e->nadded++];
			if (split_pair(p, len, &ft->target, &ft->text) < 0) {
				*why = "entry: a damaged file text";
				return -1;
			}
			break;
		}
		case FT_PERSONA:
			if (split_pair(p, len, &e->release, &e->mainline) < 0) {
				*why = "entry: a damaged persona";
				return -1;
			}
			break;
		case FT_ACTIONS:
			e->actions[e->nactions++] = (struct span){ p, len };
			break;
		case FT_ROUTE: {
			struct route_name *r = &e->routes[e->nroutes++];
			if (len < 8 || !(r->name = text_of(p + 8, len - 8))) {
				*why = "entry: a damaged route";
				return -1;
			}
			r->audit_arch = le32(p);
			r->nr = le32(p + 4);
			break;
		}
		case FT_WORKER:
			e->worker = (struct span){ p, len };
			break;
		}
	}
	return 0;
}

int front_entry_read(const struct front *f, const struct run_request *req, struct front_entry *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	autofree char *key = front_entry_key(f, req, why);
	if (!key)
		return -1;
	if (!trusted_dir(CACHE_DIR)) {
		*why = "no trusted cache directory";
		return -1;
	}
	char path[sizeof(CACHE_DIR) + 32];
	snprintf(path, sizeof(path), "%s/%016llx.front", CACHE_DIR, (unsigned long long)fnv1a64(key));
	autoclose int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		/* Named, so that a test can compare the front's key with runCacheKey's through it. */
		static char no_entry[48];
		snprintf(no_entry, sizeof(no_entry), "no entry %016llx", (unsigned long long)fnv1a64(key));
		*why = no_entry;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() || (st.st_mode & 07777) != 0600 ||
	    st.st_size <= 0 || (uint64_t)st.st_size > MAX_ENTRY) {
		*why = "entry: not trusted";
		return -1;
	}
	out->len = (size_t)st.st_size;
	out->buf = malloc(out->len);
	if (!out->buf || pread(fd, out->buf, out->len, 0) != (ssize_t)out->len) {
		*why = "entry: unreadable";
		front_entry_free(out);
		return -1;
	}
	if (parse(out, key, why) < 0) {
		front_entry_free(out);
		return -1;
	}
	return 0;
}

void front_entry_free(struct front_entry *e)
{
	for (size_t i = 0; e->identity && i < e->nidentity; i++)
		free(e->identity[i].target), free(e->identity[i].text);
	for (size_t i = 0; e->added && i < e->nadded; i++)
		free(e->added[i].target), free(e->added[i].text);
	for (size_t i = 0; e->routes && i < e->nroutes; i++)
		free(e->routes[i].name);
	free(e->identity);
	free(e->added);
	free(e->routes);
	free(e->notices);
	free(e->actions);
	free(e->release);
	free(e->mainline);
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

int front_record_write(int fd, uint32_t tag, const void *body, uint32_t len)
{
	uint8_t head[8] = { tag, tag >> 8, tag >> 16, tag >> 24, len, len >> 8, len >> 16, len >> 24 };
	return write_full(fd, head, 8) < 0 || write_full(fd, body, len) < 0 ? -1 : 0;
}
