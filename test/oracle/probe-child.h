/*
 * One call in a fresh forked child, for the oracle's probes (probe.c: syscall numbers;
 * arg-probe.c: argument values): the child stores its answer in shared memory without a
 * syscall, the parent waits with a watchdog, kills a child that hangs or stops, and reaps any
 * orphan the call left. Header-only: each probe is one static program built from one .c file.
 */
#ifndef CR_SHIM_PROBE_CHILD_H
#define CR_SHIM_PROBE_CHILD_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* The parent kills a child that has not exited after this long. */
#define HANG_MS 5000

/* Shared between parent and child: the child writes its answer here without a syscall, so the
 * answer survives even a call that leaves the child unable to make another one
 * (seccomp(SET_MODE_STRICT) allows only read, write, exit and sigreturn afterwards). Every field
 * volatile, so the answer is stored before the flag the parent reads. */
struct answer {
  volatile int done;
  volatile int alarmed;
  volatile long rax;
  /* arg-probe's statx: stx_mask & the value asked for. */
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

static __attribute__((noreturn)) void raw_exit(int status) {
  for (;;) __asm__ volatile("syscall" : : "a"((long)SYS_exit), "D"((long)status) : "rcx", "r11", "memory");
}

/* In the child: SIGALRM after `ms` (no SA_RESTART), so a blocked call returns EINTR. */
static void arm_child_alarm(long ms) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000L}};
  setitimer(ITIMER_REAL, &it, NULL);
}

/* In the parent, once: the shared answer and a SIGALRM that interrupts waitpid (no SA_RESTART).
 * Returns 0 or errno. */
static int probe_child_setup(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_parent_alarm;
  sigaction(SIGALRM, &sa, NULL);
  shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return shared == MAP_FAILED ? errno : 0;
}

/* What one call answered. */
struct outcome {
  bool done, alarmed, hung, signaled, has_out;
  long rax;
  unsigned long long out;
  int status;
};

/* Run child(ctx) in a fresh child; child stores into `shared` and ends with raw_exit. Returns 0
 * or the errno of the probe's own failure. */
static int run_in_child(void (*child)(const void *ctx), const void *ctx, struct outcome *o) {
  memset((void *)shared, 0, sizeof *shared);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    child(ctx);
    raw_exit(0);
  }
  struct itimerval watchdog = {{0, 0}, {HANG_MS / 1000, (HANG_MS % 1000) * 1000L}};
  setitimer(ITIMER_REAL, &watchdog, NULL);
  int status = 0;
  bool hung = false;
  for (;;) {
    pid_t r = waitpid(pid, &status, __WALL);
    if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status))) break;
    if (r == pid && WIFSTOPPED(status)) {
      /* ptrace(PTRACE_TRACEME) makes the child our tracee: a stop shows up here. */
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
  /* Orphans of the call that came to us (a CLONE_PARENT sibling, under PR_SET_CHILD_SUBREAPER). */
  while (waitpid(-1, NULL, WNOHANG | __WALL) > 0) {}
  *o = (struct outcome){ .done = shared->done, .alarmed = shared->alarmed, .hung = hung, .signaled = WIFSIGNALED(status),
                         .has_out = shared->has_out, .rax = shared->rax, .out = shared->out, .status = status };
  return 0;
}

/* Print an ANSWER: "ret", "errno" [+ "blocked"], "hung", "signal" or "exited", each member with a
 * leading "," unless `bare`. */
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
    /* Exited without answering: only an exit-like call can do that. */
    printf("%s\"exited\":%d", sep, WEXITSTATUS(o->status));
  }
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

#endif
