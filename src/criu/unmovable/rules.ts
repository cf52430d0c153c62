/**
 * What CRIU can dump of a live tree, and what it cannot and why, as data. The walk
 * (walk.ts) gathers facts from /proc and /sys; classify.ts reads these tables; the docs
 * (src/docs/supported.ts) print UNMOVABLE_KINDS. Each CRIU fact names the function it comes
 * from (CRIU 4.x, criu/files.c dump_one_file and its callees), and test/criu/unmovable checks
 * the verdicts against a real `criu dump` of processes holding each kind.
 */

/** The kinds of state a dump cannot take along, as the report and the manifest name them. */
export type UnmovableKind = 'device' | 'anon-inode' | 'file' | 'socket' | 'tcp-connection' | 'unix-connection' | 'mapping' | 'shared-memory' | 'namespace';

export interface KindDoc {
  kind: UnmovableKind;
  title: string;
  /** How the live walk finds it, before anything is frozen. */
  found: string;
  why: string;
}

/** One row per kind, for the report's legend and docs/SUPPORTED.md. */
export const UNMOVABLE_KINDS: readonly KindDoc[] = [
  {
    kind: 'device',
    title: 'Device nodes CRIU has no dumper for',
    found: '/proc/PID/fd/N is a character or block device; /sys/dev/char/MAJ:MIN names its subsystem and driver, and whether it is hardware (not under /sys/devices/virtual)',
    why: 'CRIU dumps memory devices (/dev/null, /dev/zero, ...), terminals, /dev/net/tun (only with the tree\'s own network namespace) and autofs (criu/files.c dump_chrdev); a GPU, sound card, USB serial adapter, input device, KVM, VFIO, FUSE or any other driver keeps state in the kernel or on the hardware that no image holds',
  },
  {
    kind: 'anon-inode',
    title: 'Anonymous-inode fds CRIU does not support',
    found: '/proc/PID/fd/N reads anon_inode:NAME; NAME is checked against the kinds CRIU dumps',
    why: 'CRIU dumps eventfd, epoll, inotify, fanotify, signalfd, timerfd and pidfd (criu/files.c dump_one_file); perf events, io_uring, userfaultfd, KVM, seccomp listeners and others live in the kernel and are refused',
  },
  {
    kind: 'file',
    title: 'Files of other kinds',
    found: '/proc/PID/fd/N is neither a path, a pipe, a FIFO, a socket nor a known anonymous inode (for example an open block device)',
    why: 'CRIU refuses a file it has no dumper for ("Can\'t dump file N of that type")',
  },
  {
    kind: 'socket',
    title: 'Sockets CRIU does not dump',
    found: 'the socket inode of /proc/PID/fd/N is looked up in the task\'s /proc/PID/net/{unix,tcp,tcp6,udp,udp6,raw,raw6,netlink,packet}',
    why: 'CRIU dumps unix, IPv4/IPv6 (TCP, UDP, raw), netlink and packet sockets (criu/sockets.c dump_socket); other families (vsock, bluetooth, CAN, AF_ALG, ...) are refused; a listening TCP socket with connections not yet accepted needs --skip-in-flight',
  },
  {
    kind: 'tcp-connection',
    title: 'Connected TCP sockets without --tcp-established',
    found: 'the socket\'s line in /proc/PID/net/tcp or tcp6 has a connected state (ESTABLISHED, SYN_SENT, FIN_WAIT1/2, CLOSE_WAIT, LAST_ACK, CLOSING)',
    why: 'the peer is outside the image: CRIU dumps the connection only when told to with --tcp-established (criu/sk-inet.c can_dump_inet_sk), and the peer must still be there, with matching sequence numbers, at restore',
  },
  {
    kind: 'unix-connection',
    title: 'Unix sockets connected to processes outside the tree',
    found: 'the peer of each unix socket, asked of the kernel with NETLINK_SOCK_DIAG (UDIAG_SHOW_PEER), is not a socket of the tree; /proc/*/fd names who holds it (sockets in cr-shim\'s network namespace; a tree in a network namespace of its own is not asked)',
    why: 'CRIU never dumps one end of a stream or seqpacket connection ("Can\'t dump half of stream unix connection", criu/sk-unix.c), even with --ext-unix-sk; a datagram socket with an outside peer needs --ext-unix-sk. A tree started with its stdio on a socketpair to its parent (as Node\'s child_process does) meets this',
  },
  {
    kind: 'mapping',
    title: 'Memory mappings of devices and kernel objects',
    found: '/proc/PID/maps lines whose path is a character device (other than /dev/zero) or anon_inode:NAME',
    why: 'CRIU dumps mappings of files, anonymous memory and /dev/zero; a device\'s or a kernel object\'s pages (a GPU buffer, a perf ring) are not memory it can copy back',
  },
  {
    kind: 'shared-memory',
    title: 'Memory shared with processes outside the tree',
    found: 'a shared anonymous, memfd or SysV mapping in /proc/PID/maps whose inode is also mapped by a process outside the tree (/proc/*/maps)',
    why: 'the image holds a copy of the pages: after a restore the tree and the processes outside no longer share them',
  },
  {
    kind: 'namespace',
    title: 'Namespaces shared with processes outside the tree',
    found: '/proc/PID/ns/* of the tree\'s tasks against cr-shim\'s own and every other process\'s',
    why: 'CRIU dumps the namespaces the tree does not share with CRIU and creates new ones at restore: processes outside the tree that were in them are left behind; a task in a nested IPC, UTS, PID, cgroup, time or user namespace is refused (criu/namespaces.c)',
  },
];

