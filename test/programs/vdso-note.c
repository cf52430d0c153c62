/*
 * vdso-note LABEL [--wait-file FILE] [PROG ARGS...]
 *
 * Prints LABEL.vdso_note=0x%06x, the LINUX_VERSION_CODE in its own vDSO note
 * (vdso-note.h). With --wait-file it then prints pid=N and ready=1, waits until
 * FILE exists (attach and restore take it over meanwhile) and prints
 * LABEL.after_wait.vdso_note. Then, given PROG, it execs PROG with ARGS
 * through a PATH search (execvp), so a chain shows what each image reads.
 */
#include "vdso-note.h"

int main(int argc, char **argv)
{
	char key[128];
	if (argc < 2)
		kv_usage("vdso-note LABEL [--wait-file FILE] [PROG ARGS...]");
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
	if (i < argc) {
		execvp(argv[i], argv + i);
		kv_die("vdso-note", "execvp", errno);
	}
	return 0;
}
