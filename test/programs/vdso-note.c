/*
 * vdso-note LABEL [--wait-file FILE] [--thread] [PROG ARGS...]
 *
 * Prints LABEL.vdso_note=0x%06x, the LINUX_VERSION_CODE in its own vDSO note
 * (vdso-note.h). With --wait-file it then prints pid=N and ready=1, waits until
 * FILE exists (attach and restore take it over meanwhile) and prints
 * LABEL.after_wait.vdso_note. Then, given PROG, it execs PROG with ARGS
 * through a PATH search (execvp), so a chain shows what each image reads;
 * with --thread, from a second thread (the kernel's de_thread hands it the
 * thread group's id).
 */
#include <pthread.h>
#include <stdbool.h>

#include "vdso-note.h"

static char **g_exec_argv;

static void *exec_thread(void *unused)
{
	(void)unused;
	execvp(g_exec_argv[0], g_exec_argv);
	kv_die("vdso-note", "execvp", errno);
}

int main(int argc, char **argv)
{
	char key[128];
	if (argc < 2)
		kv_usage("vdso-note LABEL [--wait-file FILE] [--thread] [PROG ARGS...]");
	const char *label = argv[1];
	int i = 2;
	snprintf(key, sizeof(key), "%s.vdso_note", label);
	kv_vdso_note(key);
	if (i + 1 < argc && strcmp(argv[i], "--wait-file") == 0) {
		kv_long("pid", getpid());
		kv_long("ready", 1);
		while (access(argv[i + 1], F_OK) != 0)
			usleep(10000);
		snprintf(key, sizeof(key), "%s.after_wait.vdso_note", label);
		kv_vdso_note(key);
		i += 2;
	}
	bool from_thread = i < argc && strcmp(argv[i], "--thread") == 0;
	if (from_thread)
		i++;
	if (i < argc && from_thread) {
		pthread_t t;
		g_exec_argv = argv + i;
		int err = pthread_create(&t, NULL, exec_thread, NULL);
		if (err != 0)
			kv_die("vdso-note", "pthread_create", err);
		pthread_join(t, NULL);
	} else if (i < argc) {
		execvp(argv[i], argv + i);
		kv_die("vdso-note", "execvp", errno);
	}
	return 0;
}