/** Anonymous-inode names CRIU has a dumper for (criu/files.c dump_one_file; bpf-map only in a CRIU built with libbpf, which Debian's is not). */
export const CRIU_ANON_DUMPERS: readonly string[] = ['[eventfd]', '[eventpoll]', 'inotify', '[fanotify]', '[signalfd]', '[timerfd]', '[pidfd]'];

/** Why a known anonymous-inode kind cannot move; a name matches a row exactly, or by prefix when the row ends with ':'. */
export const ANON_REASONS: readonly { name: string; why: string }[] = [
  { name: '[perf_event]', why: 'a perf event: its counter (and, for a hardware event, the PMU programming) lives in the kernel and on the CPU; CRIU has no dumper for it' },
  { name: '[io_uring]', why: 'an io_uring instance: its rings and the requests in flight live in the kernel; CRIU has no dumper for it' },
  { name: '[userfaultfd]', why: 'a userfaultfd: it serves another task\'s page faults from the kernel; CRIU has no dumper for it' },
  { name: 'kvm-vm', why: 'a KVM virtual machine: the guest\'s state lives in the kernel and in the CPU\'s virtualization extensions' },
  { name: 'kvm-vcpu:', why: 'a KVM virtual CPU: its registers live in the kernel and in the CPU\'s virtualization extensions' },
  { name: 'kvm-device', why: 'a KVM device: emulated hardware state in the kernel' },
  { name: 'seccomp notify', why: 'a seccomp listener: the supervisor side of another task\'s filter (CRIU refuses it; cr-shim closes its own in the program)' },
  { name: '[landlock-ruleset]', why: 'a Landlock ruleset: kernel object with no image format' },
  { name: 'bpf-map', why: 'a BPF map: dumped only by a CRIU built with libbpf' },
  { name: 'bpf-prog', why: 'a BPF program: loaded into the kernel, no image format' },
  { name: 'bpf_link', why: 'a BPF link: attaches a program inside the kernel, no image format' },
  { name: '[fscontext]', why: 'a mount API context (fsopen): kernel object with no image format' },
  { name: 'sync_file', why: 'a GPU or media fence: completes on the hardware' },
];

