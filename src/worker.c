/*
 * worker.c - a worker process: the FastCGI accept loop.
 *
 * SIGTERM, SIGINT and SIGQUIT stay blocked except inside epoll_pwait(2),
 * which unblocks them atomically while the worker waits for a connection.
 * So a stop request never interrupts a request being served, and it
 * cannot slip in between the check of the stop flag and the wait (the
 * race that a plain blocking accept(2) would have).  A signal that
 * arrives while the worker serves stays pending, and the worker takes it
 * with one sigtimedwait(2) before each accept.  The listening socket is
 * non-blocking, so a busy worker accepts the next queued connection at
 * once and waits only when the queue is empty.  The workers watch the
 * socket with EPOLLEXCLUSIVE, so a new connection wakes one idle worker,
 * not all of them.  A wake-up that finds the queue empty costs a context
 * switch, which the other processes of a small machine need.  A worker
 * woken for a connection accepts one even when a stop signal came with
 * it, because the other workers may not wake for that connection.
 *
 * The two stop signals differ in what happens to the listen queue:
 * - SIGTERM (a reload retiring the worker, or the master's death) stops
 *   after the request in progress.  Connections still queued are left to
 *   the other workers.
 * - SIGQUIT (the master's shutdown, sent after it removed the socket's
 *   path, so that no connection can join the queue) drains the queue:
 *   the worker keeps accepting until it has waited WORKER_DRAIN_IDLE_MS
 *   without a connection, then stops.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "sscn.h"
#include "outbound.h"
#include "ratelimit.h"
#include "sentry.h"
#include "auth/password.h"
#include "crypto/keys.h"

/*
 * How long a draining worker waits for one more connection before it
 * stops.  A connect(2) that looked the path up just before the master
 * removed it can still join the queue afterwards, within that one call.
 * NOTE: a caller descheduled inside that call for longer than this wait
 * finds the socket closed and gets ECONNRESET.
 */
#define WORKER_DRAIN_IDLE_MS	500

/*
 * How long a worker waits without a connection before it returns its
 * free heap memory to the kernel.  A login's Argon2id work area and
 * large responses leave free pages in the heap that glibc keeps.
 */
#define WORKER_TRIM_IDLE_MS	1000

static volatile sig_atomic_t worker_stop_requested;
static volatile sig_atomic_t worker_drain_requested;

static void
worker_on_stop_signal(int sig)
{
	(void)sig;
	worker_stop_requested = 1;
}

static void
worker_on_drain_signal(int sig)
{
	(void)sig;
	worker_drain_requested = 1;
}

/*
 * Take a stop signal that arrived while blocked: set the stop flag for
 * SIGTERM or SIGINT and the drain flag for SIGQUIT.  One system call, and
 * none of the handlers runs.
 */
static void
worker_take_pending_signal(void)
{
	static const struct timespec	 no_wait = { 0, 0 };
	sigset_t			 stop_signals;
	int				 sig;

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGQUIT);
	while ((sig = sigtimedwait(&stop_signals, NULL, &no_wait)) > 0) {
		if (sig == SIGQUIT)
			worker_drain_requested = 1;
		else
			worker_stop_requested = 1;
	}
}

/*
 * Set the worker's signal dispositions and return, in "wait_mask", the mask
 * to use while waiting for a connection.
 */
