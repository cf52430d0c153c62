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

#include "probe-child.h"

#define MAX_NR 4095
/* A blocking call (pause, select with no timeout) is cut short by SIGALRM after this long. */
#define ALARM_MS 250

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

struct call {
  long nr, arg;
};

/* In the child: isolate what a zero-argument call could change outside it, then make the call. */
static void child(const void *ctx) {
  const struct call *c = ctx;
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
  arm_child_alarm(ALARM_MS);
  shared->rax = raw_syscall6(c->nr, c->arg);
  shared->done = 1;
}

/* Call nr with every argument `arg` in a fresh child. Returns 0 or the errno of the probe's own failure. */
static int call_one(long nr, long arg, struct outcome *o) {
  struct call c = { nr, arg };
  return run_in_child(child, &c, o);
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

  int e = probe_child_setup();
  if (e != 0) {
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
