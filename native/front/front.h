/*
 * cr-shim's native front (build/Release/cr-shim, started by bin/cr-shim): the command a user
 * types. Node.js takes 80 to 130 ms to start on the machines cr-shim runs on, more than the
 * whole of what `run` does on a session-cache hit and about half a served restore's downtime
 * (docs/PERFORMANCE-NOTES.md, 2026-12-06). So the two hot paths are answered here in C:
 *
 *   run       on a session-cache hit: the launcher, the guard and the native notification
 *             loop (native/notify-core.c); Node starts only if a call needs a TypeScript
 *             handler, as the supervisor thread's helper (front/run.c, docs/FRONT.md);
 *   restore   when `cr-shim serve` listens: the thin client's one request (front/restore-client.c).
 *
 * Everything else, and every case these paths decline (an option they do not know, a cache
 * miss, no service), goes to the Node.js CLI unchanged: front_exec_node. A path declines only
 * before it has done anything visible, so the CLI then does all of it as if called directly.
 */
#ifndef CR_SHIM_FRONT_H
#define CR_SHIM_FRONT_H

#include <limits.h>

struct front {
	/* The package root: build/Release/cr-shim's directory, two levels up. */
	char root[PATH_MAX];
	/* The whole command line as given (argv[0] "cr-shim"), for the Node.js CLI. */
	int argc;
	char **argv;
};

/*
 * The signals a user sends cr-shim that go on to the program, held until it exists
 * (src/supervisor/signal-forwarder.ts FORWARDED_SIGNALS); an initializer, for <signal.h> users.
 */
#define FRONT_FORWARDED_SIGNALS { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 }

/* Returned by a path that declines: front_exec_node follows. */
#define FRONT_DECLINED (-1)

/* `cr-shim run ...`: argv[0] is "run". Returns FRONT_DECLINED, or exits. */
int front_run(const struct front *f, int argc, char **argv);

/* `cr-shim restore ...`: argv[0] is "restore". Returns FRONT_DECLINED, or exits. */
int front_restore(const struct front *f, int argc, char **argv);

/* Replace this process with the Node.js CLI on f->argv. Never returns (one error line, 125). */
_Noreturn void front_exec_node(const struct front *f);

/* The Node.js executable: $CR_SHIM_NODE, else the one the package was built with. */
const char *front_node_path(void);

#endif
