/*
 * uts-switch NODENAME DOMAINNAME
 *
 * One thread that changes what uname(2) reports about it, asking after each step:
 *   before.*      uname as started
 *   unshare.*     after unshare(CLONE_NEWUTS) (the names are still the parent namespace's)
 *   renamed.*     after sethostname(NODENAME) and setdomainname(DOMAINNAME) in that namespace
 *   linux32.*     after personality(PER_LINUX32)
 *   uname26.*     after personality(PER_LINUX32 | UNAME26)
 *   plain.*       after personality(PER_LINUX)
 * each as PREFIX.nodename, .domainname, .release, .machine (SYS_uname). Needs
 * CAP_SYS_ADMIN (unshare); a failed step exits with its errno.
 */
#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "kv.h"

static void report(const char *prefix)
{
	struct utsname u;
	char key[64];
	if (syscall(SYS_uname, &u) != 0)
		kv_die("uts-switch", "uname", errno);
	kv_fmt_key(key, sizeof(key), prefix, ".nodename");
	kv_field(key, u.nodename, sizeof(u.nodename));
	kv_fmt_key(key, sizeof(key), prefix, ".domainname");
	kv_field(key, u.domainname, sizeof(u.domainname));
	kv_fmt_key(key, sizeof(key), prefix, ".release");
	kv_field(key, u.release, sizeof(u.release));
	kv_fmt_key(key, sizeof(key), prefix, ".machine");
	kv_field(key, u.machine, sizeof(u.machine));
}

static void set_personality(unsigned long p)
{
	if (personality(p) == -1)
		kv_die("uts-switch", "personality", errno);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		kv_usage("uts-switch NODENAME DOMAINNAME");
	report("before");
	if (unshare(CLONE_NEWUTS) != 0)
		kv_die("uts-switch", "unshare", errno);
	report("unshare");
	if (sethostname(argv[1], strlen(argv[1])) != 0)
		kv_die("uts-switch", "sethostname", errno);
	if (setdomainname(argv[2], strlen(argv[2])) != 0)
		kv_die("uts-switch", "setdomainname", errno);
	report("renamed");
	set_personality(PER_LINUX32);
	report("linux32");
	set_personality(PER_LINUX32 | UNAME26);
	report("uname26");
	set_personality(PER_LINUX);
	report("plain");
	return 0;
}
