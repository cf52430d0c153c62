/*
 * cr_shim_sigsys.so: the in-process mechanism (cr-shim run --mechanism sigsys).
 *
 * Preloaded into the program (LD_PRELOAD), its constructor reads the file
 * named by $CR_SHIM_SIGSYS, installs a SIGSYS handler, then the filter, whose
 * routed calls return SECCOMP_RET_TRAP. A trapped call never runs: the kernel
 * sends SIGSYS with the call's number (si_syscall) and arch, and whatever the
 * handler leaves in rax when it returns is the call's result.
 *
 * Config grammar (one item per line, numbers decimal, HEX lower-case pairs):
 *   CONFIG ::= { LINE "\n" }
 *   LINE   ::= "filter" SP HEX                     struct sock_filter array (TRAP for routed calls)
 *            | "errno" SP NR SP ERRNO              answer -ERRNO
 *            | "write" SP NR SP ARG SP VAL SP HEX  copy the bytes to args[ARG], answer VAL (EFAULT if unwritable)
 *            | "continue" SP NR                    run the call as asked, from the library's own syscall site
 *            | "watch" SP NR SP ARG SP FORM        an open: FORM is open | openat | openat2; path in args[ARG]
 *            | "file" SP PATH SP HEX               what a read-only open of PATH (absolute) reads
 *            | "exec" SP NR                        refuse with ENOSYS and one stderr line
 * A routed number without a line is answered ENOSYS.
 *
 * "Continue" is impossible for a trapped call, so the handler makes the call
 * itself through cr_sigsys_syscall, and the filter lets calls from that one
 * site through (see exempt_stub): every RET but ALLOW is patched into a jump
 * to a tail that compares seccomp_data.instruction_pointer with the address
 * after the stub's syscall instruction. Only paths that would not allow load
 * the instruction pointer, so the kernel's action cache (5.11+) still proves
 * ALLOW for every allowed number.
 *
 * Where it fits: dynamically linked x86_64 programs that do not exec (an
 * exec'd image keeps the filter but loses the handler, so its loader's first
 * open would be killed: exec is refused instead), that leave SIGSYS alone, and
 * whose persona needs no TypeScript handler (those calls are answered ENOSYS;
 * cr-shim says so before starting). A re-issued call interrupted by a signal
 * returns EINTR rather than restarting.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "native-verdict.h"

/* Every syscall number the table schema admits (0..4095), as in notify-core.h (NC_MAX_NR). */
#define MAX_NR 4096
#define MAX_FILES 8
#define PATH_BUF 4096

/*
 * The kinds of native-verdict.h, as the config's lines give them (NK_PATH_WATCH: "watch",
 * served from the "file" lines), and one of this library's own: exec, refused.
 */
enum { SK_EXEC = 0x80 };
enum form { F_OPEN, F_OPENAT, F_OPENAT2 };

struct verdict {
	unsigned char kind, arg, form;
	int err;
	long val;
	unsigned char *bytes;
	size_t len;
};

struct file {
	char *path;
	unsigned char *text;
	size_t len;
	const char *base; /* last component, for the cheap first test */
};

static struct verdict verdicts[MAX_NR];
static struct file files[MAX_FILES];
static size_t nfiles;

/*
 * long cr_sigsys_syscall(long nr, long a1, ..., long a6): the one syscall site
 * the filter exempts. cr_sigsys_after is the address the kernel reports as
 * instruction_pointer for it (x86_64 reports the address after `syscall`).
 */
long cr_sigsys_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
extern const char cr_sigsys_after[];
__asm__(".text\n"
	".globl cr_sigsys_syscall\n"
	".type cr_sigsys_syscall,@function\n"
	"cr_sigsys_syscall:\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	movq %r9, %r8\n"
	"	movq 8(%rsp), %r9\n"
	"	syscall\n"
	".globl cr_sigsys_after\n"
	"cr_sigsys_after:\n"
	"	ret\n"
	".size cr_sigsys_syscall, .-cr_sigsys_syscall\n");

#define SYS0(nr, a, b, c) cr_sigsys_syscall((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

static long self_pid;

