/*
 * The plain system calls every supervising command makes around its program
 * (become a subreaper, reap, take the listener, check the host), and those a
 * client of `cr-shim serve` makes before its request is out (connect, check
 * the peer, send: src/serve/seqpacket.ts), exported by
 * cr_shim_notify.node, which `run` loads anyway. Through koffi they would cost
 * `run` koffi itself: about 7 MB of RSS and, at load, Node's https, tls, zlib
 * and crypto modules. src/native/libc.ts is the one caller; the contract is
 * in src/native/addon-types.ts (NotifyAddon).
 *
 * Each returns the call's result, or -errno when it fails: a failure is a
 * value the caller names in its own error (STYLE item 5), never an exception.
 * Only a malformed argument throws (TypeError).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libc-calls.h"

#include "pidfd-calls.h"

/* Read argc int32 arguments (a uint32 passes as its bit pattern); false with a TypeError pending. */
static bool int_args(napi_env env, napi_callback_info info, size_t argc, int32_t *out)
{
	napi_value argv[4];
	size_t n = 4;
	if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok || n < argc) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: too few arguments");
		return false;
	}
	for (size_t i = 0; i < argc; i++) {
		uint32_t u;
		if (napi_get_value_int32(env, argv[i], &out[i]) == napi_ok)
			continue;
		if (napi_get_value_uint32(env, argv[i], &u) != napi_ok) {
			napi_throw_type_error(env, "EINVAL", "cr_shim_notify: an argument is not an integer");
			return false;
		}
		out[i] = (int32_t)u;
	}
	return true;
}

static napi_value result(napi_env env, long rc)
{
	napi_value v;
	napi_create_int32(env, rc < 0 ? -errno : (int32_t)rc, &v);
	return v;
}

/* prctl(option, arg2, 0, 0, 0): PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG and the like. */
static napi_value lc_prctl(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	if (!int_args(env, info, 2, a))
		return NULL;
	return result(env, prctl(a[0], (unsigned long)(uint32_t)a[1], 0UL, 0UL, 0UL));
}

/* waitpid(pid, options): [pid or 0 or -errno, wait status]. */
static napi_value lc_waitpid(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	int status = 0;
	napi_value out, v;
	if (!int_args(env, info, 2, a))
		return NULL;
	pid_t rc = waitpid(a[0], &status, a[1]);
	napi_create_array_with_length(env, 2, &out);
	napi_create_int32(env, rc < 0 ? -errno : rc, &v);
	napi_set_element(env, out, 0, v);
	napi_create_int32(env, status, &v);
	napi_set_element(env, out, 1, v);
	return out;
}

/* pidfd_open(pid, flags) (5.3+): a close-on-exec pidfd. */
static napi_value lc_pidfd_open(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	if (!int_args(env, info, 2, a))
		return NULL;
	return result(env, syscall(SYS_pidfd_open, a[0], (unsigned)a[1]));
}

/* pidfd_getfd(pidfd, fd, 0) (5.6+): a close-on-exec copy of another process's fd (PTRACE_MODE_ATTACH). */
static napi_value lc_pidfd_getfd(napi_env env, napi_callback_info info)
{
	int32_t a[2];
	if (!int_args(env, info, 2, a))
		return NULL;
	return result(env, syscall(SYS_pidfd_getfd, a[0], a[1], 0U));
}

/* seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) (4.14+): 0 when the kernel knows the return action. */
static napi_value lc_seccomp_action_avail(napi_env env, napi_callback_info info)
{
	int32_t a[1];
	if (!int_args(env, info, 1, a))
		return NULL;
	uint32_t action = (uint32_t)a[0];
	return result(env, syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0U, &action));
}

/*
 * madvise(NULL, 0, advice): an empty range, which a kernel that knows the advice accepts (0)
 * before looking at any mapping, and one that does not refuses (-EINVAL). The host probe's test
 * for advice a build may lack (MADV_HWPOISON without CONFIG_MEMORY_FAILURE).
 */
static napi_value lc_madvise_empty(napi_env env, napi_callback_info info)
{
	int32_t a[1];
	if (!int_args(env, info, 1, a))
		return NULL;
	return result(env, syscall(SYS_madvise, 0UL, 0UL, a[0]));
}

/* socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC) connected to PATH: the fd, or -errno (ENAMETOOLONG past sun_path). */
static napi_value lc_seqpacket_connect(napi_env env, napi_callback_info info)
{
	size_t n = 1, len = 0;
	napi_value argv[1];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok || n < 1 ||
	    napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: seqpacketConnect needs a path");
		return NULL;
	}
	if (len >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return result(env, -1);
	}
	napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof(addr.sun_path), &len);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return result(env, -1);
	if (connect(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return result(env, -1);
	}
	return result(env, fd);
}

/* getsockopt(fd, SO_PEERCRED): [0 or -errno, pid, uid, gid]. */
static napi_value lc_peer_cred(napi_env env, napi_callback_info info)
{
	int32_t a[1];
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	napi_value out, v;
	if (!int_args(env, info, 1, a))
		return NULL;
	int rc = getsockopt(a[0], SOL_SOCKET, SO_PEERCRED, &cred, &len);
	int32_t fields[4] = { rc < 0 ? -errno : 0, cred.pid, (int32_t)cred.uid, (int32_t)cred.gid };
	napi_create_array_with_length(env, 4, &out);
	for (uint32_t i = 0; i < 4; i++) {
		napi_create_int32(env, fields[i], &v);
		napi_set_element(env, out, i, v);
	}
	return out;
}

/* send(fd, buffer, MSG_NOSIGNAL): one message without descriptors; the bytes sent, or -errno. */
static napi_value lc_send_packet(napi_env env, napi_callback_info info)
{
	size_t n = 2, len = 0;
	napi_value argv[2];
	int32_t fd;
	void *data = NULL;
	if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok || n < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
	    napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
		napi_throw_type_error(env, "EINVAL", "cr_shim_notify: sendPacket needs an fd and a Buffer");
		return NULL;
	}
	return result(env, send(fd, data, len, MSG_NOSIGNAL));
}

bool libc_calls_define(napi_env env, napi_value exports)
{
	const napi_property_descriptor fns[] = {
		{ "prctl", NULL, lc_prctl, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "waitpid", NULL, lc_waitpid, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "pidfdOpen", NULL, lc_pidfd_open, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "pidfdGetfd", NULL, lc_pidfd_getfd, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "seccompActionAvail", NULL, lc_seccomp_action_avail, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "madviseEmpty", NULL, lc_madvise_empty, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "seqpacketConnect", NULL, lc_seqpacket_connect, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "peerCred", NULL, lc_peer_cred, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "sendPacket", NULL, lc_send_packet, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	return napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns) == napi_ok;
}
