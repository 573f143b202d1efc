/*
 * fcgi_null.c - a FastCGI responder that does no work, for bench/run.
 *
 *	fcgi_null -s SOCKET [-n PROCS] [-m MODE] [-g GROUP] [-u USER]
 *
 * It listens on a unix socket and responds to every request with "200 OK",
 * Content-Type text/plain and the 3-byte body "ok\n", through the same
 * libfcgi calls as sscnd's workers (FCGX_Accept_r, FCGX_PutStr,
 * FCGX_Finish_r).  Measured behind the same nginx location setup, its
 * throughput is the ceiling that any libfcgi application on this machine
 * can reach, and sscnd is judged against it.
 *
 * The master process creates the socket, forks PROCS responder processes
 * that share it, and waits.  SIGTERM or SIGINT stops the responders
 * (forcibly after STOP_TIMEOUT_MS), removes the socket and exits 0.  A
 * responder that dies on its own stops the whole program with exit status
 * 1, so a benchmark never goes on with fewer processes than it reports.
 *
 * It does not read request bodies, parse parameters, log requests or
 * respawn processes: anything it did would be counted in the ceiling.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* setresuid() and setresgid() */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_PROCS		256
#define STOP_TIMEOUT_MS		3000	/* then SIGKILL the stragglers */
#define STOP_POLL_MS		20

static const char response_body[] = "ok\n";

/* Header and body, built once by build_response(). */
static char	response[256];
static int	response_len;

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_exited;

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi_null -s SOCKET [-n PROCS] [-m MODE] "
	    "[-g GROUP] [-u USER]\n"
	    "  -s SOCKET  unix socket path to create (required)\n"
	    "  -n PROCS   responder processes, 1-%d (default 1)\n"
	    "  -m MODE    socket file mode, octal (default 0666)\n"
	    "  -g GROUP   group of the socket file (default: unchanged)\n"
	    "  -u USER    run the responders as this user (needs root)\n",
	    MAX_PROCS);
	exit(2);
}

static void
on_stop_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

static void
on_child_signal(int signo)
{
	(void)signo;
	child_exited = 1;
}

/* Install "handler" without SA_RESTART, so a blocked accept() returns. */
static void
set_handler(int signo, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) == -1)
		err(1, "sigaction %d", signo);
}

static long
parse_long(const char *s, int base, long min, long max, const char *what)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || value < min ||
	    value > max) {
		if (base == 8)
			errx(2, "invalid %s \"%s\": expected octal %lo to %lo",
			    what, s, (unsigned long)min, (unsigned long)max);
		errx(2, "invalid %s \"%s\": expected %ld to %ld", what, s,
		    min, max);
	}
	return value;
}

static void
build_response(void)
{
	response_len = snprintf(response, sizeof(response),
	    "Status: 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n"
	    "\r\n"
	    "%s", sizeof(response_body) - 1, response_body);
	if (response_len < 0 || (size_t)response_len >= sizeof(response))
		errx(1, "response does not fit in %zu bytes", sizeof(response));
}

/*
 * Remove a socket file that no process listens on any more.  A socket that
 * accepts a connection belongs to a running program and is left alone.
 */
static void
remove_stale_socket(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		err(1, "stat %s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		errx(1, "%s exists and is not a socket; remove it or choose "
		    "another path", path);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1)
		err(1, "socket");
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		errx(1, "%s is in use by a running program", path);
	if (errno != ECONNREFUSED)
		err(1, "connect %s", path);
	close(fd);

	if (unlink(path) == -1)
		err(1, "unlink stale socket %s", path);
}

/*
 * Create the listening socket at "path" with "mode" and, when "group" is
 * not NULL, that group.  Returns the descriptor and stores the inode in
 * "*inode" so that the master later removes only its own file.
 */
static int
open_socket(const char *path, mode_t mode, const char *group, ino_t *inode)
{
	struct sockaddr_un addr;
	struct stat st;
	struct group *gr;
	mode_t old_umask;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		errx(2, "socket path \"%s\" is longer than %zu bytes", path,
		    sizeof(addr.sun_path) - 1);
	memcpy(addr.sun_path, path, strlen(path) + 1);

	remove_stale_socket(path, &addr);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		err(1, "socket");

	/*
	 * With umask 0777 bind() creates the file without permissions, so it
	 * is never more open than "mode", which chmod() sets below.
	 */
	old_umask = umask(0777);
	if (bind(fd, (const struct sockaddr *)&addr, sizeof(addr)) == -1)
		err(1, "bind %s", path);
	umask(old_umask);

	if (group != NULL) {
		gr = getgrnam(group);
		if (gr == NULL)
			errx(1, "group \"%s\" not found", group);
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1)
			err(1, "chown %s to group %s", path, group);
	}
	if (chmod(path, mode) == -1)
		err(1, "chmod %s", path);
	if (listen(fd, SOMAXCONN) == -1)
		err(1, "listen %s", path);
	if (stat(path, &st) == -1)
		err(1, "stat %s", path);
	*inode = st.st_ino;
	return fd;
}

static void
drop_privileges(const struct passwd *pw)
{
	if (setgroups(0, NULL) == -1 || setresgid(pw->pw_gid, pw->pw_gid,
	    pw->pw_gid) == -1 || setresuid(pw->pw_uid, pw->pw_uid,
	    pw->pw_uid) == -1)
		err(1, "cannot switch to user %s", pw->pw_name);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		errx(1, "root privileges could be regained after switching "
		    "to user %s", pw->pw_name);
}

