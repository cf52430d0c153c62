/* `cr-shim restore` through `cr-shim serve` (front.h). Not yet: every restore goes to the Node.js CLI. */
#include "front.h"

int front_restore(const struct front *f, int argc, char **argv)
{
	(void)f;
	(void)argc;
	(void)argv;
	return FRONT_DECLINED;
}