/* Copy between this process's memory and buf with EFAULT semantics: process_vm_* on ourselves. */
static long vm_copy(int write, uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	return cr_sigsys_syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, self_pid, (long)&local, 1, (long)&remote, 1, 0);
}

/* Read a NUL-terminated string at addr into buf (PATH_BUF); 0, or -1 when unreadable or too long. */
static int read_path(uintptr_t addr, char *buf)
{
	size_t got = 0;
	while (got < PATH_BUF) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		if (chunk > PATH_BUF - got)
			chunk = PATH_BUF - got;
		if (vm_copy(0, addr + got, buf + got, chunk) != (long)chunk)
			return -1;
		if (memchr(buf + got, '\0', chunk))
			return 0;
		got += chunk;
	}
	return -1;
}

/* Lexically normalise an absolute path in place: "//", "." and ".." removed. */
static void normalise(char *p)
{
	char *out = p, *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t n = (size_t)(in - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

static const struct file *watched(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	for (size_t i = 0; i < nfiles; i++)
		if (strcmp(last, files[i].base) == 0)
			return &files[i];
	return NULL;
}

/* The identity file a (dirfd, path) names, or NULL. Relative paths resolve against the cwd or dirfd. */
static const struct file *identity_file(int dirfd, const char *path)
{
	static __thread char full[2 * PATH_BUF + 2];
	size_t n = 0;
	if (path[0] != '/') {
		long r;
		if (dirfd == AT_FDCWD) {
			r = SYS0(SYS_getcwd, full, PATH_BUF, 0);
			n = r > 0 ? strlen(full) : 0;
		} else {
			char link[32] = "/proc/self/fd/";
			char digits[12];
			int d = 0;
			unsigned v = (unsigned)dirfd;
			do
				digits[d++] = (char)('0' + v % 10);
			while ((v /= 10) != 0);
			size_t k = strlen(link);
			while (d > 0)
				link[k++] = digits[--d];
			link[k] = '\0';
			r = cr_sigsys_syscall(SYS_readlinkat, AT_FDCWD, (long)link, (long)full, PATH_BUF, 0, 0);
			n = r > 0 ? (size_t)r : 0;
		}
		if (n == 0)
			return NULL;
		full[n++] = '/';
	}
	size_t len = strlen(path);
	if (n + len >= sizeof(full))
		return NULL;
	memcpy(full + n, path, len + 1);
	normalise(full);
	for (size_t i = 0; i < nfiles; i++)
		if (strcmp(full, files[i].path) == 0)
			return &files[i];
	return NULL;
}

/* A read-only fd onto a new memfd holding f's text, with O_CLOEXEC as asked; -errno on failure. */
static long serve(const struct file *f, int cloexec)
{
	long mfd = SYS0(SYS_memfd_create, "cr-shim-proc", MFD_CLOEXEC, 0);
	if (mfd < 0)
		return mfd;
	long w = SYS0(SYS_write, mfd, f->text, f->len);
	long fd = w < 0 ? w : 0;
	if (fd == 0) {
		/* Reopened read-only, as the notify and ptrace mechanisms hand it over. */
		char link[32] = "/proc/self/fd/";
		char digits[12];
		int d = 0;
		unsigned long v = (unsigned long)mfd;
		do
			digits[d++] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		size_t k = strlen(link);
		while (d > 0)
			link[k++] = digits[--d];
		link[k] = '\0';
		fd = cr_sigsys_syscall(SYS_openat, AT_FDCWD, (long)link, O_RDONLY | (cloexec ? O_CLOEXEC : 0), 0, 0, 0);
	}
	SYS0(SYS_close, mfd, 0, 0);
	return fd;
}

static long watch(const struct verdict *v, long nr, const long *a)
{
	static __thread char path[PATH_BUF];
	/* Unreadable or overlong: the real call gives the kernel's own EFAULT or ENAMETOOLONG. */
	if (read_path((uintptr_t)a[v->arg], path) < 0 || watched(path) == NULL)
		return cr_sigsys_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	int dirfd = v->form == F_OPEN ? AT_FDCWD : (int)a[0];
	unsigned long flags;
	if (v->form == F_OPEN)
		flags = (unsigned long)a[1];
	else if (v->form == F_OPENAT)
		flags = (unsigned long)a[2];
	else {
		uint64_t how;
		if (vm_copy(0, (uintptr_t)a[2], &how, sizeof(how)) != (long)sizeof(how))
			return -EFAULT;
		flags = how;
	}
	const struct file *f = identity_file(dirfd, path);
	int read_only = (flags & O_ACCMODE) == O_RDONLY && (flags & (O_CREAT | O_DIRECTORY | O_PATH)) == 0;
	if (f == NULL || !read_only)
		return cr_sigsys_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return serve(f, (flags & O_CLOEXEC) != 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	int nr = si->si_syscall;
	long ret = -ENOSYS;
	if (si->si_arch == AUDIT_ARCH_X86_64 && nr >= 0 && nr < MAX_NR) {
		const struct verdict *v = &verdicts[nr];
		switch (v->kind) {
		case NK_ERRNO:
			ret = -v->err;
			break;
		case NK_WRITE_ARG:
			ret = vm_copy(1, (uintptr_t)a[v->arg], v->bytes, v->len) == (long)v->len ? v->val : -EFAULT;
			break;
		case NK_CONTINUE:
			ret = cr_sigsys_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			break;
		case NK_PATH_WATCH:
			ret = watch(v, nr, a);
			break;
		case SK_EXEC: {
			static const char msg[] = "cr-shim: exec is refused under --mechanism sigsys (the new image would run "
						  "without the SIGSYS handler); use --mechanism notify or ptrace\n";
			SYS0(SYS_write, 2, msg, sizeof(msg) - 1);
			ret = -ENOSYS;
			break;
		}
		default:
			break;
		}
	}
	g[REG_RAX] = ret;
}

static __attribute__((noreturn)) void die(const char *op, const char *what)
{
	fprintf(stderr, "cr-shim sigsys: %s: %s\n", op, what);
	_exit(125);
}

static unsigned char *unhex(const char *s, size_t *len)
{
	size_t n = strlen(s) / 2;
	unsigned char *b = malloc(n ? n : 1);
	if (b == NULL)
		die("config", "out of memory");
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		if (sscanf(s + 2 * i, "%2x", &x) != 1)
			die("config", "bad hex");
		b[i] = (unsigned char)x;
	}
	*len = n;
	return b;
}

static int in_range(long nr)
{
	return nr >= 0 && nr < MAX_NR;
}

/* Parse the config; returns the filter (malloc'd) and its length in instructions. */
static struct sock_filter *read_config(const char *file, unsigned short *count)
{
	FILE *f = fopen(file, "re");
	if (f == NULL)
		die(file, strerror(errno));
	static char line[1 << 17];
	struct sock_filter *filter = NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char word[16], hex[sizeof(line)], form[16];
		long nr, x, y;
		size_t len;
		if (sscanf(line, "%15s", word) != 1)
			continue;
		if (strcmp(word, "filter") == 0 && sscanf(line, "filter %s", hex) == 1) {
			filter = (struct sock_filter *)unhex(hex, &len);
			if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
				die("config", "bad filter length");
			*count = (unsigned short)(len / sizeof(struct sock_filter));
		} else if (strcmp(word, "errno") == 0 && sscanf(line, "errno %ld %ld", &nr, &x) == 2 && in_range(nr)) {
			verdicts[nr] = (struct verdict){ .kind = NK_ERRNO, .err = (int)x };
		} else if (strcmp(word, "write") == 0 && sscanf(line, "write %ld %ld %ld %s", &nr, &x, &y, hex) == 4 && in_range(nr) && x >= 0 && x < 6) {
			verdicts[nr] = (struct verdict){ .kind = NK_WRITE_ARG, .arg = (unsigned char)x, .val = y };
			verdicts[nr].bytes = unhex(hex, &verdicts[nr].len);
		} else if (strcmp(word, "continue") == 0 && sscanf(line, "continue %ld", &nr) == 1 && in_range(nr)) {
			verdicts[nr] = (struct verdict){ .kind = NK_CONTINUE };
		} else if (strcmp(word, "watch") == 0 && sscanf(line, "watch %ld %ld %15s", &nr, &x, form) == 3 && in_range(nr) && x >= 0 && x < 6) {
			unsigned char fm = strcmp(form, "open") == 0 ? F_OPEN : strcmp(form, "openat") == 0 ? F_OPENAT : F_OPENAT2;
			verdicts[nr] = (struct verdict){ .kind = NK_PATH_WATCH, .arg = (unsigned char)x, .form = fm };
		} else if (strcmp(word, "file") == 0 && nfiles < MAX_FILES) {
			char *path = malloc(strlen(line));
			if (path == NULL || sscanf(line, "file %s %s", path, hex) != 2 || path[0] != '/')
				die("config", "bad file line");
			struct file *fl = &files[nfiles++];
			fl->path = path;
			fl->text = unhex(hex, &fl->len);
			fl->base = strrchr(path, '/') + 1;
		} else if (strcmp(word, "exec") == 0 && sscanf(line, "exec %ld", &nr) == 1 && in_range(nr)) {
			verdicts[nr] = (struct verdict){ .kind = SK_EXEC };
		} else {
			die("config: unknown line", line);
		}
	}
	fclose(f);
	if (filter == NULL)
		die(file, "no filter line");
	return filter;
}

/*
 * Patch every RET other than ALLOW into a jump to a tail that allows the call
 * when it comes from cr_sigsys_syscall and else returns the original value:
 * the handler's own calls must pass whatever the persona refuses (for 2.6.32,
 * memfd_create and process_vm_readv are ENOSYS in BPF). One tail of six
 * instructions per distinct return value; ALLOW paths never load the
 * instruction pointer, so the action cache still covers them.
 */
static struct sock_filter *exempt_stub(struct sock_filter *in, unsigned short *count)
{
	const unsigned short n = *count;
	uint32_t rets[64];
	unsigned nrets = 0;
	for (unsigned short pc = 0; pc < n; pc++) {
		if (in[pc].code != (BPF_RET | BPF_K) || in[pc].k == SECCOMP_RET_ALLOW)
			continue;
		unsigned r = 0;
		while (r < nrets && rets[r] != in[pc].k)
			r++;
		if (r == nrets) {
			if (nrets == sizeof(rets) / sizeof(rets[0]))
				die("filter", "too many distinct return values");
			rets[nrets++] = in[pc].k;
		}
	}
	size_t total = (size_t)n + 6 * nrets;
	if (total > BPF_MAXINSNS)
		die("filter", "too long once patched");
	struct sock_filter *out = calloc(total, sizeof(*out));
	if (out == NULL)
		die("filter", "out of memory");
	memcpy(out, in, n * sizeof(*in));
	uint64_t ip = (uint64_t)(uintptr_t)cr_sigsys_after;
	for (unsigned short pc = 0; pc < n; pc++) {
		if (out[pc].code != (BPF_RET | BPF_K) || out[pc].k == SECCOMP_RET_ALLOW)
			continue;
		unsigned r = 0;
		while (rets[r] != out[pc].k)
			r++;
		out[pc] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(n + 6 * r - pc - 1), 0, 0);
	}
	for (unsigned r = 0; r < nrets; r++) {
		struct sock_filter *t = out + n + 6 * r;
		/* seccomp_data.instruction_pointer is a u64: low half at +8, high half at +12 (little-endian). */
		t[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
		t[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, 2);
		t[2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
		t[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 1, 0);
		t[4] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, rets[r]);
		t[5] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	*count = (unsigned short)total;
	free(in);
	return out;
}

__attribute__((constructor)) static void cr_sigsys_init(void)
{
	const char *file = getenv("CR_SHIM_SIGSYS");
	if (file == NULL)
		return;
	unsigned short count = 0;
	struct sock_filter *insns = exempt_stub(read_config(file, &count), &count);
	self_pid = getpid();

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		die("sigaction(SIGSYS)", strerror(errno));
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	/* A blocked SIGSYS would make the kernel kill the task at the first trapped call. */
	sigprocmask(SIG_UNBLOCK, &sys, NULL);

	struct sock_fprog prog = { .len = count, .filter = insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			die("seccomp(SET_MODE_FILTER)", strerror(errno));
	}
	/* Children of this program do not load the library again: the config is for this image only. */
	unsetenv("CR_SHIM_SIGSYS");
	free(insns);
}