/*
 * Accept requests and send each the fixed response until SIGTERM or
 * SIGINT.  Runs in a forked responder and returns its exit status.
 */
static int
serve(int listen_fd)
{
	FCGX_Request req;
	unsigned long served = 0, write_errors = 0;
	int rc;

	if (FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		warnx("FCGX_InitRequest failed");
		return 1;
	}

	/*
	 * A signal that lands between this test and the accept() inside
	 * FCGX_Accept_r is not seen until the next connection arrives.  The
	 * master's SIGKILL after STOP_TIMEOUT_MS covers that case.
	 */
	while (!stop_requested) {
		rc = FCGX_Accept_r(&req);
		if (rc < 0) {
			if (stop_requested || rc == -EINTR)
				continue;
			warnx("FCGX_Accept_r failed: %s", strerror(-rc));
			FCGX_Free(&req, 1);
			return 1;
		}
		if (FCGX_PutStr(response, response_len, req.out) !=
		    response_len)
			write_errors++;
		FCGX_Finish_r(&req);
		served++;
	}

	FCGX_Free(&req, 1);
	if (write_errors > 0)
		warnx("pid %ld: %lu of %lu responses could not be written "
		    "(client gone)", (long)getpid(), write_errors, served);
	return 0;
}

static pid_t
start_responder(int listen_fd, const struct passwd *pw,
    const sigset_t *unblocked)
{
	pid_t pid;

	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid > 0)
		return pid;

	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	if (signal(SIGCHLD, SIG_DFL) == SIG_ERR ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signal");
	if (pw != NULL)
		drop_privileges(pw);
	if (sigprocmask(SIG_SETMASK, unblocked, NULL) == -1)
		err(1, "sigprocmask");
	_exit(serve(listen_fd));
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* Reap exited responders; returns how many of "pids" are still running. */
static int
reap(pid_t *pids, int nprocs, bool expected)
{
	pid_t pid;
	int status, i, running;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nprocs; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			if (expected && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				break;
			if (WIFSIGNALED(status))
				warnx("responder %ld was killed by signal %d",
				    (long)pid, WTERMSIG(status));
			else
				warnx("responder %ld exited with status %d",
				    (long)pid, WEXITSTATUS(status));
			break;
		}
	}

	running = 0;
	for (i = 0; i < nprocs; i++)
		if (pids[i] != 0)
			running++;
	return running;
}

static void
stop_responders(pid_t *pids, int nprocs)
{
	long waited;
	int i;

	for (i = 0; i < nprocs; i++)
		if (pids[i] != 0)
			kill(pids[i], SIGTERM);

	for (waited = 0; waited < STOP_TIMEOUT_MS; waited += STOP_POLL_MS) {
		if (reap(pids, nprocs, true) == 0)
			return;
		sleep_ms(STOP_POLL_MS);
	}

	for (i = 0; i < nprocs; i++) {
		if (pids[i] == 0)
			continue;
		warnx("responder %ld did not stop within %d ms, killing it",
		    (long)pids[i], STOP_TIMEOUT_MS);
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		pids[i] = 0;
	}
}

/* Remove the socket file if it is still the one this process created. */
static void
remove_socket(const char *path, ino_t inode)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_ino == inode && unlink(path) == -1)
		warn("unlink %s", path);
}

int
main(int argc, char *argv[])
{
	const char *path = NULL, *group = NULL, *user = NULL;
	struct passwd *pw = NULL;
	pid_t pids[MAX_PROCS];
	sigset_t blocked, unblocked;
	mode_t mode = 0666;
	ino_t inode;
	int nprocs = 1, listen_fd, i, ch, status = 0;

	while ((ch = getopt(argc, argv, "s:n:m:g:u:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'n':
			nprocs = (int)parse_long(optarg, 10, 1, MAX_PROCS,
			    "process count");
			break;
		case 'm':
			mode = (mode_t)parse_long(optarg, 8, 0, 0777,
			    "socket mode");
			break;
		case 'g':
			group = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();

	if (user != NULL) {
		pw = getpwnam(user);
		if (pw == NULL)
			errx(1, "user \"%s\" not found", user);
		if (geteuid() != 0)
			errx(1, "-u %s needs root", user);
	}

	build_response();
	if (FCGX_Init() != 0)
		errx(1, "FCGX_Init failed");

	/*
	 * Block the signals the master waits for before any child exists,
	 * so that none is lost between a flag test and sigsuspend().
	 */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &blocked, &unblocked) == -1)
		err(1, "sigprocmask");
	set_handler(SIGTERM, on_stop_signal);
	set_handler(SIGINT, on_stop_signal);
	set_handler(SIGCHLD, on_child_signal);

	listen_fd = open_socket(path, mode, group, &inode);

	memset(pids, 0, sizeof(pids));
	for (i = 0; i < nprocs; i++)
		pids[i] = start_responder(listen_fd, pw, &unblocked);
	fprintf(stderr, "fcgi_null: listening on %s with %d responder "
	    "processes\n", path, nprocs);

	while (!stop_requested) {
		sigsuspend(&unblocked);
		if (child_exited) {
			child_exited = 0;
			if (reap(pids, nprocs, false) < nprocs) {
				warnx("a responder died; stopping");
				status = 1;
				break;
			}
		}
	}

	stop_responders(pids, nprocs);
	close(listen_fd);
	remove_socket(path, inode);
	fprintf(stderr, "fcgi_null: stopped\n");
	return status;
}
