/*
 * What CRIU's plugin loader reads from a plugin (criu/plugin.c, the ABI of
 * criu/include/criu-plugin.h), declared here from its documented layout:
 *
 *   - the exported object CR_PLUGIN_DESC: name, init(stage), exit(stage, ret),
 *     version, max_hooks, then an array of hook function pointers indexed by
 *     hook id. CRIU refuses a plugin whose version or max_hooks exceeds its own
 *     (CRIU 4.0 to 4.2: ABI 0.2 with 13 hooks), and reads hooks[0..max_hooks).
 *   - hooks return 0 when done, -ENOTSUP when they have nothing to do, another
 *     negative value on failure. CRIU ignores RESUME_DEVICES_LATE's value: a
 *     plugin that must stop a restore kills the task, and CRIU then fails to
 *     detach from it and aborts, killing the tree.
 *   - criu_get_image_dir() returns CRIU's descriptor of the image directory;
 *     add_inventory_plugin(name) (exported by CRIU 4.x, not in its header)
 *     names a plugin in inventory.img, and a restore fails with "Missing
 *     required plugin" unless a plugin of that name struck itself off the
 *     list in its init with check_and_remove_inventory_plugin(name, len).
 *   - print_on_level(level, fmt, ...) (exported too) writes to CRIU's log.
 */
#ifndef CR_SHIM_CRIU_PLUGIN_ABI_H
#define CR_SHIM_CRIU_PLUGIN_ABI_H

#define CRIU_PLUGIN_ABI(major, minor, sub) (((major) << 16) + ((minor) << 8) + (sub))

/* Hook ids, as CRIU numbers them. */
enum criu_hook {
	CRIU_HOOK_RESUME_DEVICES_LATE = 9,  /* int (int pid): restore, every task held by CRIU, none has run */
	CRIU_HOOK_PAUSE_DEVICES = 10,       /* int (int pid): dump, as each task is seized */
	CRIU_HOOK_CHECKPOINT_DEVICES = 11,  /* int (int pid): dump, the tree frozen, root first */
	CRIU_HOOKS_USED = 12,               /* max_hooks: the ids above and below it */
};

/* The `stage` given to init and exit. */
enum criu_stage {
	CRIU_STAGE_DUMP = 0,
	CRIU_STAGE_PRE_DUMP = 1,
	CRIU_STAGE_RESTORE = 2,
};

/* CRIU's log levels: print_on_level(CRIU_LOG_ERROR, ...) shows at the default -v2 and up. */
enum { CRIU_LOG_ERROR = 1 };

struct criu_plugin_desc {
	const char *name;
	int (*init)(int stage);
	void (*exit)(int stage, int ret);
	unsigned int version;
	unsigned int max_hooks;
	void *hooks[CRIU_HOOKS_USED];
};

#endif
