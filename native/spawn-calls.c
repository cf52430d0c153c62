/*
 * Starting cr-shim's own processes (the launcher, the guard) from Node without
 * child_process, which forks the whole Node process (helper-spawn.h says what
 * that costs): spawn, and the socketpair and pipe their fds come from. Exported
 * by cr_shim_notify.node beside the loop; src/native/spawn.ts is the one caller.
 * Results as in libc-calls.c: the value, or -errno; only a malformed argument
 * throws (TypeError).
 */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "helper-spawn.h"
#include "spawn-calls.h"

#define MAX_ARGS 4096
#define MAX_SPAWN_FDS 64

static bool type_error(napi_env env, const char *what)
{
	napi_throw_type_error(env, "EINVAL", what);
	return false;
}

/* A JS string as a malloc'd C string; NULL with a TypeError pending. */
static char *c_string(napi_env env, napi_value v)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
		type_error(env, "cr_shim_notify spawn: a string is expected");
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		type_error(env, "cr_shim_notify spawn: out of memory");
		return NULL;
	}
	napi_get_value_string_utf8(env, v, s, len + 1, &len);
	if (strlen(s) != len) {
		free(s);
		type_error(env, "cr_shim_notify spawn: a string holds a NUL byte");
		return NULL;
	}
	return s;
}

static void free_strings(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static void strings_cleanup(char ***v)
{
	free_strings(*v);
}

/* An array of strings as a NULL-terminated malloc'd vector; NULL with a TypeError pending. */
static char **c_strings(napi_env env, napi_value arr)
{
	bool is_array = false;
	uint32_t n;
	napi_is_array(env, arr, &is_array);
	if (!is_array || napi_get_array_length(env, arr, &n) != napi_ok || n > MAX_ARGS) {
		type_error(env, "cr_shim_notify spawn: an array of strings is expected");
		return NULL;
	}
	char **v = calloc(n + 1, sizeof(*v));
	if (!v) {
		type_error(env, "cr_shim_notify spawn: out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		napi_value e;
		napi_get_element(env, arr, i, &e);
		if (!(v[i] = c_string(env, e))) {
			free_strings(v);
			return NULL;
		}
	}
	return v;
}

static napi_value int_value(napi_env env, int32_t x)
{
	napi_value v;
	napi_create_int32(env, x, &v);
	return v;
}

/*
 * spawn(path, argv, fds, group, cwd, env): pid, or -errno. fds[i] becomes the child's fd i (-1:
 * closed, -2: ours as it is); group 0 ours, 1 its own, 2 a session of its own; cwd and env null
 * for ours.
 */
static napi_value sc_spawn(napi_env env, napi_callback_info info)
{
	napi_value argv[6];
	size_t argc = 6;
	napi_valuetype t;
	uint32_t nfds, group;
	int fds[MAX_SPAWN_FDS];
	bool is_array = false;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) {
		type_error(env, "cr_shim_notify spawn: six arguments");
		return NULL;
	}
	autofree char *path = c_string(env, argv[0]);
	if (!path)
		return NULL;
	__attribute__((cleanup(strings_cleanup))) char **args = c_strings(env, argv[1]);
	if (!args)
		return NULL;
	napi_is_array(env, argv[2], &is_array);
	if (!is_array || napi_get_array_length(env, argv[2], &nfds) != napi_ok || nfds > MAX_SPAWN_FDS) {
		type_error(env, "cr_shim_notify spawn: fds must be an array of at most 64 integers");
		return NULL;
	}
	for (uint32_t i = 0; i < nfds; i++) {
		napi_value e;
		napi_get_element(env, argv[2], i, &e);
		if (napi_get_value_int32(env, e, &fds[i]) != napi_ok || fds[i] < SPAWN_FD_INHERIT) {
			type_error(env, "cr_shim_notify spawn: an fd must be an integer of -2 or more");
			return NULL;
		}
	}
	if (napi_get_value_uint32(env, argv[3], &group) != napi_ok || group > SPAWN_OWN_SESSION) {
		type_error(env, "cr_shim_notify spawn: group must be 0, 1 or 2");
		return NULL;
	}
	autofree char *cwd = NULL;
	napi_typeof(env, argv[4], &t);
	if (t != napi_null && t != napi_undefined && !(cwd = c_string(env, argv[4])))
		return NULL;
	__attribute__((cleanup(strings_cleanup))) char **envp = NULL;
	napi_typeof(env, argv[5], &t);
	if (t != napi_null && t != napi_undefined && !(envp = c_strings(env, argv[5])))
		return NULL;
	pid_t pid;
	int err = spawn_process(path, args, envp, cwd, fds, nfds, (enum spawn_group)group, &pid);
	return int_value(env, err ? -err : pid);
}

/* Two close-on-exec fds, or -errno. */
static napi_value pair_value(napi_env env, int rc, const int fd[2])
{
	if (rc < 0)
		return int_value(env, -errno);
	napi_value out;
	napi_create_array_with_length(env, 2, &out);
	napi_set_element(env, out, 0, int_value(env, fd[0]));
	napi_set_element(env, out, 1, int_value(env, fd[1]));
	return out;
}

/* socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): [a, b], or -errno. */
static napi_value sc_socketpair(napi_env env, napi_callback_info info)
{
	(void)info;
	int fd[2];
	return pair_value(env, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), fd);
}

/* pipe2(O_CLOEXEC): [read end, write end], or -errno. */
static napi_value sc_pipe(napi_env env, napi_callback_info info)
{
	(void)info;
	int fd[2];
	return pair_value(env, pipe2(fd, O_CLOEXEC), fd);
}

bool spawn_calls_define(napi_env env, napi_value exports)
{
	const napi_property_descriptor fns[] = {
		{ "spawn", NULL, sc_spawn, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "socketpair", NULL, sc_socketpair, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "pipe", NULL, sc_pipe, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	return napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns) == napi_ok;
}
