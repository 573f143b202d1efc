/*
 * metrics.c - the shared counters of sscnd and their text form for
 * GET /metrics (contract in metrics.h).
 *
 * Layout of the mapping: the process-wide counters first, then one slot
 * per route of the tables given to metrics_init(), then one slot for
 * requests that matched no route.  A slot counts responses by exact
 * status (100 to 599, anything else under "other") and keeps the
 * latency histogram as per-bucket counts, which metrics_write() sums
 * into Prometheus' cumulative buckets.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sscn.h"
#include "metrics.h"

#define METRICS_STATUS_MIN	100
#define METRICS_STATUS_MAX	599
/* One slot per status from 100 to 599, and the last for any other. */
#define METRICS_STATUS_SLOTS	(METRICS_STATUS_MAX - METRICS_STATUS_MIN + 2)

/*
 * Upper bounds of the latency buckets in microseconds, and the same
 * bounds in seconds as the "le" labels show them.  The last bucket
 * (+Inf) has no entry here.
 */
static const uint64_t metrics_bucket_us[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
static const char *const metrics_bucket_le[] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
	"0.5", "1", "2.5", "5", "10"
};
#define METRICS_NBUCKETS \
	(sizeof(metrics_bucket_us) / sizeof(metrics_bucket_us[0]))

/* The audit reasons of credential failures (auth_login.c, auth_mfa.c). */
static const char *const metrics_login_reasons[] = {
	"unknown_email", "wrong_password", "no_password",
	"email_not_verified", "locked", "locked_by_admin", "other"
};
static const char *const metrics_mfa_reasons[] = {
	"totp_invalid", "totp_replay", "recovery_code_invalid",
	"mfa_not_enabled", "confirm_invalid", "other"
};
#define METRICS_NLOGIN_REASONS \
	(sizeof(metrics_login_reasons) / sizeof(metrics_login_reasons[0]))
#define METRICS_NMFA_REASONS \
	(sizeof(metrics_mfa_reasons) / sizeof(metrics_mfa_reasons[0]))

static const char *const metrics_db_error_kinds[METRICS_DB__COUNT] = {
	[METRICS_DB_CONNECT] = "connect",
	[METRICS_DB_CONNECTION_LOST] = "connection_lost",
	[METRICS_DB_PREPARE] = "prepare",
	[METRICS_DB_QUERY] = "query",
	[METRICS_DB_TIMEOUT] = "timeout",
};

static const char *const metrics_sentry_kinds[METRICS_SENTRY__COUNT] = {
	[METRICS_SENTRY_TRANSPORT] = "transport",
	[METRICS_SENTRY_REJECTED] = "rejected",
};

struct metrics_route_slot {
	_Atomic uint64_t	status[METRICS_STATUS_SLOTS];
	/* Requests per bucket, not cumulative; the last is over 10 s. */
	_Atomic uint64_t	buckets[METRICS_NBUCKETS + 1];
	_Atomic uint64_t	duration_us_sum;
};

struct metrics_shared {
	_Atomic uint64_t	rate_limited;
	_Atomic uint64_t	lockouts;
	_Atomic uint64_t	db_reconnects;
	_Atomic uint64_t	worker_restarts;
	_Atomic uint64_t	db_errors[METRICS_DB__COUNT];
	_Atomic uint64_t	login_failures[METRICS_NLOGIN_REASONS];
	_Atomic uint64_t	mfa_failures[METRICS_NMFA_REASONS];
	_Atomic uint64_t	sentry_failures[METRICS_SENTRY__COUNT];
	struct metrics_route_slot routes[];	/* metrics_nroutes + 1 */
};

static struct metrics_shared		*metrics;
static const struct metrics_route_table	*metrics_tables;
static size_t				 metrics_ntables;
static size_t				 metrics_nroutes;

int
metrics_init(const struct metrics_route_table *tables, size_t ntables)
{
	size_t	 i, nroutes = 0, size;
	void	*shared;

	for (i = 0; i < ntables; i++)
		nroutes += tables[i].n;
	size = sizeof(struct metrics_shared) +
	    (nroutes + 1) * sizeof(struct metrics_route_slot);

	shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		log_error(NULL, "metrics_shared_memory_failed", "bytes=%zu "
		    "error=\"%s\" action=\"metrics are off\"", size,
		    strerror(errno));
		return -1;
	}

	/* A new anonymous mapping is zero-filled: every counter starts at 0. */
	metrics = shared;
	metrics_tables = tables;
	metrics_ntables = ntables;
	metrics_nroutes = nroutes;
	return 0;
}

bool
metrics_enabled(void)
{
	return metrics != NULL;
}

