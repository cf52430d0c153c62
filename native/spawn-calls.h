/* Process start-up calls cr_shim_notify.node exports beside the loop (native/spawn-calls.c). */
#ifndef CR_SHIM_SPAWN_CALLS_H
#define CR_SHIM_SPAWN_CALLS_H

#include <node_api.h>
#include <stdbool.h>

/* Define spawn, socketpair and pipe on `exports`. */
bool spawn_calls_define(napi_env env, napi_value exports);

#endif