static int
worker_signals(sigset_t *wait_mask)
{
	struct sigaction	 sa;
	sigset_t		 stop_signals;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = worker_on_stop_signal;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = worker_on_drain_signal;
	if (sigaction(SIGQUIT, &sa, NULL) == -1)
		return -1;

	/* A client that goes away must cost an EPIPE, not the process. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return -1;

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGQUIT);
	if (sigprocmask(SIG_SETMASK, &stop_signals, NULL) == -1)
		return -1;

	sigemptyset(wait_mask);
	return 0;
}

/*
 * Load what the account handlers need; the keys come from the master.  A
 * missing password list is logged, so health and everything else keep
 * working while an operator fixes it.
 */
void
worker_load_auth(struct worker *w, struct password_policy *policy)
{
	const struct sscn_conf	*conf = w->conf;
	char			 escaped[600];
	size_t			 line = 0;

	password_policy_defaults(policy);
	policy->min_length = conf->password_min_length;
	policy->max_length = conf->password_max_length;
	policy->require_upper = conf->password_require_upper;
	policy->require_lower = conf->password_require_lower;
	policy->require_digit = conf->password_require_digit;
	policy->min_score = (int)conf->password_min_score;
	policy->check_common = conf->password_common_list != NULL &&
	    *conf->password_common_list != '\0';
	policy->opslimit = conf->argon2_opslimit;
	policy->memlimit = conf->argon2_memlimit;
	w->password_policy = policy;

	if (password_policy_validate(policy) != NULL)
		log_error(NULL, "password_policy_invalid", "reason=\"%s\"",
		    password_policy_validate(policy));
	if (password_dummy_init(policy) == -1)
		log_error(NULL, "password_init_failed", "error=\"out of memory\"");

	if (policy->check_common) {
		w->common_passwords = common_list_load(
		    conf->password_common_list, &line);
		if (w->common_passwords == NULL)
			log_error(NULL, "common_password_list_failed", "path=%s "
			    "line=%zu", log_escape(escaped, sizeof(escaped),
			    conf->password_common_list), line);
	}

}

/*
 * Detach a request that was read to its end, so that FCGX_Finish_r()
 * closes its socket at once.  Otherwise libfcgi shuts down the sending
 * side and waits up to 2 s for nginx to close the other end, reading what
 * arrives.  That wait keeps unread request bytes from resetting a TCP
 * connection before the peer has read the response.  After the body
 * ("read_all") and the empty record that ends stdin, nothing is left to
 * read, and the wait would only cost a sleep and three system calls.
 * NOTE: the socket blocks, so a peer that never sent that record would
 * hold the worker here.  nginx sends it right after the body.
 */
static void
worker_close_at_once(FCGX_Request *fcgi, bool read_all)
{
	if (!read_all || fcgi->in == NULL)
		return;
	if (FCGX_GetChar(fcgi->in) == EOF && FCGX_GetError(fcgi->in) == 0)
		(void)FCGX_Detach(fcgi);
}

int
worker_run(const struct sscn_conf *conf, const struct sscn_keys *keys,
    int listen_fd, unsigned index)
{
	struct epoll_event listener = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	bool		 trimmed = true, woken = false;
	int		 epfd;
	struct password_policy policy;

	struct worker	 w;
	FCGX_Request	 fcgi;
	sigset_t	 wait_mask;
	const char	*reason = "stop_signal";

	memset(&w, 0, sizeof(w));
	w.conf = conf;
	w.keys = keys;
	w.listen_fd = listen_fd;
	w.index = index;
	db_init(&w.db, conf->database, conf->db_connect_timeout,
	    conf->db_statement_timeout);
	worker_load_auth(&w, &policy);
	outbound_init(conf);
	sentry_configure(conf, true);

	/* Orphaned workers stop when the master dies. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
	    worker_signals(&wait_mask) == -1) {
		log_error(NULL, "worker_failed", "index=%u error=\"%s\"", index,
		    strerror(errno));
		return 1;
	}
	if (getppid() == 1)
		return 1;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgi, listen_fd, 0) != 0) {
		log_error(NULL, "worker_failed", "index=%u "
		    "error=\"FastCGI initialisation failed\"", index);
		return 1;
	}
	listener.data.fd = listen_fd;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &listener) == -1) {
		log_error(NULL, "worker_failed", "index=%u error=\"%s\"", index,
		    strerror(errno));
		return 1;
	}
	log_info(NULL, "worker_started", "index=%u pid=%ld", index,
	    (long)getpid());

	for (;;) {
		struct epoll_event	 event;
		int			 rc;

		worker_take_pending_signal();
		if (worker_stop_requested && !woken)
			break;

		rc = FCGX_Accept_r(&fcgi);
		woken = false;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			/*
			 * A stop signal came with the wake-up, and another
			 * worker took the connection.
			 */
			if (worker_stop_requested)
				break;

			/* The queue is empty: wait with the stop signals open. */
			rc = epoll_pwait(epfd, &event, 1, worker_drain_requested ?
			    WORKER_DRAIN_IDLE_MS : trimmed ? -1 :
			    WORKER_TRIM_IDLE_MS, &wait_mask);
			if (rc == -1 && errno != EINTR) {
				log_error(NULL, "worker_poll_failed", "index=%u "
				    "error=\"%s\"", index, strerror(errno));
				reason = "poll_failed";
				break;
			}
			if (rc == 0 && worker_drain_requested) {
				reason = "drained";
				break;
			}
			if (rc == 0) {
				(void)malloc_trim(0);
				trimmed = true;
				continue;
			}
			if (rc > 0 && (event.events & (EPOLLERR | EPOLLHUP))) {
				log_error(NULL, "worker_listener_closed",
				    "index=%u", index);
				reason = "listener_closed";
				break;
			}
			woken = rc > 0;
			continue;
		}
		if (rc == -EBADF || rc == -EINVAL || rc == -ENOTSOCK) {
			log_error(NULL, "worker_listener_closed", "index=%u "
			    "error=\"%s\"", index, strerror(-rc));
			reason = "listener_closed";
			break;
		}
		if (rc < 0) {
			log_warn(NULL, "worker_accept_failed", "index=%u "
			    "error=\"%s\"", index, rc > -4096 ?
			    strerror(-rc) : "unknown");

			/* Errors such as EMFILE persist; do not spin on them. */
			usleep(10000);
			continue;
		}

		worker_close_at_once(&fcgi, http_serve(&w, &fcgi));
		FCGX_Finish_r(&fcgi);
		w.requests++;
		trimmed = false;

		/*
		 * The client has its response.  The send blocks only this
		 * worker, for at most SENTRY_TIMEOUT_MS per queued event.
		 */
		sentry_flush();
		ratelimit_expire(&w);
	}

	close(epfd);
	db_close(&w.db);
	common_list_free(w.common_passwords);
	log_info(NULL, "worker_stopped", "index=%u pid=%ld requests=%lu "
	    "reason=%s", index, (long)getpid(), w.requests, reason);
	return 0;
}
