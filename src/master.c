/*
 * master.c - the master process: keeps the worker pool alive.
 *
 * The master holds the listening socket and no request state.  It waits
 * on a signalfd, so SIGCHLD, SIGTERM, SIGINT and SIGHUP are handled in
 * the main loop rather than in signal handlers, and on a timer for
 * back-off and shutdown deadlines.
 *
 * - A worker that exits unasked is replaced.  One that dies within
 *   WORKER_YOUNG_US of its start counts as a crash loop: its slot waits
 *   twice as long each time (100 ms, 200 ms, ... up to respawn_delay_max).
 * - SIGHUP reads the configuration again.  A file that does not parse
 *   keeps the old one.  Otherwise the workers are replaced one at a time:
 *   a new worker starts, then the old one gets SIGTERM, finishes its
 *   request and exits, and only then is the next replaced.  The socket
 *   stays open throughout, so connections wait in its backlog instead of
 *   failing.
 * - SIGTERM or SIGINT stops the server without failing a request that
 *   has reached it.  The master first removes the socket's path, so that
 *   a new connect(2) fails at once and nginx tries its next upstream
 *   server.  Then it sends SIGQUIT to every worker, which serves the
 *   connections left in the listen queue and stops (worker.c).  Workers
 *   still running shutdown_timeout seconds later get SIGKILL.
 * - Before the first fork, the master maps the shared counters of
 *   GET /metrics (metrics.h), and it counts every worker that exits unasked.
 * - A worker that died from a signal is reported to Sentry once its slot
 *   has a new worker.  A child forked for the report sends it and exits,
 *   so the master does not wait on the network (sentry.h).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "sscn.h"
#include "crypto/keys.h"
#include "metrics.h"
#include "sentry.h"

/* A worker that dies younger than this is crash-looping. */
#define WORKER_YOUNG_US		(5ULL * 1000000)
#define RESPAWN_DELAY_MIN_US	(100ULL * 1000)
#define MAX_WORKERS		256
/* Worker deaths waiting for a respawn, and report senders running. */
#define MAX_DEATH_REPORTS	8
#define MAX_REPORT_SENDERS	4

struct worker_slot {
	pid_t		 pid;		/* 0 while waiting to respawn */
	unsigned	 generation;	/* configuration it was started with */
	uint64_t	 started_us;
	uint64_t	 respawn_at_us;
	unsigned	 failures;	/* consecutive young deaths */
};

/* A worker sent SIGTERM, with the time it gets SIGKILL. */
struct retiring {
	pid_t		 pid;
	uint64_t	 kill_at_us;
};

/* A worker that died from a signal, to report once its slot is filled. */
struct death_report {
	unsigned	 index;
	pid_t		 pid;
	char		 signal_name[16];
};

struct master {
	struct sscn_conf	*conf;
	struct sscn_keys	*keys;		/* passed to workers by fork() */
	const char		*conf_path;
	int			 listen_fd;
	int			 signal_fd;
	unsigned		 generation;
	struct worker_slot	 slots[MAX_WORKERS];
	unsigned		 nslots;	/* slots in use (conf->workers) */
	struct retiring		 retiring[MAX_WORKERS * 2];
	unsigned		 nretiring;
	struct death_report	 reports[MAX_DEATH_REPORTS];
	unsigned		 nreports;
	pid_t			 senders[MAX_REPORT_SENDERS];
	unsigned		 nsenders;
	char			*socket_path;	/* removed at stop; NULL: none */
	bool			 reloading;
	bool			 stopping;
	uint64_t		 stop_deadline_us;
};

static void
master_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit_status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=%s%s", sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "unknown",
		    WCOREDUMP(status) ? " core_dumped=yes" : "");
	else
		snprintf(buf, len, "status=%d", status);
}

