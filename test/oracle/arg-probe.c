/*
 * Argument oracle probe: call one syscall per case with one chosen value in the argument
 * that selects behaviour (a prctl option, an fcntl command, a flag bit, ...) and harmless
 * other arguments, each case in a fresh forked child, and print what the kernel answered
 * as one JSON line on stdout.
 *
 *   arg-probe CASES...        CASES ::= CALL "=" VALUE { "," VALUE }   (VALUE decimal, 64-bit)
 *
 * The probe knows how to call each CALL harmlessly, not which values exist: the harness
 * (src/oracle/arg-cases.ts) takes the values from tables/args/x86_64.json and passes them in,
 * so the same binary probes every kernel. The calls and what makes them harmless:
 *   prctl            prctl(VALUE, 0, 0, 0, 0): a PR_SET_* with zeros changes only the child
 *   fcntl            fcntl(memfd, VALUE, 0): a private memfd, a NULL pointer for struct commands
 *   madvise          madvise(map, 1 page, VALUE) on a private anonymous mapping of the child
 *   madvise-nopages  madvise(map, 0, VALUE): the advice is checked, no page is touched (for
 *                    advice that acts on physical memory: MADV_HWPOISON, MADV_SOFT_OFFLINE)
 *   openat           openat(AT_FDCWD, "/proc/self/fd/<memfd>", VALUE, 0600)
 *   openat2          openat2 of the same path with how.flags = VALUE
 *   mmap             mmap(scratch, 1 page, PROT_READ, VALUE | MAP_ANONYMOUS, -1, 0), with
 *                    MAP_PRIVATE added when VALUE has no mapping type; scratch is a reserved
 *                    PROT_NONE page of the child (MAP_FIXED replaces it, MAP_FIXED_NOREPLACE
 *                    meets it)
 *   clone3           clone3({ .flags = VALUE }) with exit_signal 0 and no pointers: a created
 *                    child exits at once in assembly without touching memory (CLONE_VM shares
 *                    the stack), a created thread the same way
 *   getrandom        getrandom(buf, 16, VALUE | GRND_NONBLOCK): never waits for entropy
 *   statx            statx(memfd, "", AT_EMPTY_PATH, VALUE): OUT is stx_mask & VALUE
 *   socket           socket(VALUE, SOCK_DGRAM, 0)
 *   socket-type      socket(AF_UNIX, VALUE, 0)
 *   setsockopt       setsockopt(udp socket, SOL_SOCKET, VALUE, &(int){0}, sizeof(int))
 *   getsockopt       getsockopt(udp socket, SOL_SOCKET, VALUE, buf, &(socklen_t){256})
 *
 * Output grammar (one line):
 *   LINE    ::= "{\"release\":" STR ",\"results\":[" RESULT { "," RESULT } "]}" "\n"
 *   RESULT  ::= "{\"call\":" STR ",\"value\":" INT ANSWER [ ",\"out\":" INT ] "}"
 *   ANSWER  ::= ",\"ret\":" INT | ",\"errno\":" INT [ ",\"blocked\":true" ]
 *             | ",\"signal\":" INT | ",\"hung\":true"
 *
 * Exit status: 0 when every case was probed, whatever the answers; 22 for bad arguments;
 * otherwise the errno of the probe's own failed operation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <linux/sched.h>
#include <linux/stat.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* A blocking call is cut short by SIGALRM after this long. Longer than probe.c's 250 ms: a value
 * cr-shim sends to its supervisor (SO_PASSCRED before 6.16) is answered through user space, and
 * on a loaded machine that round trip once took longer than 250 ms (EINTR instead of the answer). */
#define ALARM_MS 2000
/* The parent kills a child that has not exited after this long. */
#define HANG_MS 5000

/* Shared between parent and child: the answer survives a call that leaves the child unable
 * to make another one. Volatile, so the answer is stored before the flag. */
struct answer {
  volatile int done;
  volatile int alarmed;
  volatile long rax;
  volatile int has_out;
  volatile unsigned long long out;
};

static struct answer *shared;

static void on_alarm(int sig) {
  (void)sig;
  shared->alarmed = 1;
}

static void on_parent_alarm(int sig) {
  (void)sig;
}

static long raw6(long nr, long a, long b, long c, long d, long e, long f) {
  long rax = nr;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall" : "+a"(rax), "+r"(r10), "+r"(r8), "+r"(r9) : "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return rax;
}

/* clone3 whose new task (process or thread) exits at once: it runs only these instructions,
 * touching no memory, so a CLONE_VM child on the caller's stack harms nothing. */
