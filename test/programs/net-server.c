/*
 * net-server
 *
 * A network service for checkpoint/restore across kernels: a TCP listener and a
 * UDP socket on 127.0.0.1 (ports chosen by the kernel), serving from one poll()
 * loop. Prints pid=, tcp_port=, udp_port=, ready=1, then runs until told to quit.
 *
 *   TCP, one command per line:
 *     "uname"  → "release=R conn=C served=S\n": R from SYS_uname, C this
 *                connection's number (1 for the first accepted), S the commands
 *                this connection has had, this one included
 *     "quit"   → "bye\n", then exit 0
 *   UDP: any datagram → "release=R udp=N" (N: datagrams so far), to its sender
 *
 * The counters live in the process, so a restored server continues them: a
 * connection accepted before the checkpoint answers served=2 after it.
 * setsid() first, so CRIU can dump it without --shell-job.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <stdbool.h>
#include <sys/utsname.h>

#include "kv.h"

#define MAX_CONNS 16

struct conn {
	int fd;
	int number;
	long served;
	size_t have;
	char line[256];
};

static const char *release(void)
{
	static struct utsname u;
	if (syscall(SYS_uname, &u) != 0)
		return "?";
	return u.release;
}

static int bound(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		kv_die("net-server", "socket/bind", errno);
	*port = ntohs(a.sin_port);
	return fd;
}

static void reply(int fd, const char *text)
{
	size_t len = strlen(text);
	/* Replies are short: a loopback socket takes them whole. */
	if (write(fd, text, len) != (ssize_t)len)
		kv_die("net-server", "write", errno);
}

/* Handle what arrived on c; false when the connection is over. */
static bool serve(struct conn *c)
{
	ssize_t n = read(c->fd, c->line + c->have, sizeof(c->line) - 1 - c->have);
	if (n <= 0)
		return false;
	c->have += (size_t)n;
	char *nl;
	while ((nl = memchr(c->line, '\n', c->have)) != NULL) {
		*nl = '\0';
		char out[160];
		if (strcmp(c->line, "quit") == 0) {
			reply(c->fd, "bye\n");
			exit(0);
		}
		c->served++;
		snprintf(out, sizeof(out), "release=%s conn=%d served=%ld\n", release(), c->number, c->served);
		reply(c->fd, out);
		size_t used = (size_t)(nl - c->line) + 1;
		memmove(c->line, nl + 1, c->have - used);
		c->have -= used;
	}
	return c->have < sizeof(c->line) - 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		kv_usage("net-server");
	setsid();
	int tcp_port, udp_port;
	int lfd = bound(SOCK_STREAM, &tcp_port);
	int ufd = bound(SOCK_DGRAM, &udp_port);
	if (listen(lfd, 16) != 0)
		kv_die("net-server", "listen", errno);
	kv_long("pid", getpid());
	kv_long("tcp_port", tcp_port);
	kv_long("udp_port", udp_port);
	kv_long("ready", 1);

	struct conn conns[MAX_CONNS];
	int nconns = 0, accepted = 0;
	long datagrams = 0;
	for (;;) {
		struct pollfd p[2 + MAX_CONNS] = { { .fd = lfd, .events = POLLIN }, { .fd = ufd, .events = POLLIN } };
		for (int i = 0; i < nconns; i++)
			p[2 + i] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		/* EINTR (a restore, a stop/continue) just loops. */
		if (poll(p, (nfds_t)(2 + nconns), -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0 && nconns < MAX_CONNS)
				conns[nconns++] = (struct conn){ .fd = fd, .number = ++accepted };
			else if (fd >= 0)
				close(fd);
		}
		if (p[1].revents & POLLIN) {
			char buf[512], out[160];
			struct sockaddr_in from;
			socklen_t len = sizeof(from);
			if (recvfrom(ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) >= 0) {
				snprintf(out, sizeof(out), "release=%s udp=%ld", release(), ++datagrams);
				sendto(ufd, out, strlen(out), 0, (struct sockaddr *)&from, len);
			}
		}
		for (int i = nconns - 1; i >= 0; i--) {
			if (!(p[2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!serve(&conns[i])) {
				close(conns[i].fd);
				conns[i] = conns[--nconns];
			}
		}
	}
}