/** Character devices CRIU dumps (criu/files.c dump_chrdev, criu/tty.c is_tty): by a range of majors, optionally of minors. */
export const CRIU_CHAR_DUMPERS: readonly { majors: readonly [number, number]; minors?: readonly [number, number]; what: string; needsOwnNetns?: true }[] = [
  { majors: [1, 1], what: 'memory device (/dev/null, /dev/zero, /dev/random, ...), reopened by path' },
  { majors: [4, 4], what: 'virtual console or serial terminal (criu/tty.c)' },
  { majors: [5, 5], minors: [0, 2], what: '/dev/tty, /dev/console or /dev/ptmx (criu/tty.c)' },
  { majors: [10, 10], minors: [200, 200], what: '/dev/net/tun (criu/tun.c)', needsOwnNetns: true },
  { majors: [10, 10], minors: [235, 235], what: 'autofs control device, reopened by path' },
  { majors: [128, 135], what: 'pseudo-terminal master (criu/tty.c)' },
  { majors: [136, 143], what: 'pseudo-terminal slave (criu/tty.c)' },
];

/** Why tun cannot move without the tree's own network namespace (criu/tun.c dump_tunfile). */
export const TUN_WITHOUT_NETNS = 'a /dev/net/tun file: CRIU dumps it only with the tree\'s own network namespace (criu/tun.c dump_tunfile), and this tree shares cr-shim\'s';

/**
 * Device classes by sysfs subsystem (the /sys/dev/char/MAJ:MIN/subsystem link) and, where a
 * subsystem mixes kinds, the device's name (a regular expression over the /sys/devices
 * basename) or its driver. First match wins; `hardware` says whether real hardware is behind it.
 */
export const DEVICE_CLASSES: readonly { subsystem: string; name?: string; driver?: string; label: string; hardware: boolean; why: string }[] = [
  { subsystem: 'misc', name: '^kvm$', label: 'KVM', hardware: true, why: 'KVM: virtual machines whose state lives in the kernel and in the CPU\'s virtualization extensions' },
  { subsystem: 'misc', name: '^fuse$', label: 'FUSE', hardware: false, why: 'the kernel end of a FUSE file system: the connection and its pending requests are in no image' },
  { subsystem: 'misc', name: '^vfio$', label: 'VFIO', hardware: true, why: 'VFIO: a device passed through to user space; its state is on the device' },
  { subsystem: 'misc', name: '^(hw_random|hwrng)$', label: 'hardware RNG', hardware: true, why: 'a hardware random number generator' },
  { subsystem: 'misc', name: '^uinput$', label: 'uinput', hardware: false, why: 'uinput: an input device the program created in the kernel' },
  { subsystem: 'misc', name: '^(vhost-net|vhost-vsock)$', label: 'vhost', hardware: false, why: 'vhost: a virtio backend running in the kernel' },
  { subsystem: 'vfio', label: 'VFIO', hardware: true, why: 'VFIO: a device passed through to user space; its state is on the device' },
  { subsystem: 'drm', label: 'GPU', hardware: true, why: 'a GPU: its memory and command state live on the device (CRIU needs a vendor plugin such as amdgpu or cuda)' },
  { subsystem: 'accel', label: 'accelerator', hardware: true, why: 'a compute accelerator: its memory and queues live on the device' },
  { subsystem: 'sound', label: 'sound card', hardware: true, why: 'a sound card: buffers and stream state live in the driver and on the hardware' },
  { subsystem: 'input', label: 'input device', hardware: true, why: 'an input device (keyboard, mouse, joystick, ...): its event stream comes from hardware' },
  { subsystem: 'hidraw', label: 'HID device', hardware: true, why: 'a raw HID (USB) device: talks to the hardware directly' },
  { subsystem: 'usbmisc', label: 'USB device', hardware: true, why: 'a USB device driver node: talks to the hardware' },
  { subsystem: 'usb', label: 'USB device', hardware: true, why: 'a USB device node: talks to the hardware' },
  { subsystem: 'tty', driver: '^(usb|ftdi|pl2303|cp210x|ch341|cdc_acm)', label: 'USB serial', hardware: true, why: 'a USB serial adapter: line state lives on the hardware' },
  { subsystem: 'tty', label: 'terminal', hardware: false, why: 'a terminal CRIU has no driver for' },
  { subsystem: 'video4linux', label: 'camera or video device', hardware: true, why: 'a video device: buffers and stream state live in the driver and on the hardware' },
  { subsystem: 'infiniband_verbs', label: 'RDMA device', hardware: true, why: 'an RDMA device: queues and registered memory live on the adapter' },
  { subsystem: 'watchdog', label: 'watchdog', hardware: true, why: 'a watchdog timer: closing it may reboot the machine' },
  { subsystem: 'rtc', label: 'real-time clock', hardware: true, why: 'a real-time clock device' },
  { subsystem: 'tpm', label: 'TPM', hardware: true, why: 'a TPM: its sessions live on the chip' },
  { subsystem: 'tpmrm', label: 'TPM', hardware: true, why: 'a TPM: its sessions live on the chip' },
  { subsystem: 'gpio', label: 'GPIO', hardware: true, why: 'GPIO lines: hardware state' },
  { subsystem: 'i2c-dev', label: 'I2C bus', hardware: true, why: 'an I2C bus: talks to the hardware' },
  { subsystem: 'spidev', label: 'SPI bus', hardware: true, why: 'an SPI bus: talks to the hardware' },
  { subsystem: 'misc', label: 'misc driver', hardware: false, why: 'a misc driver CRIU has no dumper for' },
];

