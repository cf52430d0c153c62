/*
 * legacy-sysctl [--name N.N...] [--write VALUE] [--bad-pointer | --bad-oldval]
 *
 * The legacy program from the issue: reads kernel.osrelease through the
 * _sysctl(2) syscall (removed in Linux 5.5, still answered by a 2.6.32
 * persona), then the release from uname(2). --name reads another numeric path,
 * --write first tries to write VALUE to it, --bad-pointer passes (void *)1 as
 * the argument block and --bad-oldval a valid block whose oldval is (void *)1.
 */
#include <linux/utsname.h>
#include <sys/syscall.h>

#include "kv.h"
#include "sysctl-args.h"

static const char usage[] =
	"legacy-sysctl [--name N.N...] [--write VALUE] [--bad-pointer | --bad-oldval]";


/* uapi headers still define the number (x86_64 156, i386 149) for old binaries. */
#ifndef SYS__sysctl
#error "SYS__sysctl missing from this ABI's headers"
#endif

#define CTL_MAXNAME 10
enum { CTL_KERN = 1, KERN_OSRELEASE = 2 };

struct sysctl_name {
	int path[CTL_MAXNAME];
	int len;
};

static int parse_name(const char *text, struct sysctl_name *out)
{
	out->len = 0;
	const char *p = text;
	for (;;) {
		char *end = NULL;
		errno = 0;
		long part = strtol(p, &end, 10);
		if (errno != 0 || end == p || part < 0 || part > 0x7fffffffL || out->len == CTL_MAXNAME)
			return -1;
		out->path[out->len++] = (int)part;
		if (*end == '\0')
			return 0;
		if (*end != '.')
			return -1;
		p = end + 1;
	}
}

static void print_name(const struct sysctl_name *name)
{
	char text[CTL_MAXNAME * 12] = "";
	size_t used = 0;
	for (int i = 0; i < name->len; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%d", i ? "." : "", name->path[i]);
	kv_str("sysctl_name", text);
}

/* The program prints sysctl_errno=<NAME>; sysctl_errnum carries the number. */
static void print_errno(const char *prefix, int err)
{
	char key[64];
	kv_fmt_key(key, sizeof(key), prefix, "_errno");
	kv_str(key, kv_errname(err));
	kv_fmt_key(key, sizeof(key), prefix, "_errnum");
	kv_long(key, err);
}

static void write_value(struct sysctl_name *name, const char *value)
{
	struct __sysctl_args args = {
		.name = name->path,
		.nlen = name->len,
		.newval = (void *)value,
		.newlen = strlen(value),
	};
	long ret = syscall(SYS__sysctl, &args);
	int err = errno;
	kv_long("sysctl_write_ret", ret);
	if (ret == -1)
		print_errno("sysctl_write", err);
}

enum read_mode { READ_NORMAL, READ_BAD_POINTER, READ_BAD_OLDVAL };

static void read_value(struct sysctl_name *name, enum read_mode mode)
{
	char value[256];
	size_t len = sizeof(value);
	struct __sysctl_args args = {
		.name = name->path,
		.nlen = name->len,
		.oldval = mode == READ_BAD_OLDVAL ? (void *)1 : value,
		.oldlenp = &len,
	};
	long ret = syscall(SYS__sysctl, mode == READ_BAD_POINTER ? (void *)1 : (void *)&args);
	int err = errno;
	kv_long("sysctl_ret", ret);
	if (ret == -1) {
		print_errno("sysctl", err);
		return;
	}
	kv_long("sysctl_oldlen", (long)len);
	/* Strings come back NUL-terminated when they fit; integers as raw bytes. */
	size_t shown = len < sizeof(value) ? len : sizeof(value);
	if (name->len == 2 && name->path[0] == CTL_KERN && name->path[1] == KERN_OSRELEASE)
		kv_field("sysctl_osrelease", value, shown);
	else
		kv_bytes("sysctl_value", value, shown);
}

int main(int argc, char **argv)
{
	struct sysctl_name name = { .path = { CTL_KERN, KERN_OSRELEASE }, .len = 2 };
	const char *write = NULL;
	enum read_mode mode = READ_NORMAL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			if (parse_name(argv[++i], &name) != 0)
				kv_usage(usage);
		} else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc) {
			write = argv[++i];
		} else if (strcmp(argv[i], "--bad-pointer") == 0 && mode == READ_NORMAL) {
			mode = READ_BAD_POINTER;
		} else if (strcmp(argv[i], "--bad-oldval") == 0 && mode == READ_NORMAL) {
			mode = READ_BAD_OLDVAL;
		} else {
			kv_usage(usage);
		}
	}

	print_name(&name);
	if (write != NULL)
		write_value(&name, write);
	read_value(&name, mode);

	struct new_utsname uts;
	if (syscall(SYS_uname, &uts) == -1)
		kv_die("legacy-sysctl", "SYS_uname", errno);
	kv_field("uname_release", uts.release, sizeof(uts.release));
	return 0;
}
