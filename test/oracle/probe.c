/*
 * Syscall oracle probe: call every x86_64 syscall number 0..MAX with all-zero
 * arguments, each in a fresh forked child, and print what the kernel answered
 * as one JSON line on stdout. A number that answers ENOSYS is called again with
 * every argument -1 (the recheck): an existing call can return ENOSYS from
 * inside (quotactl_fd on a filesystem without quota operations: fd 0 is a
 * memfd), but with fd -1 it fails its first check instead (EBADF), while a
 * missing one answers ENOSYS whatever its arguments.
 *
 *   probe --max N [--skip NR,NR,...]
 *
 * The probe knows no syscall names: the harness derives MAX and the skip list
 * (calls that would kill or replace the child, or act outside it) from the
 * tables and passes them in, so the same binary probes every kernel.
 *
 * Output grammar (one line):
 *   LINE    ::= "{" IDENT "," "\"results\":[" RESULT { "," RESULT } "]}" "\n"
 *   IDENT   ::= "\"sysname\":" STR ",\"release\":" STR ",\"version\":" STR
 *               ",\"machine\":" STR ",\"procVersion\":" STR
 *   RESULT  ::= "{\"nr\":" INT ( ",\"ret\":" INT            success (rax >= 0 or outside -4095..-1)
 *                             | ",\"errno\":" INT [ ",\"blocked\":true" ]   blocked: the call was
 *                                                            still waiting when the 250 ms alarm fired
 *                             | ",\"signal\":" INT          the child died of this signal
 *                             | ",\"hung\":true"            no answer in 5 s, child killed
 *                             | ",\"skipped\":\"unsafe\"" ) [ RECHECK ] "}"
 *   RECHECK ::= ",\"recheck\":{" ANSWER "}"    only after errno 38 (ENOSYS), not blocked:
 *                                                 the same number with every argument -1
 *   ANSWER  ::= the "ret", "errno", "signal" or "hung" member above, without its leading ","
 *
 * Exit status: 0 when every number was probed, whatever the answers; 22 for bad
 * arguments; otherwise the errno of the probe's own failed operation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NR 4095
/* A blocking call (pause, select with no timeout) is cut short by SIGALRM after this long. */
#define ALARM_MS 250
/* The parent kills a child that has not exited after this long. */
#define HANG_MS 5000

/* Shared between parent and child: the child writes its answer here without a syscall,
 * so the answer survives even a call that leaves the child unable to make another one
 * (seccomp(SET_MODE_STRICT) allows only read, write, exit and sigreturn afterwards). */
struct answer {
  volatile int done;
  volatile int alarmed;
  volatile long rax;
};

static struct answer *shared;

static void on_alarm(int sig) {
  (void)sig;
  shared->alarmed = 1;
}

static void on_parent_alarm(int sig) {
  (void)sig;
}

/* The raw syscall instruction: glibc's syscall() would be fine, but this way nothing but the
 * kernel stands between the number and the answer. */
static long raw_syscall6(long nr, long arg) {
  long rax = nr;
  register long r10 __asm__("r10") = arg;
  register long r8 __asm__("r8") = arg;
  register long r9 __asm__("r9") = arg;
  __asm__ volatile("syscall"
                   : "+a"(rax), "+r"(r10), "+r"(r8), "+r"(r9)
                   : "D"(arg), "S"(arg), "d"(arg)
                   : "rcx", "r11", "memory");
  return rax;
}

static __attribute__((noreturn)) void raw_exit(int status) {
  for (;;) __asm__ volatile("syscall" : : "a"((long)SYS_exit), "D"((long)status) : "rcx", "r11", "memory");
}

/* In the child: isolate what a zero-argument call could change outside it, then make the call. */
static __attribute__((noreturn)) void child(long nr, long arg) {
  /* No controlling terminal, so vhangup() cannot hang up the console. */
  setsid();
  /* sethostname(NULL, 0) as root empties the hostname and msgget/semget(IPC_PRIVATE) create
   * objects: give those calls namespaces of their own, which die with the child. */
  unshare(CLONE_NEWUTS | CLONE_NEWIPC);
  /* fd 0 is what zero arguments name: make it a private memfd, never a shared file, or
   * fchmod(0, 0) as root would leave the system's /dev/null mode 0000. */
  int fd = memfd_create("probe-fd0", 0);
  if (fd >= 0) {
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked call returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, ALARM_MS * 1000L}};
  setitimer(ITIMER_REAL, &it, NULL);
  long rax = raw_syscall6(nr, arg);
  shared->rax = rax;
  shared->done = 1;
  raw_exit(0);
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* What one call answered. */
struct outcome {
  bool done, alarmed, hung, signaled;
  long rax;
  int status;
};

