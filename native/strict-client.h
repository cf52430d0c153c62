/*
 * The notify loop's side of cr-shim-strict (native/strict-mode.c): one helper process per
 * request, since a thread enters strict mode once.
 */
#ifndef CR_SHIM_STRICT_CLIENT_H
#define CR_SHIM_STRICT_CLIENT_H

#include <sys/types.h>

/* The calls that ask for strict mode (NativeAction.arg of enterStrict). */
enum strict_form { STRICT_FORM_PRCTL = 0, STRICT_FORM_SECCOMP = 1 };

/*
 * Put thread `tid`, blocked in the loop's notification for a strict-mode request, under the
 * strict-equivalent filter; the call then returns 0. Returns 0, or the helper's errno (it could
 * not start, or the request was not carried out: strict-mode.c says what the thread then sees).
 * Thread-safe; blocks the calling thread until the helper is done. Not from a thread whose
 * event loop reaps children (the helper is waited for by its pid).
 */
int strict_enter(const char *helper, pid_t tid);

#endif