static pid_t
master_spawn(struct master *m, unsigned index)
{
	pid_t	 pid;
	sigset_t stop_signals;

	pid = fork();
	if (pid == -1) {
		log_error(NULL, "worker_fork_failed", "index=%u error=\"%s\"",
		    index, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int status;

		close(m->signal_fd);
		signal(SIGCHLD, SIG_DFL);

		/*
		 * A worker needs only the runtime role's connection string;
		 * wipe its copy of the migration and maintenance ones.
		 */
		if (m->conf->database_owner != NULL)
			explicit_bzero(m->conf->database_owner,
			    strlen(m->conf->database_owner));
		if (m->conf->database_maintenance != NULL)
			explicit_bzero(m->conf->database_maintenance,
			    strlen(m->conf->database_maintenance));

		/*
		 * The stop signals stay blocked until worker_run() has its
		 * handlers.  One sent right after the fork then waits for them
		 * instead of killing the worker by its default action, which
		 * for SIGQUIT also dumps core.
		 */
		sigemptyset(&stop_signals);
		sigaddset(&stop_signals, SIGTERM);
		sigaddset(&stop_signals, SIGINT);
		sigaddset(&stop_signals, SIGQUIT);
		sigprocmask(SIG_SETMASK, &stop_signals, NULL);
		status = worker_run(m->conf, m->keys, m->listen_fd, index);
		_exit(status);
	}

	m->slots[index].pid = pid;
	m->slots[index].generation = m->generation;
	m->slots[index].started_us = now_us();
	m->slots[index].respawn_at_us = 0;
	return pid;
}

static void
master_retire(struct master *m, pid_t pid)
{
	if (m->nretiring == sizeof(m->retiring) / sizeof(m->retiring[0])) {
		kill(pid, SIGKILL);
		return;
	}
	m->retiring[m->nretiring].pid = pid;
	m->retiring[m->nretiring].kill_at_us = now_us() +
	    (uint64_t)m->conf->shutdown_timeout * 1000000;
	m->nretiring++;
	kill(pid, SIGTERM);
}

/* Schedule the respawn of a slot whose worker died unasked. */
static void
master_schedule_respawn(struct master *m, unsigned index)
{
	struct worker_slot	*slot = &m->slots[index];
	uint64_t		 now = now_us();
	uint64_t		 delay = 0;
	uint64_t		 cap;

	if (now - slot->started_us < WORKER_YOUNG_US) {
		cap = (uint64_t)m->conf->respawn_delay_max * 1000000;
		delay = RESPAWN_DELAY_MIN_US << (slot->failures < 20 ?
		    slot->failures : 20);
		if (delay > cap)
			delay = cap;
		slot->failures++;
	} else
		slot->failures = 0;

	slot->pid = 0;
	slot->respawn_at_us = now + delay;
	log_info(NULL, "worker_respawn_scheduled", "index=%u delay_ms=%llu "
	    "consecutive_failures=%u", index,
	    (unsigned long long)(delay / 1000), slot->failures);
}

/* Note a worker's death from a signal for master_send_reports(). */
static void
master_note_death(struct master *m, unsigned index, pid_t pid, int status)
{
	struct death_report	*r;
	const char		*name;

	if (!WIFSIGNALED(status) || !sentry_enabled())
		return;
	if (m->nreports == MAX_DEATH_REPORTS) {
		log_warn(NULL, "sentry_report_dropped", "index=%u pid=%ld "
		    "reason=\"too many worker deaths waiting for a respawn\"",
		    index, (long)pid);
		return;
	}
	name = sigabbrev_np(WTERMSIG(status));
	r = &m->reports[m->nreports++];
	r->index = index;
	r->pid = pid;
	snprintf(r->signal_name, sizeof(r->signal_name), "%s",
	    name != NULL ? name : "unknown");
}

/* Fork the child that sends one report; it never returns. */
static void
master_report_child(struct master *m, const struct death_report *r)
{
	sigset_t none;

	close(m->signal_fd);
	close(m->listen_fd);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sentry_send_worker_death(r->index, r->pid, r->signal_name);
	_exit(0);
}

/* Send the reports of dead workers whose slot runs a new worker. */
static void
master_send_reports(struct master *m)
{
	unsigned i = 0;

	while (i < m->nreports) {
		struct death_report	*r = &m->reports[i];
		pid_t			 pid;

		if (r->index < m->nslots && m->slots[r->index].pid == 0) {
			i++;
			continue;
		}
		if (m->nsenders == MAX_REPORT_SENDERS) {
			log_warn(NULL, "sentry_report_dropped", "index=%u "
			    "pid=%ld reason=\"%d report senders still "
			    "running\"", r->index, (long)r->pid,
			    MAX_REPORT_SENDERS);
		} else if (sentry_worker_death_due(r->signal_name)) {
			pid = fork();
			if (pid == 0)
				master_report_child(m, r);
			if (pid == -1)
				log_warn(NULL, "sentry_report_dropped",
				    "index=%u pid=%ld error=\"fork: %s\"",
				    r->index, (long)r->pid, strerror(errno));
			else
				m->senders[m->nsenders++] = pid;
		}
		m->reports[i] = m->reports[--m->nreports];
	}
}

/* True (and forgotten) when "pid" was a report sender. */
static bool
master_reap_sender(struct master *m, pid_t pid)
{
	unsigned i;

	for (i = 0; i < m->nsenders; i++) {
		if (m->senders[i] != pid)
			continue;
		m->senders[i] = m->senders[--m->nsenders];
		return true;
	}
	return false;
}

static void
master_reap(struct master *m)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char		 how[64];
		unsigned	 i;
		bool		 found = false;

		master_describe_status(status, how, sizeof(how));
		if (master_reap_sender(m, pid)) {
			log_debug(NULL, "sentry_sender_exited", "pid=%ld %s",
			    (long)pid, how);
			continue;
		}

		for (i = 0; i < m->nretiring; i++) {
			if (m->retiring[i].pid != pid)
				continue;
			m->retiring[i] = m->retiring[--m->nretiring];
			log_info(NULL, "worker_exited", "pid=%ld %s reason=retired",
			    (long)pid, how);
			found = true;
			break;
		}
		if (found)
			continue;

		for (i = 0; i < m->nslots; i++) {
			if (m->slots[i].pid != pid)
				continue;
			found = true;
			if (m->stopping) {
				m->slots[i].pid = 0;
				log_info(NULL, "worker_exited", "pid=%ld %s "
				    "reason=shutdown", (long)pid, how);
			} else {
				log_error(NULL, "worker_died", "index=%u pid=%ld "
				    "%s", i, (long)pid, how);
				metrics_worker_restart();
				master_schedule_respawn(m, i);
				master_note_death(m, i, pid, status);
			}
			break;
		}
		if (!found)
			log_warn(NULL, "worker_exited", "pid=%ld %s "
			    "reason=unknown_child", (long)pid, how);
	}
}

