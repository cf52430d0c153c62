/* `cr-shim run`'s options for the front (run-options.c). */
#ifndef CR_SHIM_FRONT_RUN_OPTIONS_H
#define CR_SHIM_FRONT_RUN_OPTIONS_H

#define RUN_OPTION_COUNT 9

struct run_opts {
	const char *values[RUN_OPTION_COUNT];	/* a flag's value is "" when given, NULL when not */
	char **program;				/* PROGRAM ARGS... (NULL-terminated: argv's own end) */
};

/* Parse argv (argv[0] "run"). NULL, or why the CLI must answer instead (usage errors included). */
const char *run_options_parse(int argc, char **argv, struct run_opts *o);
/* The value of option `name` ("" for a flag given), or NULL. */
const char *run_opt(const struct run_opts *o, const char *name);

#endif
