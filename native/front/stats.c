/*
 * The --stats table (stats.h), as formatStats prints it:
 *
 *   "cr-shim: translated syscalls" NL
 *   "  " "syscall".padEnd(20) " " "arch".padEnd(7) " " "path".padEnd(7) " " "count".padStart(9) " " "mean µs".padStart(9) NL
 *   { "  " NAME.padEnd(20) " " ARCH.padEnd(7) " " PATH.padEnd(7) " " COUNT.padStart(9) " " MEAN.toFixed(2).padStart(9) NL }
 *   | "  (none)" NL
 *   "cr-shim: peak RSS " KIB " KiB" NL
 *
 * Rows: the helper's (JS) rows first, then native rows with a count, each named by its route
 * ("nr N" without one); sorted by count, descending, then by name as localeCompare orders the
 * names cr-shim has (lowercase letters, digits, "_" and " "), the sort stable.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static const char *arch_name(uint32_t audit)
{
	switch (audit) {
	case 0xc000003e: return "x86_64";
	case 0x40000003: return "ia32";
	case 0xc00000b7: return "aarch64";
	default: return "undefined";
	}
}

static int grow(struct stats_row **rows, size_t n, size_t *cap)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 32;
	struct stats_row *p = realloc(*rows, c * sizeof(**rows));
	if (!p)
		return -1;
	*rows = p;
	*cap = c;
	return 0;
}

int stats_add_native(struct stats *s, uint32_t audit, uint32_t nr, uint64_t count, double total_ns)
{
	for (size_t i = 0; i < s->nnative; i++) {
		if (s->native[i].audit == audit && s->native[i].nr == nr) {
			s->native[i].count += count;
			s->native[i].total_ns += total_ns;
			return 0;
		}
	}
	if (grow(&s->native, s->nnative, &s->capnative) < 0)
		return -1;
	s->native[s->nnative++] = (struct stats_row){ .count = count, .total_ns = total_ns, .audit = audit, .nr = nr };
	return 0;
}

int stats_add_js(struct stats *s, const char *arch, const char *name, uint64_t count, double total_ns, int js_path)
{
	if (grow(&s->js, s->njs, &s->capjs) < 0)
		return -1;
	s->js[s->njs++] = (struct stats_row){ .arch = strdup(arch), .name = strdup(name), .count = count, .total_ns = total_ns, .js = js_path };
	return 0;
}

/* ICU root collation for these names: whitespace, then punctuation, then digits, then letters. */
static int rank(unsigned char c)
{
	if (c == ' ')
		return 1;
	if (c >= '0' && c <= '9')
		return 200 + c;
	if (c >= 'a' && c <= 'z')
		return 400 + (c - 'a') * 2;
	if (c >= 'A' && c <= 'Z')
		return 400 + (c - 'A') * 2 + 1;
	return 10 + c;
}

static int name_cmp(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (rank((unsigned char)*a) != rank((unsigned char)*b))
			return rank((unsigned char)*a) - rank((unsigned char)*b);
	return (unsigned char)*a - (unsigned char)*b;
}

static int row_cmp(const struct stats_row *a, const struct stats_row *b)
{
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return name_cmp(a->name, b->name);
}

void stats_print(FILE *out, const struct stats *s, const struct front_entry *e, double max_rss_kib)
{
	size_t n = 0;
	struct stats_row *rows = calloc(s->njs + s->nnative + 1, sizeof(*rows));
	char (*names)[32] = calloc(s->nnative + 1, sizeof(*names));
	if (rows && names) {
		for (size_t i = 0; i < s->njs; i++)
			rows[n++] = s->js[i];
		for (size_t i = 0; i < s->nnative; i++) {
			const struct stats_row *r = &s->native[i];
			if (r->count == 0)
				continue;
			const char *name = NULL;
			for (size_t k = 0; k < e->nroutes && !name; k++)
				if (e->routes[k].audit_arch == r->audit && e->routes[k].nr == r->nr)
					name = e->routes[k].name;
			if (!name) {
				snprintf(names[i], sizeof(names[i]), "nr %u", r->nr);
				name = names[i];
			}
			rows[n] = *r;
			rows[n].name = (char *)name;
			rows[n].arch = (char *)arch_name(r->audit);
			n++;
		}
		/* Insertion sort: stable, as Array.prototype.sort, and the tables are short. */
		for (size_t i = 1; i < n; i++) {
			struct stats_row r = rows[i];
			size_t j = i;
			for (; j > 0 && row_cmp(&rows[j - 1], &r) > 0; j--)
				rows[j] = rows[j - 1];
			rows[j] = r;
		}
	}
	/* "mean µs" is 7 UTF-16 units to padStart and 8 bytes to printf: padded here. */
	fprintf(out, "cr-shim: translated syscalls\n  %-20s %-7s %-7s %9s   mean \xc2\xb5s\n", "syscall", "arch", "path", "count");
	for (size_t i = 0; i < n; i++) {
		const struct stats_row *r = &rows[i];
		double mean = r->count ? r->total_ns / (double)r->count / 1000 : 0;
		fprintf(out, "  %-20s %-7s %-7s %9llu %9.2f\n", r->name, r->arch, r->js ? "js" : "native", (unsigned long long)r->count, mean);
	}
	if (n == 0)
		fputs("  (none)\n", out);
	fprintf(out, "cr-shim: peak RSS %.0f KiB\n", round(max_rss_kib));
	free(rows);
	free(names);
}
