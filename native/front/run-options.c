/*
 * `cr-shim run`'s command line as src/cli/args.ts parseArgs reads it (stopAtPositional): options
 * as `--opt VALUE` or `--opt=VALUE`, flags without a value, the last of a repeated option wins,
 * and the program at the first positional or after `--`. The front answers no usage error:
 * anything the CLI would refuse, or that the front does not serve, is a reason to decline.
 */
#include <stddef.h>
#include <string.h>

#include "run-options.h"

/* run's options (src/cli/commands/run.ts runSpec) as data, in the order of run_opts.values. */
static const struct run_option {
	const char *name;
	int takes_value;
} RUN_OPTIONS[] = {
	{ "kernel", 1 }, { "mechanism", 1 }, { "dumpable", 0 }, { "allow-io-uring", 0 }, { "allow-tiocsti", 0 },
	{ "stats", 0 },	 { "trace", 1 },     { "no-new-privs", 0 }, { "quiet", 0 },
};
#define NOPTIONS RUN_OPTION_COUNT
_Static_assert(sizeof(RUN_OPTIONS) / sizeof(RUN_OPTIONS[0]) == RUN_OPTION_COUNT, "run_opts.values holds every option");

const char *run_opt(const struct run_opts *o, const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(RUN_OPTIONS[i].name, name) == 0)
			return o->values[i];
	return NULL;
}

/* args.ts parseArgs with stopAtPositional. NULL, or why the CLI must answer (a usage error included). */
const char *run_options_parse(int argc, char **argv, struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return "help";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			o->program = &argv[i + 1];
			break;
		}
		if (strncmp(a, "--", 2) == 0 && a[2]) {
			const char *eq = strchr(a, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			size_t k = 0;
			while (k < NOPTIONS && !(strlen(RUN_OPTIONS[k].name) == len && strncmp(RUN_OPTIONS[k].name, a + 2, len) == 0))
				k++;
			if (k == NOPTIONS)
				return "an unknown option";
			if (RUN_OPTIONS[k].takes_value) {
				const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!v)
					return "an option without its value";
				o->values[k] = v;
			} else if (eq) {
				return "a flag with a value";
			} else {
				o->values[k] = "";
			}
			continue;
		}
		o->program = &argv[i];
		break;
	}
	if (!o->program || !o->program[0])
		return "no program";
	if (run_opt(o, "trace"))
		return "--trace";
	const char *mech = run_opt(o, "mechanism");
	if (mech && strcmp(mech, "notify") != 0)
		return "a mechanism other than notify";
	return NULL;
}

