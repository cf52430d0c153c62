/*
 * identity-leaks [--wait-file FILE] SCRATCH_DIR
 *
 * Tries every known way around the persona's identity files (issue 11) and
 * prints, per vector, the first line it read: VECTOR=TEXT, or
 * VECTOR.error=ERRNAME when the read failed. SCRATCH_DIR is an empty directory
 * the program may write (symlinks, mount points). With --wait-file, it prints
 * pid=N and ready=1 first and starts only once FILE exists (for attach and
 * restore, which take the program over while it waits).
 *
 *   symlink_version    a symlink to /proc/version
 *   symlink_osrelease  a symlink to /proc/sys/kernel/osrelease
 *   symlink_dotdot     SCRATCH/k -> /proc/sys/kernel, then k/../../version
 *   self_cwd           /proc/self/cwd/kernel/osrelease after chdir(/proc/sys)
 *   self_fd_dir        /proc/self/fd/<fd of /proc>/version
 *   opath_self_fd      O_PATH open, reopened through /proc/self/fd/N
 *   opath_dev_fd       the same through /dev/fd/N
 *   rdwr               O_RDWR (root may open /proc/version so)
 *   rdonly_creat       O_RDONLY|O_CREAT
 *   race.*             a thread flips the path between a scratch file and
 *                      /proc/sys/kernel/osrelease while the main thread opens
 *                      it RACE_TRIES times: race.host counts reads of the host
 *                      release, race.persona reads of anything else
 *   io_uring_setup     io_uring_setup(8): ok or the errno
 *   vdso_note          LINUX_VERSION_CODE in the vDSO's "Linux" note, hex
 *   fresh_proc         /proc/version of a proc mounted anew in a new mount namespace
 *   bind_proc          version under a non-recursive bind of /proc in a new mount namespace
 *
 * The host's release (what race.host counts) cannot be learnt under the shim
 * without a leak, so the caller passes it: HOST_RELEASE in the environment.
 */
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kv.h"
#include "vdso-note.h"

#define RACE_TRIES 3000

static const char *scratch;

/* First line (newline kept out) of fd into buf; 0 or errno. */
static int first_line(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);
	int err = n < 0 ? errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static void report(const char *key, int fd)
{
	char buf[512], k[128];
	int err = fd < 0 ? errno : first_line(fd, buf, sizeof(buf));
	if (err) {
		snprintf(k, sizeof(k), "%s.error", key);
		kv_str(k, kv_errname(err));
	} else {
		kv_str(key, buf);
	}
}

static char *in_scratch(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", scratch, name);
	return p;
}

static void symlinks(void)
{
	symlink("/proc/version", in_scratch("v"));
	report("symlink_version", open(in_scratch("v"), O_RDONLY));
	symlink("/proc/sys/kernel/osrelease", in_scratch("r"));
	report("symlink_osrelease", open(in_scratch("r"), O_RDONLY));
	symlink("/proc/sys/kernel", in_scratch("k"));
	report("symlink_dotdot", open(in_scratch("k/../../version"), O_RDONLY));
}

static void proc_self(void)
{
	char p[64];
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (chdir("/proc/sys") == 0) {
		report("self_cwd", open("/proc/self/cwd/kernel/osrelease", O_RDONLY));
		if (chdir(cwd) != 0)
			kv_str("chdir_back.error", kv_errname(errno));
	}
	int dir = open("/proc", O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "/proc/self/fd/%d/version", dir);
	report("self_fd_dir", open(p, O_RDONLY));
	close(dir);

	int o = open("/proc/version", O_PATH);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", o);
	report("opath_self_fd", open(p, O_RDONLY));
	snprintf(p, sizeof(p), "/dev/fd/%d", o);
	report("opath_dev_fd", open(p, O_RDONLY));
	close(o);

	report("rdwr", open("/proc/version", O_RDWR));
	report("rdonly_creat", open("/proc/sys/kernel/osrelease", O_RDONLY | O_CREAT, 0644));
}

/* ---- race: the path changes under the supervisor's feet ---- */

static char race_path[4096];
static atomic_int race_stop;

static void *flipper(void *arg)
{
	const char *harmless = arg;
	while (!atomic_load(&race_stop)) {
		strcpy(race_path, "/proc/sys/kernel/osrelease");
		strcpy(race_path, harmless);
	}
	return NULL;
}

static void race(const char *host_release)
{
	char harmless[4096];
	snprintf(harmless, sizeof(harmless), "%s", in_scratch("harmless-file-name"));
	int h = open(harmless, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (h >= 0) {
		(void)!write(h, "harmless\n", 9);
		close(h);
	}
	strcpy(race_path, harmless);
	pthread_t t;
	pthread_create(&t, NULL, flipper, harmless);
	int host = 0, other = 0;
	for (int i = 0; i < RACE_TRIES; i++) {
		char buf[256];
		int fd = open(race_path, O_RDONLY);
		if (fd < 0 || first_line(fd, buf, sizeof(buf)) != 0)
			continue;
		if (host_release && strcmp(buf, host_release) == 0)
			host++;
		else
			other++;
	}
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	kv_long("race.host", host);
	kv_long("race.persona", other);
}

/* ---- io_uring, vDSO ---- */

static void uring(void)
{
	unsigned char params[120] = { 0 }; /* struct io_uring_params */
	long fd = syscall(425 /* io_uring_setup, x86_64 */, 8, params);
	if (fd < 0) {
		kv_str("io_uring_setup.error", kv_errname(errno));
		return;
	}
	kv_str("io_uring_setup", "ok");
	close((int)fd);
}

static void vdso_note(void)
{
	kv_vdso_note("vdso_note");
}

/* ---- mounts made by the program itself (needs CAP_SYS_ADMIN) ---- */

static void in_new_namespace(const char *key, const char *type, unsigned long flags)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char buf[512] = "";
		const char *dir = in_scratch(key);
		mkdir(dir, 0755);
		int err = 0;
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount(type ? "proc" : "/proc", dir, type, flags, NULL) != 0)
			err = errno;
		char file[4200];
		snprintf(file, sizeof(file), "%s/version", dir);
		int fd = err ? -1 : open(file, O_RDONLY);
		if (!err && fd < 0)
			err = errno;
		if (!err)
			err = first_line(fd, buf, sizeof(buf));
		dprintf(pipefd[1], "%s%s", err ? "!" : "", err ? kv_errname(err) : buf);
		_exit(0);
	}
	close(pipefd[1]);
	char buf[600] = "", k[128];
	ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (buf[0] == '!') {
		snprintf(k, sizeof(k), "%s.error", key);
		kv_str(k, buf + 1);
	} else {
		kv_str(key, buf);
	}
}

int main(int argc, char **argv)
{
	const char *wait_file = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--wait-file") == 0) {
		wait_file = argv[i + 1];
		i += 2;
	}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: identity-leaks [--wait-file FILE] SCRATCH_DIR\n");
		return KV_EXIT_USAGE;
	}
	scratch = argv[i];
	if (wait_file) {
		kv_long("pid", getpid());
		kv_long("ready", 1);
		while (access(wait_file, F_OK) != 0)
			usleep(10000);
	}
	symlinks();
	proc_self();
	race(getenv("HOST_RELEASE"));
	uring();
	vdso_note();
	in_new_namespace("fresh_proc", "proc", 0);
	in_new_namespace("bind_proc", NULL, MS_BIND);
	kv_long("done", 1);
	return 0;
}