/** TCP states (include/net/tcp_states.h) and what CRIU does with a socket in each (criu/sk-inet.c can_dump_inet_sk). */
export const TCP_STATES: readonly { state: number; name: string; dump: 'yes' | 'flag' | 'no' }[] = [
  { state: 1, name: 'ESTABLISHED', dump: 'flag' },
  { state: 2, name: 'SYN_SENT', dump: 'flag' },
  { state: 3, name: 'SYN_RECV', dump: 'no' },
  { state: 4, name: 'FIN_WAIT1', dump: 'flag' },
  { state: 5, name: 'FIN_WAIT2', dump: 'flag' },
  { state: 6, name: 'TIME_WAIT', dump: 'no' },
  { state: 7, name: 'CLOSE', dump: 'yes' },
  { state: 8, name: 'CLOSE_WAIT', dump: 'flag' },
  { state: 9, name: 'LAST_ACK', dump: 'flag' },
  { state: 10, name: 'LISTEN', dump: 'yes' },
  { state: 11, name: 'CLOSING', dump: 'flag' },
];

/** The criu dump options that let a connected TCP socket be dumped. */
export const TCP_FLAGS: readonly string[] = ['--tcp-established', '--tcp-close'];

/** Socket families CRIU dumps, as /proc/PID/net files name them (criu/sockets.c dump_socket). */
export const SOCKET_TABLES: readonly { file: string; family: string; proto?: 'tcp' | 'udp' | 'raw' }[] = [
  { file: 'unix', family: 'unix' },
  { file: 'tcp', family: 'inet', proto: 'tcp' },
  { file: 'tcp6', family: 'inet6', proto: 'tcp' },
  { file: 'udp', family: 'inet', proto: 'udp' },
  { file: 'udp6', family: 'inet6', proto: 'udp' },
  { file: 'udplite', family: 'inet', proto: 'udp' },
  { file: 'udplite6', family: 'inet6', proto: 'udp' },
  { file: 'raw', family: 'inet', proto: 'raw' },
  { file: 'raw6', family: 'inet6', proto: 'raw' },
  { file: 'netlink', family: 'netlink' },
  { file: 'packet', family: 'packet' },
];

/** Namespace types CRIU refuses nested inside the tree (criu/namespaces.c); net and mnt it can dump nested. */
export const NESTED_NS_REFUSED: readonly string[] = ['ipc', 'uts', 'pid', 'cgroup', 'time', 'user'];

/** Namespace types CRIU dumps when the tree's root is not in CRIU's own (root_ns_mask), so a restore makes new ones. */
export const DUMPED_NS: readonly string[] = ['ipc', 'uts', 'net', 'mnt', 'pid', 'cgroup', 'time', 'user'];
