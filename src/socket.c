/*
 * socket.c - the FastCGI listening socket.
 *
 * Either systemd passes one (socket activation, LISTEN_FDS=1) or sscnd
 * creates the unix socket named by "socket" in sscn.conf.  A stale socket
 * file left by a crash is replaced, but one that still accepts connections
 * belongs to a running sscnd and start-up stops.  The socket is made
 * non-blocking because every worker polls it and several wake for one
 * connection: the losers must get EAGAIN from accept(2), not block in it.
 * The master removes the socket's file when it begins to stop, so that
 * new connections fail at once (master.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "sscn.h"

/* Pending connections the kernel queues while every worker is busy. */
#define SOCKET_BACKLOG 1024

static int
socket_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		log_error(NULL, "socket_failed", "step=fcntl error=\"%s\"",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* True when something accepts connections on "addr". */
static bool
socket_in_use(const struct sockaddr_un *addr)
{
	int	 fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool	 in_use;

	if (fd == -1)
		return false;
	in_use = connect(fd, (const struct sockaddr *)addr,
	    sizeof(*addr)) == 0;
	close(fd);
	return in_use;
}

static int
socket_set_owner(const struct sscn_conf *conf)
{
	uid_t	 uid = (uid_t)-1;
	gid_t	 gid = (gid_t)-1;
	char	 path[512];

	log_escape(path, sizeof(path), conf->socket_path);
	if (conf->socket_owner != NULL) {
		struct passwd *pw = getpwnam(conf->socket_owner);

		if (pw == NULL) {
			log_error(NULL, "socket_failed", "path=%s "
			    "error=\"unknown socket_owner user\"", path);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (conf->socket_group != NULL) {
		struct group *gr = getgrnam(conf->socket_group);

		if (gr == NULL) {
			log_error(NULL, "socket_failed", "path=%s "
			    "error=\"unknown socket_group group\"", path);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(conf->socket_path, uid, gid) == -1) {
		log_error(NULL, "socket_failed", "path=%s step=chown "
		    "error=\"%s\"", path, strerror(errno));
		return -1;
	}
	if (chmod(conf->socket_path, conf->socket_mode) == -1) {
		log_error(NULL, "socket_failed", "path=%s step=chmod "
		    "error=\"%s\"", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
socket_open(const struct sscn_conf *conf, bool *owned)
{
	struct sockaddr_un	 addr;
	struct stat		 st;
	char			 path[512];
	mode_t			 old_umask;
	int			 fd, n;

	*owned = false;
	n = sd_listen_fds(1);
	if (n > 1) {
		log_error(NULL, "socket_failed", "error=\"systemd passed %d "
		    "sockets; expected one\"", n);
		return -1;
	}
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
			log_error(NULL, "socket_failed", "error=\"the socket "
			    "systemd passed is not a listening unix stream "
			    "socket\"");
			return -1;
		}
		if (socket_set_nonblocking(fd) == -1)
			return -1;
		log_info(NULL, "socket_inherited", "fd=%d", fd);
		return fd;
	}

	log_escape(path, sizeof(path), conf->socket_path);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(conf->socket_path) >= sizeof(addr.sun_path)) {
		log_error(NULL, "socket_failed", "path=%s error=\"path is "
		    "longer than %zu bytes\"", path, sizeof(addr.sun_path) - 1);
		return -1;
	}
	memcpy(addr.sun_path, conf->socket_path, strlen(conf->socket_path));

	if (lstat(conf->socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error(NULL, "socket_failed", "path=%s error=\"a "
			    "file that is not a socket is in the way\"", path);
			return -1;
		}
		if (socket_in_use(&addr)) {
			log_error(NULL, "socket_failed", "path=%s error=\"the "
			    "socket accepts connections: is another sscnd "
			    "running?\"", path);
			return -1;
		}
		if (unlink(conf->socket_path) == -1) {
			log_error(NULL, "socket_failed", "path=%s step=unlink "
			    "error=\"%s\"", path, strerror(errno));
			return -1;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_error(NULL, "socket_failed", "step=socket error=\"%s\"",
		    strerror(errno));
		return -1;
	}

	/* Nobody may connect before the mode and owner are final. */
	old_umask = umask(0177);
	n = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (n == -1) {
		log_error(NULL, "socket_failed", "path=%s step=bind error=\"%s\"",
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	*owned = true;

	if (socket_set_owner(conf) == -1 ||
	    listen(fd, SOCKET_BACKLOG) == -1 ||
	    socket_set_nonblocking(fd) == -1) {
		if (errno != 0)
			log_error(NULL, "socket_failed", "path=%s step=listen "
			    "error=\"%s\"", path, strerror(errno));
		close(fd);
		unlink(conf->socket_path);
		*owned = false;
		return -1;
	}

	log_info(NULL, "socket_listening", "path=%s mode=%04o", path,
	    (unsigned)conf->socket_mode);
	return fd;
}

int
socket_bound_path(int fd, char *buf, size_t len)
{
	struct sockaddr_un	 addr;
	socklen_t		 addrlen = sizeof(addr);
	size_t			 pathlen;

	memset(&addr, 0, sizeof(addr));
	if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) == -1 ||
	    addr.sun_family != AF_UNIX ||
	    addrlen <= offsetof(struct sockaddr_un, sun_path) ||
	    addr.sun_path[0] == '\0')
		return -1;

	/* sun_path need not end in NUL when the path fills it. */
	pathlen = strnlen(addr.sun_path, addrlen -
	    offsetof(struct sockaddr_un, sun_path));
	if (pathlen >= len)
		return -1;
	memcpy(buf, addr.sun_path, pathlen);
	buf[pathlen] = '\0';
	return 0;
}
