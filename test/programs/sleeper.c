/*
 * sleeper
 *
 * For checkpoint/restore: prints pid= and ready=1, then forever adds one to a
 * counter every 50 ms and prints counter= once a second. A restored process
 * continues from the checkpointed value, so the printed counter never resets.
 */
#include <time.h>

#include "kv.h"

#define TICK_MS 50
#define TICKS_PER_REPORT (1000 / TICK_MS)

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage("sleeper");

	kv_long("pid", getpid());
	kv_long("ready", 1);
	for (unsigned long counter = 0;;) {
		struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };
		/* EINTR (a restore, a stop/continue) just ends this tick early. */
		nanosleep(&tick, NULL);
		counter++;
		if (counter % TICKS_PER_REPORT == 0)
			kv_long("counter", (long)counter);
	}
}
