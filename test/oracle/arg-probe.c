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

#include "probe-child.h"

/* A blocking call is cut short by SIGALRM after this long. Longer than probe.c's 250 ms: a value
 * cr-shim sends to its supervisor (SO_PASSCRED before 6.16) is answered through user space, and
 * on a loaded machine that round trip once took longer than 250 ms (EINTR instead of the answer). */
#define ALARM_MS 2000

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

struct arg_case {
  const char *name;
  unsigned long long value;
};

/* In the child: no controlling terminal and private UTS and IPC namespaces (as in probe.c),
 * then the call; the answer goes to shared memory. */
static void child(const void *ctx) {
  const struct arg_case *c = ctx;
  setsid();
  unshare(CLONE_NEWUTS | CLONE_NEWIPC);
  arm_child_alarm(ALARM_MS);
  long rax = call(c->name, c->value);
  shared->rax = rax;
  shared->done = 1;
}

/* Probe one case in a fresh child and print its RESULT. Returns 0 or the errno of the probe's own failure. */
static int probe_one(const char *name, unsigned long long v, bool first) {
  struct arg_case c = { name, v };
  struct outcome o = {0};
  int e = run_in_child(child, &c, &o);
  if (e != 0) return e;
  printf("%s{\"call\":", first ? "" : ",");
  json_str(name);
  printf(",\"value\":%llu", v);
  print_answer(&o, false);
  if (o.done && o.has_out) printf(",\"out\":%llu", o.out);
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
  /* A case's orphans (CLONE_PARENT makes the new process a sibling of the child) come here. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int err = probe_child_setup();
  if (err != 0) {
    fprintf(stderr, "arg-probe: mmap: %s\n", strerror(err));
    return err;
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
