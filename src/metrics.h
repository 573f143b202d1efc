/*
 * metrics.h - the counters behind GET /metrics (Prometheus text format).
 *
 * The counters live in one MAP_SHARED anonymous mapping that the master
 * creates before it forks any worker.  The master, every worker and every
 * child they fork add to the same numbers, so a worker that dies loses
 * nothing it counted.  Each update is a relaxed C11 atomic addition, and
 * no lock is taken on the request path.  The counters start at
 * zero when sscnd starts and survive reloads (SIGHUP), which replace the
 * workers but not the master.
 *
 * Request metrics are labelled with the route table's method and
 * template, never with the request's own path, which would leak ids and
 * grow without bound.  Requests that match no route share one label.
 * Every label value comes from a fixed table in the code, so none needs
 * escaping.
 */
#ifndef SSCN_METRICS_H
#define SSCN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct route;

/* The route label of requests that matched no route. */
#define METRICS_UNMATCHED_ROUTE	"unmatched"

/* One route table whose templates label the request metrics. */
struct metrics_route_table {
	const struct route	*routes;
	size_t			 n;
};

enum metrics_db_error {
	METRICS_DB_CONNECT = 0,		/* a connection attempt failed */
	METRICS_DB_CONNECTION_LOST,	/* the connection broke mid-use */
	METRICS_DB_PREPARE,		/* preparing the statements failed */
	METRICS_DB_QUERY,		/* a statement failed, conflicts aside */
	METRICS_DB_TIMEOUT,		/* statement_timeout cancelled one */
	METRICS_DB__COUNT
};

enum metrics_sentry_failure {
	METRICS_SENTRY_TRANSPORT = 0,	/* no response: timeout, TLS, ... */
	METRICS_SENTRY_REJECTED,	/* a response other than 2xx */
	METRICS_SENTRY__COUNT
};

/*
 * Create the shared mapping, sized for the routes of "tables" (the label
 * order of /metrics).  The master calls it once, before it forks.  Returns
 * 0, or -1 with errno set after logging the failure.  After a failure
 * every count is dropped and metrics_enabled() is false.  The tables must
 * outlive the process.
 */
int	metrics_init(const struct metrics_route_table *tables,
	    size_t ntables);

bool	metrics_enabled(void);

/*
 * Count one completed request.  "route" is the matched entry of one of
 * the tables given to metrics_init(), or NULL for no match.  "status" is
 * the HTTP status sent, and "duration_us" the time from the start of the
 * request to the end of its response.
 */
void	metrics_request(const struct route *route, int status,
	    uint64_t duration_us);

/* Count one 429 response. */
void	metrics_rate_limited(void);

/*
 * Count one recorded credential failure by its audit reason.  The reasons
 * of a second factor (totp_invalid, totp_replay, recovery_code_invalid,
 * mfa_not_enabled, confirm_invalid) count as MFA failures, every other
 * reason as a login failure.  A reason outside the fixed lists is
 * labelled "other".
 */
void	metrics_auth_failure(const char *reason);

/* Count one account lock after too many failures. */
void	metrics_lockout(void);

void	metrics_db_error(enum metrics_db_error kind);

/* Count one connection that replaced a worker's earlier one. */
void	metrics_db_reconnect(void);

/* Count one worker that exited unasked and is to be restarted. */
void	metrics_worker_restart(void);

void	metrics_sentry_failure(enum metrics_sentry_failure kind);

/*
 * Write every counter and the request histogram to "out" in the
 * Prometheus text format, version 0.0.4, each family with its HELP and
 * TYPE lines.  Series of routes without requests are left out.  The
 * counters are read one at a time while others may change them, so a
 * histogram's _sum can lag its _count by a request in flight.
 */
void	metrics_write(FILE *out);

#endif /* SSCN_METRICS_H */