/* Start workers whose respawn time has come. */
static void
master_respawn_due(struct master *m)
{
	uint64_t	 now = now_us();
	unsigned	 i;

	for (i = 0; i < m->nslots; i++) {
		struct worker_slot *slot = &m->slots[i];

		if (slot->pid != 0 || slot->respawn_at_us > now)
			continue;
		if (master_spawn(m, i) > 0)
			log_info(NULL, "worker_respawned", "index=%u pid=%ld",
			    i, (long)slot->pid);
		else
			slot->respawn_at_us = now + RESPAWN_DELAY_MIN_US * 10;
	}
}

/*
 * Advance a reload by one step: when no worker is retiring, replace the
 * next slot still running the old generation, or retire a slot the new
 * configuration no longer has.  Returns true once the reload is complete.
 */
static bool
master_reload_step(struct master *m, unsigned target)
{
	unsigned	 i;
	pid_t		 old;

	if (m->nretiring > 0)
		return false;

	for (i = 0; i < m->nslots && i < target; i++) {
		struct worker_slot *slot = &m->slots[i];

		if (slot->generation == m->generation)
			continue;

		old = slot->pid;
		if (master_spawn(m, i) <= 0)
			return false;
		log_info(NULL, "worker_replaced", "index=%u old_pid=%ld "
		    "new_pid=%ld", i, (long)old, (long)slot->pid);
		if (old > 0)
			master_retire(m, old);
		return false;
	}

	/* Every kept slot runs the new configuration; fit the count. */
	if (m->nslots > target) {
		old = m->slots[--m->nslots].pid;
		m->slots[m->nslots].pid = 0;
		if (old > 0)
			master_retire(m, old);
		return false;
	}
	while (m->nslots < target) {
		master_spawn(m, m->nslots);
		m->nslots++;
	}
	return true;
}