static long clone3_exit_child(struct clone_args *args) {
  long rax = SYS_clone3;
  __asm__ volatile("syscall\n\t"
                   "test %%rax, %%rax\n\t"
                   "jnz 1f\n\t"
                   "mov $60, %%eax\n\t" /* SYS_exit: the new task only */
                   "xor %%edi, %%edi\n\t"
                   "syscall\n\t"
                   "1:\n\t"
                   : "+a"(rax)
                   : "D"(args), "S"(sizeof *args)
                   : "rcx", "r11", "memory");
  return rax;
}

static __attribute__((noreturn)) void raw_exit(int status) {
  for (;;) __asm__ volatile("syscall" : : "a"((long)SYS_exit), "D"((long)status) : "rcx", "r11", "memory");
}

static long page;

/* Make the call for one case; the child's setup is done. */
static long call(const char *name, unsigned long long v) {
  if (strcmp(name, "prctl") == 0) return raw6(SYS_prctl, (long)v, 0, 0, 0, 0, 0);
  if (strcmp(name, "fcntl") == 0 || strcmp(name, "openat") == 0 || strcmp(name, "openat2") == 0 || strcmp(name, "statx") == 0) {
    int fd = memfd_create("arg-probe", 0);
    if (fd < 0) return -errno;
    if (strcmp(name, "fcntl") == 0) return raw6(SYS_fcntl, fd, (long)v, 0, 0, 0, 0);
    if (strcmp(name, "statx") == 0) {
      struct statx st;
      memset(&st, 0, sizeof st);
      long r = raw6(SYS_statx, fd, (long)"", AT_EMPTY_PATH, (long)v, (long)&st, 0);
      shared->out = st.stx_mask & v;
      shared->has_out = 1;
      return r;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (strcmp(name, "openat") == 0) return raw6(SYS_openat, AT_FDCWD, (long)path, (long)v, 0600, 0, 0);
    struct open_how how = { .flags = v, .mode = 0, .resolve = 0 };
    return raw6(SYS_openat2, AT_FDCWD, (long)path, (long)&how, sizeof how, 0, 0);
  }
  if (strcmp(name, "madvise") == 0 || strcmp(name, "madvise-nopages") == 0) {
    void *map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return -errno;
    return raw6(SYS_madvise, (long)map, strcmp(name, "madvise") == 0 ? page : 0, (long)v, 0, 0, 0);
  }
  if (strcmp(name, "mmap") == 0) {
    void *scratch = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED) return -errno;
    unsigned long long flags = v | MAP_ANONYMOUS;
    if ((v & 0x0f) == 0) flags |= MAP_PRIVATE; /* MAP_TYPE: the value is a flag, not a type */
    return raw6(SYS_mmap, (long)scratch, page, PROT_READ, (long)flags, -1, 0);
  }
  if (strcmp(name, "clone3") == 0) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = v;
    long r = clone3_exit_child(&args);
    /* A created process is reaped here (a thread or a CLONE_PARENT sibling is not ours: ECHILD). */
    if (r > 0) waitpid((pid_t)r, NULL, __WALL);
    return r;
  }
  if (strcmp(name, "getrandom") == 0) {
    char buf[16];
    return raw6(SYS_getrandom, (long)buf, sizeof buf, (long)(v | GRND_NONBLOCK), 0, 0, 0);
  }
  if (strcmp(name, "socket") == 0) return raw6(SYS_socket, (long)v, SOCK_DGRAM, 0, 0, 0, 0);
  if (strcmp(name, "socket-type") == 0) return raw6(SYS_socket, AF_UNIX, (long)v, 0, 0, 0, 0);
  if (strcmp(name, "setsockopt") == 0 || strcmp(name, "getsockopt") == 0) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return -errno;
    if (strcmp(name, "setsockopt") == 0) {
      int zero = 0;
      return raw6(SYS_setsockopt, s, SOL_SOCKET, (long)v, (long)&zero, sizeof zero, 0);
    }
    char buf[256];
    socklen_t len = sizeof buf;
    return raw6(SYS_getsockopt, s, SOL_SOCKET, (long)v, (long)buf, (long)&len, 0);
  }
  return -EINVAL;
}

static const char *const CALLS[] = {
  "prctl", "fcntl", "madvise", "madvise-nopages", "openat", "openat2", "mmap", "clone3",
  "getrandom", "statx", "socket", "socket-type", "setsockopt", "getsockopt",
};

static bool known_call(const char *name) {
  for (size_t i = 0; i < sizeof CALLS / sizeof CALLS[0]; i++)
    if (strcmp(CALLS[i], name) == 0) return true;
  return false;
}

