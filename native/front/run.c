/* `cr-shim run` on a session-cache hit (front.h). Not yet: every run goes to the Node.js CLI. */
#include "front.h"

int front_run(const struct front *f, int argc, char **argv)
{
	(void)f;
	(void)argc;
	(void)argv;
	return FRONT_DECLINED;
}
