/*
 * sentry.h - error reports to Sentry.
 *
 * A worker collects what went wrong while it serves a request: every
 * log_error() line (by its event name) and a 5xx status.  At the end of
 * the request it turns them into at most one event, and it sends its
 * queued events only after FCGX_Finish_r(), so the client already has its
 * response.  The master reports a worker that died from a signal through
 * a short-lived child process, so the master does not wait on the network.
 *
 * An event carries the log event name, the route template, the method,
 * the status and the request id, never the request's path, query, body,
 * headers or cookies.  Events are limited to one per fingerprint (event
 * name, method and route template) per SENTRY_FINGERPRINT_INTERVAL_S, and
 * none are sent while Sentry asked SSCN to wait (429 and Retry-After) or
 * for SENTRY_FAILURE_BACKOFF_S after a failed send.  The limits are kept
 * in memory that the master shares with every worker it forks.
 */
#ifndef SSCN_SENTRY_H
#define SSCN_SENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sscn_conf;

#define SENTRY_TIMEOUT_MS		2000	/* whole send, connect included */
#define SENTRY_FINGERPRINT_INTERVAL_S	60
#define SENTRY_FAILURE_BACKOFF_S	30
/* Wait after a 429 without a usable Retry-After. */
#define SENTRY_DEFAULT_RETRY_AFTER_S	60
/* Longest Retry-After obeyed, so a bad value cannot mute reports for good. */
#define SENTRY_MAX_RETRY_AFTER_S	86400

#define SENTRY_KEY_MAX		64
#define SENTRY_URL_MAX		1024

/* A parsed DSN: the public key and the envelope endpoint it names. */
struct sentry_dsn {
	char	public_key[SENTRY_KEY_MAX + 1];
	char	envelope_url[SENTRY_URL_MAX];
	char	project_id[24];
};

/* ---- sentry_dsn.c, in libsscn.a because conf.c checks the keys ---- */

/*
 * Parse "text" as {scheme}://{public_key}[:{secret_key}]@{host}[:{port}]
 * [{path}]/{project_id} with the scheme https, keys of letters and
 * digits, a host name or IPv4 address or bracketed IPv6 address, a path of
 * unreserved characters and a decimal project id, and no query or
 * fragment.  The legacy secret key is accepted and dropped.  Returns 0
 * with "dsn" filled (may be NULL to only check), or -1 with "*reason" set
 * to a phrase that does not quote the DSN, because the DSN is a
 * credential.
 */
int	sentry_dsn_parse(const char *text, struct sentry_dsn *dsn,
	    const char **reason);

/*
 * Check a value of sentry_environment or sentry_release: 1 to "max"
 * bytes of printable ASCII without spaces, '/' or '\\' (stricter than
 * Sentry's own rules for these names).  Returns NULL or the reason.
 */
const char *sentry_name_check(const char *value, size_t max);

/* ---- sentry.c, sscnd only ---------------------------------------- */

/*
 * Create the memory that contains the rate limits, shared with every process
 * forked later.  Called once by the master before it forks workers; when
 * it fails, each process keeps its own limits (logged).
 */
void	sentry_shared_init(void);

/* Forget every limit, as after the DSN changed to another project. */
void	sentry_shared_reset(void);

/*
 * Take the Sentry settings of "conf", which must outlive every later
 * call.  With an empty sentry_dsn nothing is collected or sent.  In a
 * worker, "collect" also hooks log_error() so errors become events.
 */
void	sentry_configure(const struct sscn_conf *conf, bool collect);

/* True when a DSN is set. */
bool	sentry_enabled(void);

/* Start collecting for the request "request_id". */
void	sentry_request_begin(const char *request_id);

/*
 * End the current request: queue one event when it logged an error or
 * its response status is 500 or more.  "method" and "route" are the route table's
 * method and template, NULL when no route matched.
 */
void	sentry_request_end(const char *method, const char *route, int status);

/* Send the queued events; call only after the response is finished. */
void	sentry_flush(void);

/*
 * Decide whether the death of a worker from "signal_name" is reported:
 * false without a DSN, while Sentry asked to wait, or when the same
 * signal was reported less than SENTRY_FINGERPRINT_INTERVAL_S ago.  A
 * true result counts as the report for the rate limit.
 */
bool	sentry_worker_death_due(const char *signal_name);

/*
 * Send the report of worker "index" (pid "pid") that died from
 * "signal_name" and wait for Sentry's response, at most SENTRY_TIMEOUT_MS.
 * The master calls it in a child process that it forked for this.
 */
void	sentry_send_worker_death(unsigned index, pid_t pid,
	    const char *signal_name);

#endif /* SSCN_SENTRY_H */