/* In the child: no controlling terminal and private UTS and IPC namespaces (as in probe.c),
 * then the call; the answer goes to shared memory before the child exits. */
static __attribute__((noreturn)) void child(const char *name, unsigned long long v) {
  setsid();
  unshare(CLONE_NEWUTS | CLONE_NEWIPC);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked call returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, ALARM_MS * 1000L}};
  setitimer(ITIMER_REAL, &it, NULL);
  long rax = call(name, v);
  shared->rax = rax;
  shared->done = 1;
  raw_exit(0);
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* Probe one case in a fresh child and print its RESULT. Returns 0 or the errno of the probe's own failure. */
static int probe_one(const char *name, unsigned long long v, bool first) {
  memset((void *)shared, 0, sizeof *shared);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) child(name, v);
  struct itimerval watchdog = {{0, 0}, {HANG_MS / 1000, (HANG_MS % 1000) * 1000L}};
  setitimer(ITIMER_REAL, &watchdog, NULL);
  int status = 0;
  bool hung = false;
  for (;;) {
    pid_t r = waitpid(pid, &status, __WALL);
    if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status))) break;
    if (r == pid && WIFSTOPPED(status)) {
      kill(pid, SIGKILL);
      continue;
    }
    if (r < 0 && errno != EINTR) return errno;
    if (r < 0 && !hung) {
      hung = true;
      kill(pid, SIGKILL);
    }
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  /* Orphans of the case (a CLONE_PARENT sibling, a grandchild) come to this subreaper: reap them. */
  while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {}

  printf("%s{\"call\":", first ? "" : ",");
  json_str(name);
  printf(",\"value\":%llu", v);
  if (shared->done) {
    long rax = shared->rax;
    if (rax < 0 && rax >= -4095) printf(",\"errno\":%ld%s", -rax, shared->alarmed ? ",\"blocked\":true" : "");
    else printf(",\"ret\":%ld", rax);
    if (shared->has_out) printf(",\"out\":%llu", (unsigned long long)shared->out);
  } else if (hung) {
    fputs(",\"hung\":true", stdout);
  } else if (WIFSIGNALED(status)) {
    printf(",\"signal\":%d", WTERMSIG(status));
  } else {
    printf(",\"exited\":%d", WEXITSTATUS(status));
  }
  putchar('}');
  return 0;
}

static int usage(const char *bad) {
  fprintf(stderr, "arg-probe: bad case '%s': want CALL=VALUE[,VALUE...] with CALL one of prctl, fcntl, madvise, madvise-nopages, openat, openat2, mmap, clone3, getrandom, statx, socket, socket-type, setsockopt, getsockopt\n", bad);
  return EINVAL;
}

int main(int argc, char **argv) {
  /* Check every case before calling anything. */
  for (int i = 1; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq == argv[i] || eq[1] == '\0') return usage(argv[i]);
    *eq = '\0';
    bool ok = known_call(argv[i]);
    *eq = '=';
    if (!ok) return usage(argv[i]);
    for (char *p = eq + 1; *p;) {
      char *end;
      errno = 0;
      strtoull(p, &end, 10);
      if (end == p || errno != 0 || (*end != ',' && *end != '\0') || *p == '-') return usage(argv[i]);
      p = *end == ',' ? end + 1 : end;
    }
  }
  page = sysconf(_SC_PAGESIZE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_parent_alarm; /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  /* A case's orphans (CLONE_PARENT makes the new process a sibling of the child) come here. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    int e = errno;
    fprintf(stderr, "arg-probe: mmap: %s\n", strerror(e));
    return e;
  }
  struct utsname u;
  if (uname(&u) != 0) {
    int e = errno;
    fprintf(stderr, "arg-probe: uname: %s\n", strerror(e));
    return e;
  }
  fputs("{\"release\":", stdout);
  json_str(u.release);
  fputs(",\"results\":[", stdout);
  bool first = true;
  for (int i = 1; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    *eq = '\0';
    for (char *p = eq + 1; *p;) {
      char *end;
      unsigned long long v = strtoull(p, &end, 10);
      int e = probe_one(argv[i], v, first);
      if (e != 0) {
        fprintf(stderr, "arg-probe: fork/wait for %s=%llu: %s\n", argv[i], v, strerror(e));
        return e;
      }
      first = false;
      p = *end == ',' ? end + 1 : end;
    }
  }
  fputs("]}\n", stdout);
  return fflush(stdout) == 0 ? 0 : errno;
}
