/*
 * cr-shim's native front: dispatch to the C paths that answer `run` and `restore` without
 * Node.js, or exec the Node.js CLI (front.h says why). CR_SHIM_FRONT=off sends every command
 * to the CLI, so the two can be compared on the same request (test/front).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

#ifndef CR_SHIM_NODE_EXE
#define CR_SHIM_NODE_EXE "node"
#endif

const char *front_node_path(void)
{
	const char *env = getenv("CR_SHIM_NODE");
	return env && *env ? env : CR_SHIM_NODE_EXE;
}

_Noreturn void front_exec_node(const struct front *f)
{
	char main_js[PATH_MAX + 32];
	snprintf(main_js, sizeof(main_js), "%s/dist/cli/main.js", f->root);
	char **argv = calloc((size_t)f->argc + 2, sizeof(char *));
	const char *node = front_node_path();
	if (argv) {
		argv[0] = (char *)node;
		argv[1] = main_js;
		for (int i = 1; i < f->argc; i++)
			argv[i + 1] = f->argv[i];
		/* A bare name ("node") is looked up in PATH, as `#!/usr/bin/env node` would. */
		if (strchr(node, '/'))
			execv(node, argv);
		else
			execvp(node, argv);
	}
	int err = argv ? errno : ENOMEM;
	fprintf(stderr, "cr-shim: start Node.js: %s: %s; set CR_SHIM_NODE to the path of Node.js 20 or rebuild with npm install\n", node, strerror(err));
	exit(125);
}

/* f->root from /proc/self/exe: ROOT/build/Release/cr-shim. */
static int find_root(struct front *f)
{
	ssize_t n = readlink("/proc/self/exe", f->root, sizeof(f->root) - 1);
	if (n <= 0)
		return -1;
	f->root[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(f->root, '/');
		if (!slash)
			return -1;
		*slash = '\0';
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct front f = { .argc = argc, .argv = argv };
	if (find_root(&f) < 0) {
		fprintf(stderr, "cr-shim: find the package: /proc/self/exe: %s; run bin/cr-shim.js with Node.js instead\n", strerror(errno));
		return 125;
	}
	const char *off = getenv("CR_SHIM_FRONT");
	if (argc > 1 && !(off && strcmp(off, "off") == 0)) {
		if (strcmp(argv[1], "run") == 0)
			(void)front_run(&f, argc - 1, argv + 1);
		else if (strcmp(argv[1], "restore") == 0)
			(void)front_restore(&f, argc - 1, argv + 1);
	}
	front_exec_node(&f);
}
