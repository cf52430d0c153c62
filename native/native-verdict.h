/*
 * The native verdict kinds, defined once for both C interpreters: the notify
 * loop (notify-core.c, in the supervisor and the front) and the SIGSYS library
 * (sigsys-preload.c, inside the program). src/native/addon-types.ts NativeKind
 * carries the same names and values for TypeScript (and the ptrace mechanism's
 * interpreter, src/mechanisms/native-verdict.ts); test/native/verdict-kinds.unit.test.ts
 * fails when the two differ. What each kind does is documented at NativeKind.
 */
#ifndef CR_SHIM_NATIVE_VERDICT_H
#define CR_SHIM_NATIVE_VERDICT_H

enum native_kind {
	NK_DEFER = 0,
	NK_CONTINUE = 1,
	NK_ERRNO = 2,
	NK_WRITE_ARG = 3,
	NK_PATH_WATCH = 4,
	NK_UNAME = 5,
	NK_FORGET_TASK = 6,
	NK_OPEN_IDENTITY = 7,
	NK_EXEC_VDSO = 8,
	NK_ENTER_STRICT = 9,
	NK_STATX_PERSONA = 10,
};

#endif