static void
metrics_add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static uint64_t
metrics_load(_Atomic uint64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

/*
 * The slot of "route": its position across the tables, or the unmatched
 * slot.  The addresses are compared as integers, because "route" may
 * belong to any of the tables.
 */
static size_t
metrics_route_index(const struct route *route)
{
	uintptr_t	 address = (uintptr_t)route;
	size_t		 i, offset = 0;

	for (i = 0; route != NULL && i < metrics_ntables; i++) {
		uintptr_t first = (uintptr_t)metrics_tables[i].routes;
		uintptr_t end = first +
		    metrics_tables[i].n * sizeof(struct route);

		if (address >= first && address < end)
			return offset + (address - first) / sizeof(struct route);
		offset += metrics_tables[i].n;
	}
	return metrics_nroutes;
}

void
metrics_request(const struct route *route, int status, uint64_t duration_us)
{
	struct metrics_route_slot	*slot;
	size_t				 status_slot, bucket;

	if (metrics == NULL)
		return;
	slot = &metrics->routes[metrics_route_index(route)];

	if (status >= METRICS_STATUS_MIN && status <= METRICS_STATUS_MAX)
		status_slot = (size_t)(status - METRICS_STATUS_MIN);
	else
		status_slot = METRICS_STATUS_SLOTS - 1;
	metrics_add(&slot->status[status_slot], 1);

	for (bucket = 0; bucket < METRICS_NBUCKETS; bucket++)
		if (duration_us <= metrics_bucket_us[bucket])
			break;
	metrics_add(&slot->buckets[bucket], 1);
	metrics_add(&slot->duration_us_sum, duration_us);
}

void
metrics_rate_limited(void)
{
	if (metrics != NULL)
		metrics_add(&metrics->rate_limited, 1);
}

/* The index of "reason" in "reasons", or that of the last, "other". */
static size_t
metrics_reason_index(const char *const *reasons, size_t n, const char *reason)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (strcmp(reasons[i], reason) == 0)
			return i;
	return n - 1;
}

void
metrics_auth_failure(const char *reason)
{
	size_t i;

	if (metrics == NULL || reason == NULL)
		return;
	i = metrics_reason_index(metrics_mfa_reasons, METRICS_NMFA_REASONS,
	    reason);
	if (i + 1 < METRICS_NMFA_REASONS) {
		metrics_add(&metrics->mfa_failures[i], 1);
		return;
	}
	i = metrics_reason_index(metrics_login_reasons, METRICS_NLOGIN_REASONS,
	    reason);
	metrics_add(&metrics->login_failures[i], 1);
}

void
metrics_lockout(void)
{
	if (metrics != NULL)
		metrics_add(&metrics->lockouts, 1);
}

void
metrics_db_error(enum metrics_db_error kind)
{
	if (metrics != NULL && kind < METRICS_DB__COUNT)
		metrics_add(&metrics->db_errors[kind], 1);
}

void
metrics_db_reconnect(void)
{
	if (metrics != NULL)
		metrics_add(&metrics->db_reconnects, 1);
}

void
metrics_worker_restart(void)
{
	if (metrics != NULL)
		metrics_add(&metrics->worker_restarts, 1);
}

void
metrics_sentry_failure(enum metrics_sentry_failure kind)
{
	if (metrics != NULL && kind < METRICS_SENTRY__COUNT)
		metrics_add(&metrics->sentry_failures[kind], 1);
}

static void
metrics_write_head(FILE *out, const char *name, const char *type,
    const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_write_counter(FILE *out, const char *name, const char *help,
    _Atomic uint64_t *counter)
{
	metrics_write_head(out, name, "counter", help);
	fprintf(out, "%s %" PRIu64 "\n", name, metrics_load(counter));
}

/* A counter family with one label, one series per entry of "values". */
static void
metrics_write_labelled(FILE *out, const char *name, const char *help,
    const char *label, const char *const *values, _Atomic uint64_t *counters,
    size_t n)
{
	size_t i;

	metrics_write_head(out, name, "counter", help);
	for (i = 0; i < n; i++)
		fprintf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label,
		    values[i], metrics_load(&counters[i]));
}

/* The labels of route slot "index": method and route, or route alone. */
static void
metrics_route_labels(size_t index, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < metrics_ntables; i++) {
		if (index < metrics_tables[i].n) {
			const struct route *r = &metrics_tables[i].routes[index];

			snprintf(buf, len, "method=\"%s\",route=\"%s\"",
			    r->method, r->path);
			return;
		}
		index -= metrics_tables[i].n;
	}
	snprintf(buf, len, "route=\"%s\"", METRICS_UNMATCHED_ROUTE);
}

