/*
 * signals [--die-by-signal]
 *
 * Catches SIGINT, SIGTERM, SIGHUP and SIGUSR1, prints pid= and ready=1, and
 * waits. On a signal it prints got=SIGNAME and exits with status 10 + signo.
 * --die-by-signal leaves SIGTERM at its default action so that SIGTERM kills
 * the process (a supervisor should then exit 128 + 15). Either way the
 * process dies by SIGALRM after 60 s so that a failed test leaves nothing
 * behind.
 */
#include "kv.h"

#define SAFETY_TIMEOUT_S 60

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };

static volatile sig_atomic_t received;

static void on_signal(int signo)
{
	received = signo;
}

int main(int argc, char **argv)
{
	int die_by_signal = 0;
	if (argc == 2 && strcmp(argv[1], "--die-by-signal") == 0)
		die_by_signal = 1;
	else if (argc != 1)
		kv_usage("signals [--die-by-signal]");

	/* Block the signals until sigsuspend so that one sent right after
	 * "ready" is not lost between the check and the wait. */
	sigset_t blocked, wait_mask;
	sigemptyset(&blocked);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		int signo = caught[i];
		if (die_by_signal && signo == SIGTERM)
			continue;
		struct sigaction sa = { .sa_handler = on_signal };
		sigemptyset(&sa.sa_mask);
		if (sigaction(signo, &sa, NULL) == -1)
			kv_die("signals", "sigaction", errno);
		sigaddset(&blocked, signo);
	}
	/* The parent may have left either ignored; both must be able to kill. */
	if ((die_by_signal && signal(SIGTERM, SIG_DFL) == SIG_ERR) || signal(SIGALRM, SIG_DFL) == SIG_ERR)
		kv_die("signals", "signal SIG_DFL", errno);
	if (sigprocmask(SIG_BLOCK, &blocked, &wait_mask) == -1)
		kv_die("signals", "sigprocmask", errno);
	/* Wait with everything this program handles unblocked, whatever it inherited. */
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigdelset(&wait_mask, caught[i]);
	sigdelset(&wait_mask, SIGALRM);

	alarm(SAFETY_TIMEOUT_S);
	kv_long("pid", getpid());
	kv_long("ready", 1);
	while (received == 0)
		sigsuspend(&wait_mask);

	kv_str("got", kv_signame(received));
	return 10 + received;
}