static bool
master_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
master_conf_same_socket(const struct sscn_conf *a, const struct sscn_conf *b)
{
	return strcmp(a->socket_path, b->socket_path) == 0 &&
	    a->socket_mode == b->socket_mode &&
	    master_same_string(a->socket_owner, b->socket_owner) &&
	    master_same_string(a->socket_group, b->socket_group);
}

/*
 * Read the key file of "fresh" for the workers that the reload starts.
 * When the file does not load, the running keys stay, so that a bad edit
 * cannot take sscnd down.  The error names the file, never a key.
 */
static void
master_reload_keys(struct master *m, const struct sscn_conf *fresh)
{
	struct sscn_keys	*keys = NULL;
	char			 reason[512], escaped[1024];

	if (keys_load(fresh->key_file, fresh->jwt_signing_key, &keys, reason,
	    sizeof(reason)) == -1) {
		log_error(NULL, "reload_keys_failed", "reason=%s "
		    "action=\"kept the running keys\"",
		    log_escape(escaped, sizeof(escaped), reason));
		return;
	}
	keys_free(m->keys);
	m->keys = keys;
}

static void
master_begin_reload(struct master *m)
{
	struct sscn_conf	*fresh;
	char			 err[1024];
	char			 reason[1100];

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)now_us());
	log_info(NULL, "reload_started", "config=%s", m->conf_path);

	fresh = malloc(sizeof(*fresh));
	if (fresh == NULL) {
		log_error(NULL, "reload_failed", "error=\"out of memory\"");
		sd_notify(0, "READY=1");
		return;
	}
	conf_defaults(fresh);
	if (conf_load(m->conf_path, fresh, err, sizeof(err)) == -1) {
		log_error(NULL, "reload_failed", "reason=%s "
		    "action=\"kept the running configuration\"",
		    log_escape(reason, sizeof(reason), err));
		conf_free(fresh);
		free(fresh);
		sd_notify(0, "READY=1");
		return;
	}
	if (fresh->database == NULL) {
		log_error(NULL, "reload_failed", "reason=\"database is not "
		    "set\" action=\"kept the running configuration\"");
		conf_free(fresh);
		free(fresh);
		sd_notify(0, "READY=1");
		return;
	}
	fresh->workers = conf_worker_count(fresh);
	if (!master_conf_same_socket(m->conf, fresh))
		log_warn(NULL, "reload_socket_unchanged", "reason=\"socket "
		    "settings take effect only at restart\"");
	if (!master_same_string(m->conf->user, fresh->user) ||
	    !master_same_string(m->conf->group, fresh->group))
		log_warn(NULL, "reload_user_unchanged", "reason=\"user and "
		    "group take effect only at restart\"");

	master_reload_keys(m, fresh);

	/*
	 * Workers forked before the reload keep their copy of the old
	 * configuration; the master's copy is only needed for new forks.
	 */
	/* Limits that Sentry set belong to the old project. */
	if (!master_same_string(m->conf->sentry_dsn, fresh->sentry_dsn))
		sentry_shared_reset();
	conf_free(m->conf);
	free(m->conf);
	m->conf = fresh;
	sentry_configure(m->conf, false);
	log_set_level(fresh->log_level);
	m->generation++;
	m->reloading = true;
}