static uint64_t
metrics_slot_requests(struct metrics_route_slot *slot)
{
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i <= METRICS_NBUCKETS; i++)
		n += metrics_load(&slot->buckets[i]);
	return n;
}

static void
metrics_write_requests(FILE *out)
{
	char	 labels[256];
	size_t	 i, s;

	metrics_write_head(out, "sscn_http_requests_total", "counter",
	    "Requests that sscnd answered, by the route table's method and "
	    "template and by response status.");
	for (i = 0; i <= metrics_nroutes; i++) {
		struct metrics_route_slot *slot = &metrics->routes[i];

		metrics_route_labels(i, labels, sizeof(labels));
		for (s = 0; s < METRICS_STATUS_SLOTS; s++) {
			uint64_t n = metrics_load(&slot->status[s]);

			if (n == 0)
				continue;
			if (s == METRICS_STATUS_SLOTS - 1)
				fprintf(out, "sscn_http_requests_total{%s,"
				    "status=\"other\"} %" PRIu64 "\n", labels, n);
			else
				fprintf(out, "sscn_http_requests_total{%s,"
				    "status=\"%zu\"} %" PRIu64 "\n", labels,
				    s + METRICS_STATUS_MIN, n);
		}
	}
}

static void
metrics_write_durations(FILE *out)
{
	char	 labels[256];
	size_t	 i, b;

	metrics_write_head(out, "sscn_http_request_duration_seconds",
	    "histogram", "Time from the start of a request to the end of its "
	    "response in sscnd, by the route table's method and template.");
	for (i = 0; i <= metrics_nroutes; i++) {
		struct metrics_route_slot	*slot = &metrics->routes[i];
		uint64_t			 cumulative = 0, sum_us;

		if (metrics_slot_requests(slot) == 0)
			continue;
		metrics_route_labels(i, labels, sizeof(labels));
		for (b = 0; b <= METRICS_NBUCKETS; b++) {
			cumulative += metrics_load(&slot->buckets[b]);
			fprintf(out, "sscn_http_request_duration_seconds_bucket"
			    "{%s,le=\"%s\"} %" PRIu64 "\n", labels,
			    b < METRICS_NBUCKETS ? metrics_bucket_le[b] : "+Inf",
			    cumulative);
		}
		sum_us = metrics_load(&slot->duration_us_sum);
		fprintf(out, "sscn_http_request_duration_seconds_sum{%s} "
		    "%" PRIu64 ".%06" PRIu64 "\n", labels, sum_us / 1000000,
		    sum_us % 1000000);
		fprintf(out, "sscn_http_request_duration_seconds_count{%s} "
		    "%" PRIu64 "\n", labels, cumulative);
	}
}

void
metrics_write(FILE *out)
{
	if (metrics == NULL)
		return;

	metrics_write_requests(out);
	metrics_write_durations(out);
	metrics_write_counter(out, "sscn_http_rate_limited_requests_total",
	    "Requests that sscnd answered with 429 rate_limited.",
	    &metrics->rate_limited);
	metrics_write_labelled(out, "sscn_auth_login_failures_total",
	    "Failed logins and failed password checks before sensitive "
	    "changes, by audit reason.", "reason", metrics_login_reasons,
	    metrics->login_failures, METRICS_NLOGIN_REASONS);
	metrics_write_labelled(out, "sscn_auth_mfa_failures_total",
	    "Rejected second factors (TOTP or recovery codes), by reason.",
	    "reason", metrics_mfa_reasons, metrics->mfa_failures,
	    METRICS_NMFA_REASONS);
	metrics_write_counter(out, "sscn_auth_lockouts_total",
	    "Accounts locked after lockout_threshold consecutive failures.",
	    &metrics->lockouts);
	metrics_write_labelled(out, "sscn_db_errors_total",
	    "PostgreSQL errors seen by the workers, by kind.", "kind",
	    metrics_db_error_kinds, metrics->db_errors, METRICS_DB__COUNT);
	metrics_write_counter(out, "sscn_db_reconnects_total",
	    "Connections that a worker opened to replace a lost one.",
	    &metrics->db_reconnects);
	metrics_write_counter(out, "sscn_worker_restarts_total",
	    "Workers that exited unasked, so the master started another.",
	    &metrics->worker_restarts);
	metrics_write_labelled(out, "sscn_sentry_send_failures_total",
	    "Error reports that Sentry did not accept, by kind.", "kind",
	    metrics_sentry_kinds, metrics->sentry_failures,
	    METRICS_SENTRY__COUNT);
}
