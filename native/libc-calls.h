/* The set-up system calls cr_shim_notify.node exports beside the loop (native/libc-calls.c). */
#ifndef CR_SHIM_LIBC_CALLS_H
#define CR_SHIM_LIBC_CALLS_H

#include <node_api.h>
#include <stdbool.h>

/* Define prctl, waitpid, pidfdOpen, pidfdGetfd, seccompActionAvail, madviseEmpty, seqpacketConnect, peerCred and sendPacket on `exports`. */
bool libc_calls_define(napi_env env, napi_value exports);

#endif