/*
 * Remove the listening socket's path, once.  Connections already accepted
 * or queued stay valid, because the workers keep the socket open.  Only a
 * new connect(2) by path fails, with ENOENT.
 */
static void
master_remove_socket(struct master *m)
{
	char path[512];

	if (m->socket_path == NULL)
		return;
	log_escape(path, sizeof(path), m->socket_path);
	if (unlink(m->socket_path) == -1 && errno != ENOENT)
		log_warn(NULL, "socket_unlink_failed", "path=%s error=\"%s\"",
		    path, strerror(errno));
	else
		log_info(NULL, "socket_removed", "path=%s", path);
	free(m->socket_path);
	m->socket_path = NULL;
}

/*
 * Begin the shutdown.  The path goes before the workers get SIGQUIT, so no
 * connection can join the queue after they drained it.  Retiring workers
 * of a reload already got SIGTERM and only finish their request.
 */
static void
master_begin_stop(struct master *m, const char *signame)
{
	unsigned i;

	sd_notify(0, "STOPPING=1");
	log_info(NULL, "stopping", "signal=%s workers=%u timeout_s=%u", signame,
	    m->nslots, m->conf->shutdown_timeout);
	m->stopping = true;
	m->stop_deadline_us = now_us() +
	    (uint64_t)m->conf->shutdown_timeout * 1000000;

	master_remove_socket(m);

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].pid > 0)
			kill(m->slots[i].pid, SIGQUIT);
	for (i = 0; i < m->nretiring; i++)
		kill(m->retiring[i].pid, SIGTERM);
}

static unsigned
master_live_children(const struct master *m)
{
	unsigned i, n = m->nretiring;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].pid > 0)
			n++;
	return n;
}

/* Enforce SIGKILL deadlines of retiring workers and of the shutdown. */
static void
master_enforce_deadlines(struct master *m)
{
	uint64_t	 now = now_us();
	unsigned	 i;

	for (i = 0; i < m->nretiring; i++) {
		if (m->retiring[i].kill_at_us > now)
			continue;
		log_warn(NULL, "worker_killed", "pid=%ld reason=\"did not stop "
		    "within shutdown_timeout\"", (long)m->retiring[i].pid);
		kill(m->retiring[i].pid, SIGKILL);
		m->retiring[i].kill_at_us = UINT64_MAX;
	}

	if (m->stopping && now >= m->stop_deadline_us) {
		for (i = 0; i < m->nslots; i++) {
			if (m->slots[i].pid <= 0)
				continue;
			log_warn(NULL, "worker_killed", "pid=%ld reason=\"did "
			    "not stop within shutdown_timeout\"",
			    (long)m->slots[i].pid);
			kill(m->slots[i].pid, SIGKILL);
		}
		m->stop_deadline_us = UINT64_MAX;
	}
}

/* Milliseconds until the next timer the loop must wake for; -1 for none. */
static int
master_poll_timeout(const struct master *m)
{
	uint64_t	 now = now_us();
	uint64_t	 next = UINT64_MAX;
	unsigned	 i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].pid == 0 && !m->stopping &&
		    m->slots[i].respawn_at_us < next)
			next = m->slots[i].respawn_at_us;
	for (i = 0; i < m->nretiring; i++)
		if (m->retiring[i].kill_at_us < next)
			next = m->retiring[i].kill_at_us;
	if (m->stopping && m->stop_deadline_us < next)
		next = m->stop_deadline_us;

	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now) / 1000 + 1);
}

static int
master_signals(struct master *m)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	m->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->signal_fd == -1 ? -1 : 0;
}