/* Call nr with every argument `arg` in a fresh child. Returns 0 or the errno of the probe's own failure. */
static int call_one(long nr, long arg, struct outcome *o) {
  shared->done = 0;
  shared->alarmed = 0;
  shared->rax = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) child(nr, arg);

  /* The parent's own SIGALRM (handler installed in main, no SA_RESTART) interrupts waitpid
   * when the child has not exited in time. The child resets it with its own handler. */
  struct itimerval watchdog = {{0, 0}, {HANG_MS / 1000, (HANG_MS % 1000) * 1000L}};
  setitimer(ITIMER_REAL, &watchdog, NULL);
  int status = 0;
  bool hung = false;
  for (;;) {
    pid_t r = waitpid(pid, &status, __WALL);
    if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status))) break;
    if (r == pid && WIFSTOPPED(status)) {
      /* ptrace(PTRACE_TRACEME) (nr 101 with zeros) makes the child our tracee: a stop shows up here. */
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
  *o = (struct outcome){ .done = shared->done, .alarmed = shared->alarmed, .hung = hung,
                         .signaled = WIFSIGNALED(status), .rax = shared->rax, .status = status };
  return 0;
}

/* Print an ANSWER (RESULT's members after "nr"), each with a leading "," unless `bare`. */
static void print_answer(const struct outcome *o, bool bare) {
  const char *sep = bare ? "" : ",";
  if (o->done) {
    if (o->rax < 0 && o->rax >= -4095) printf("%s\"errno\":%ld%s", sep, -o->rax, o->alarmed ? ",\"blocked\":true" : "");
    else printf("%s\"ret\":%ld", sep, o->rax);
  } else if (o->hung) {
    printf("%s\"hung\":true", sep);
  } else if (o->signaled) {
    printf("%s\"signal\":%d", sep, WTERMSIG(o->status));
  } else {
    /* Exited without answering: only an exit-like call can do that, and those are skipped. */
    printf("%s\"exited\":%d", sep, WEXITSTATUS(o->status));
  }
}

/* Probe one number; prints its RESULT. Returns 0 or the errno of the probe's own failure. */
static int probe_one(long nr, bool first) {
  struct outcome o, again;
  int e = call_one(nr, 0, &o);
  if (e != 0) return e;
  bool recheck = o.done && !o.alarmed && o.rax == -ENOSYS;
  if (recheck && (e = call_one(nr, -1, &again)) != 0) return e;
  printf("%s{\"nr\":%ld", first ? "" : ",", nr);
  print_answer(&o, false);
  if (recheck) {
    fputs(",\"recheck\":{", stdout);
    print_answer(&again, true);
    putchar('}');
  }
  putchar('}');
  return 0;
}

static int usage(void) {
  fputs("usage: probe --max N [--skip NR,NR,...]\n", stderr);
  return EINVAL;
}

int main(int argc, char **argv) {
  long max = -1;
  static bool skip[MAX_NR + 1];
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
      char *end;
      max = strtol(argv[++i], &end, 10);
      if (*end != '\0' || max < 0 || max > MAX_NR) return usage();
    } else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
      char *p = argv[++i];
      while (*p) {
        char *end;
        long nr = strtol(p, &end, 10);
        if (end == p || nr < 0 || nr > MAX_NR) return usage();
        skip[nr] = true;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') return usage();
      }
    } else {
      return usage();
    }
  }
  if (max < 0) return usage();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_parent_alarm; /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGALRM, &sa, NULL);

  shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    int e = errno;
    fprintf(stderr, "probe: mmap: %s\n", strerror(e));
    return e;
  }

  struct utsname u;
  if (uname(&u) != 0) {
    int e = errno;
    fprintf(stderr, "probe: uname: %s\n", strerror(e));
    return e;
  }
  char procVersion[1024] = "";
  FILE *f = fopen("/proc/version", "r");
  if (f) {
    size_t n = fread(procVersion, 1, sizeof procVersion - 1, f);
    procVersion[n] = '\0';
    fclose(f);
  }

  fputs("{\"sysname\":", stdout);
  json_str(u.sysname);
  fputs(",\"release\":", stdout);
  json_str(u.release);
  fputs(",\"version\":", stdout);
  json_str(u.version);
  fputs(",\"machine\":", stdout);
  json_str(u.machine);
  fputs(",\"procVersion\":", stdout);
  json_str(procVersion);
  fputs(",\"results\":[", stdout);
  for (long nr = 0; nr <= max; nr++) {
    if (skip[nr]) {
      printf("%s{\"nr\":%ld,\"skipped\":\"unsafe\"}", nr == 0 ? "" : ",", nr);
      continue;
    }
    int e = probe_one(nr, nr == 0);
    if (e != 0) {
      fprintf(stderr, "probe: fork/wait for nr %ld: %s\n", nr, strerror(e));
      return e;
    }
  }
  fputs("]}\n", stdout);
  return fflush(stdout) == 0 ? 0 : errno;
}