/* Handle every signal queued on the signalfd. */
static void
master_read_signals(struct master *m)
{
	struct signalfd_siginfo info;

	while (read(m->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		switch (info.ssi_signo) {
		case SIGCHLD:
			master_reap(m);
			break;
		case SIGHUP:
			if (m->stopping)
				break;
			if (m->reloading) {
				log_warn(NULL, "reload_ignored", "reason=\"a "
				    "reload is already in progress\"");
				break;
			}
			master_begin_reload(m);
			break;
		case SIGTERM:
		case SIGINT:
			if (!m->stopping)
				master_begin_stop(m, info.ssi_signo == SIGTERM ?
				    "TERM" : "INT");
			break;
		default:
			break;
		}
	}
}

/*
 * Create the shared counters of GET /metrics before the first fork, so
 * every worker inherits the same mapping.  The test routes get series
 * too, because a reload can turn them on.
 */
static void
master_metrics_init(void)
{
	static struct metrics_route_table tables[2];

	tables[0].routes = api_routes;
	tables[0].n = api_nroutes;
	tables[1].routes = http_test_routes;
	tables[1].n = http_ntest_routes;
	(void)metrics_init(tables, 2);
}

int
master_run(struct sscn_conf *conf, const char *conf_path, int listen_fd,
    const char *socket_path, struct sscn_keys *keys)
{
	struct master	*m;
	unsigned	 i;
	int		 status = 0;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		log_error(NULL, "start_failed", "error=\"out of memory\"");
		return 1;
	}
	m->conf = malloc(sizeof(*conf));
	if (m->conf == NULL) {
		free(m);
		return 1;
	}
	*m->conf = *conf;	/* take ownership of the strings */
	memset(conf, 0, sizeof(*conf));
	m->conf_path = conf_path;
	m->listen_fd = listen_fd;
	m->keys = keys;
	m->generation = 1;
	if (socket_path != NULL && (m->socket_path = strdup(socket_path)) ==
	    NULL) {
		log_error(NULL, "start_failed", "error=\"out of memory\"");
		status = 1;
		goto out;
	}

	if (master_signals(m) == -1) {
		log_error(NULL, "start_failed", "step=signals error=\"%s\"",
		    strerror(errno));
		status = 1;
		goto out;
	}

	sentry_shared_init();
	sentry_configure(m->conf, false);
	master_metrics_init();

	m->nslots = m->conf->workers;
	for (i = 0; i < m->nslots; i++)
		master_spawn(m, i);

	log_info(NULL, "started", "version=%s pid=%ld workers=%u",
	    PACKAGE_VERSION, (long)getpid(), m->nslots);
	sd_notifyf(0, "READY=1\nSTATUS=serving with %u workers\nMAINPID=%ld",
	    m->nslots, (long)getpid());

	while (!m->stopping || master_live_children(m) > 0) {
		struct pollfd	 pfd = { .fd = m->signal_fd, .events = POLLIN };
		int		 rc;

		rc = poll(&pfd, 1, master_poll_timeout(m));
		if (rc == -1 && errno != EINTR) {
			log_error(NULL, "master_poll_failed", "error=\"%s\"",
			    strerror(errno));
			break;
		}
		if (rc > 0)
			master_read_signals(m);

		if (m->reloading && !m->stopping &&
		    master_reload_step(m, m->conf->workers)) {
			m->reloading = false;
			log_info(NULL, "reload_finished", "workers=%u",
			    m->nslots);
			sd_notifyf(0, "READY=1\nSTATUS=serving with %u workers",
			    m->nslots);
		}
		if (!m->stopping) {
			master_respawn_due(m);
			master_send_reports(m);
		}
		master_enforce_deadlines(m);
	}

	log_info(NULL, "stopped", "pid=%ld", (long)getpid());
out:
	master_remove_socket(m);
	if (m->signal_fd > 0)
		close(m->signal_fd);
	conf_free(m->conf);
	free(m->conf);
	keys_free(m->keys);
	free(m);
	return status;
}
