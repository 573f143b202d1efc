/*
 * ratelimit.c - request limits per client, counted in PostgreSQL.
 *
 * The rate_limit_hit statement counts a request in sscn.rate_buckets
 * (sql/0015_rate_limits.sql).  This file names the buckets and turns the
 * counts into the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
 * headers of every counted response, and into 429 rate_limited with
 * Retry-After past a limit.
 *
 * A client far below its limit would make every request update the same
 * row, and that row's lock then serializes all of the client's requests
 * on all workers.  So while at least RATELIMIT_LEASE_MIN requests remain,
 * a worker takes up to RATELIMIT_LEASE_MAX hits at once (a lease of at
 * most one hundredth of what remains) and serves the rest of them without
 * the database, within the same window.  Hits leased but not used still
 * count, so a lease can only make the limit stricter, never looser.
 * Below RATELIMIT_LEASE_MIN remaining, every request is counted alone and
 * the limit is exact.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sscn.h"
#include "ratelimit.h"

#define RATELIMIT_LEASE_MIN	500
#define RATELIMIT_LEASE_MAX	32
/* Leases a worker keeps, for its most recent clients. */
#define RATELIMIT_LEASES	16

/* Hits that a worker took ahead for one bucket. */
struct ratelimit_lease {
	char		 bucket[PII_INDEX_HEX_SIZE];
	long		 left;		/* hits still to serve */
	long		 limit;
	long		 remaining;	/* under the limit, after the lease */
	uint64_t	 window_end_us;	/* now_us() when the window ends */
};

/* Per worker process: workers are forked, so each has its own. */
static struct ratelimit_lease ratelimit_leases[RATELIMIT_LEASES];

/*
 * The new counts of a bucket row "r" at the time in "c", for a request
 * that requests $4 hits.  The window moves on when c.win is past
 * r.window_start.  The request takes $4 hits when they fit under the
 * limit ($2 per $3 seconds), else 1 when that fits, else none.
 */
#define RATELIMIT_NEW_COUNTS \
	"(current_hits, previous_hits, window_start, granted) = (" \
	"  SELECT v.cur + v.g, v.prev, c.win, v.g " \
	"  FROM clock c, LATERAL (" \
	"    SELECT w.cur, w.prev, CASE " \
	"      WHEN w.estimate + $4::int <= $2::int THEN $4::int " \
	"      WHEN w.estimate + 1 <= $2::int THEN 1 ELSE 0 END AS g " \
	"    FROM (SELECT p.cur, p.prev, " \
	"      p.prev * (1 - (c.now_s - c.win) / $3::int) + p.cur AS estimate " \
	"      FROM (SELECT " \
	"        CASE WHEN r.window_start = c.win THEN r.current_hits " \
	"          ELSE 0 END AS cur, " \
	"        CASE WHEN r.window_start = c.win THEN r.previous_hits " \
	"          WHEN r.window_start = c.win - $3::int THEN r.current_hits " \
	"          ELSE 0 END AS prev) p) w) v) "

const struct db_statement ratelimit_statements[] = {
	/*
	 * Count a request, asking for $4 hits, against bucket $1.  UPDATE
	 * first, because the row nearly always exists; the INSERT runs only
	 * when it does not, and its ON CONFLICT covers a concurrent first
	 * request.  Returns the counts after the request, the hits it took
	 * and the clock they were taken at.
	 */
	{ "rate_limit_hit",
	  "WITH clock AS ("
	  "  SELECT s.now_s, floor(s.now_s / $3::int)::bigint * $3::int AS win"
	  "  FROM (SELECT extract(epoch FROM now())::float8 AS now_s) s), "
	  "hit AS ("
	  "  UPDATE sscn.rate_buckets r SET " RATELIMIT_NEW_COUNTS
	  "  WHERE r.bucket = $1::bytea"
	  "  RETURNING r.current_hits, r.previous_hits, r.granted), "
	  "fresh AS ("
	  "  INSERT INTO sscn.rate_buckets AS r (bucket, window_start, "
	  "    current_hits, previous_hits, granted)"
	  "  SELECT $1::bytea, c.win, g.n, 0, g.n FROM clock c, LATERAL ("
	  "    SELECT CASE WHEN $4::int <= $2::int THEN $4::int"
	  "      WHEN 1 <= $2::int THEN 1 ELSE 0 END AS n) g"
	  "  WHERE NOT EXISTS (SELECT 1 FROM hit)"
	  "  ON CONFLICT (bucket) DO UPDATE SET " RATELIMIT_NEW_COUNTS
	  "  RETURNING r.current_hits, r.previous_hits, r.granted) "
	  "SELECT h.current_hits, h.previous_hits, h.granted, c.now_s, c.win "
	  "FROM (SELECT * FROM hit UNION ALL SELECT * FROM fresh) h, clock c",
	  4, false },
	/* Forget buckets idle for two windows. */
	{ "rate_limit_expire",
	  "DELETE FROM sscn.rate_buckets WHERE window_start < "
	  "floor(extract(epoch FROM now()) / $1::int)::bigint * $1::int "
	  "- $1::int",
	  1, false },
};

const size_t ratelimit_nstatements =
    sizeof(ratelimit_statements) / sizeof(ratelimit_statements[0]);

bool
ratelimit_applies(const struct http_request *req)
{
	return req->worker->conf->rate_limit > 0 && req->match.route != NULL &&
	    !(req->match.route->flags & ROUTE_NO_RATE_LIMIT);
}

/* The stricter class of the route, with its limit; NULL when none. */
static const char *
ratelimit_route_class(const struct http_request *req, unsigned *limit)
{
	const struct sscn_conf	*conf = req->worker->conf;
	unsigned		 flags = req->match.route->flags;

	if (flags & ROUTE_RATE_LOGIN) {
		*limit = conf->rate_limit_login;
		return "login";
	}
	if (flags & ROUTE_RATE_MFA) {
		*limit = conf->rate_limit_mfa;
		return "mfa";
	}
	if (flags & ROUTE_RATE_REGISTER) {
		*limit = conf->rate_limit_register;
		return "register";
	}
	if (flags & ROUTE_RATE_PASSWORD_RESET) {
		*limit = conf->rate_limit_password_reset;
		return "password_reset";
	}
	return NULL;
}

/*
 * Name bucket "class" of "client" by HMAC under the blind index key, so the
 * table never contains an address or a user id.
 */
static int
ratelimit_bucket(const struct http_request *req, const char *class,
    const char *client, char out[PII_INDEX_HEX_SIZE])
{
	char label[32];

	snprintf(label, sizeof(label), "rate:%s:", class);
	return pii_blind_index(req->worker->keys, label, client, out,
	    PII_INDEX_HEX_SIZE);
}

/* The lease of "bucket", or NULL. */
static struct ratelimit_lease *
ratelimit_lease_find(const char *bucket)
{
	size_t i;

	for (i = 0; i < RATELIMIT_LEASES; i++)
		if (strcmp(ratelimit_leases[i].bucket, bucket) == 0)
			return &ratelimit_leases[i];
	return NULL;
}

/*
 * Serve the request from the worker's lease of the bucket when it has hits
 * left in the current window; fill the headers' figures into "st".
 */
static bool
ratelimit_lease_use(struct ratelimit_step *st)
{
	struct ratelimit_lease	*lease = ratelimit_lease_find(st->bucket[0]);
	uint64_t		 now = now_us();

	if (lease == NULL || lease->left <= 0 || now >= lease->window_end_us)
		return false;
	lease->left--;
	st->leased = true;
	st->lease_limit = lease->limit;
	st->lease_remaining = lease->remaining + lease->left;
	st->lease_reset = (long)((lease->window_end_us - now + 999999) /
	    1000000);
	return true;
}

/*
 * Hits to ask for: one, unless the last count of the bucket in this worker
 * left at least RATELIMIT_LEASE_MIN, and then a hundredth of what was left,
 * at most RATELIMIT_LEASE_MAX.
 */
static long
ratelimit_lease_size(const char *bucket)
{
	const struct ratelimit_lease	*lease = ratelimit_lease_find(bucket);
	long				 hits;

	if (lease == NULL || lease->remaining < RATELIMIT_LEASE_MIN ||
	    now_us() >= lease->window_end_us)
		return 1;
	hits = lease->remaining / 100;
	return hits > RATELIMIT_LEASE_MAX ? RATELIMIT_LEASE_MAX : hits;
}

/* Remember what a count of "bucket" returned, replacing the oldest entry. */
static void
ratelimit_lease_store(const char *bucket, long left, long limit,
    long remaining, uint64_t window_end_us)
{
	struct ratelimit_lease	*lease = ratelimit_lease_find(bucket);
	size_t			 i;

	if (lease == NULL) {
		lease = &ratelimit_leases[0];
		for (i = 1; i < RATELIMIT_LEASES; i++)
			if (ratelimit_leases[i].window_end_us <
			    lease->window_end_us)
				lease = &ratelimit_leases[i];
		snprintf(lease->bucket, sizeof(lease->bucket), "%s", bucket);
	}
	lease->left = left;
	lease->limit = limit;
	lease->remaining = remaining;
	lease->window_end_us = window_end_us;
}

int
ratelimit_steps(struct http_request *req, const char *user_id,
    struct ratelimit_step *st, struct db_step *steps, enum sscn_err *err)
{
	const struct sscn_conf	*conf = req->worker->conf;
	char			 address[RATELIMIT_CLIENT_MAX];
	char			 client[RATELIMIT_CLIENT_MAX + 16];
	const char		*class = NULL;
	unsigned		 limit = 0;
	size_t			 i;

	memset(st, 0, sizeof(*st));
	if (req->worker->keys == NULL) {
		log_error(req->request_id, "rate_limit_unavailable",
		    "reason=\"no key file loaded\"");
		*err = SSCN_ERR_UNAVAILABLE;
		return -1;
	}
	ratelimit_client_address(req->remote_addr, address, sizeof(address));
	snprintf(st->user_id, sizeof(st->user_id), "%s",
	    user_id != NULL ? user_id : "");
	if (user_id != NULL)
		snprintf(client, sizeof(client), "user:%s", user_id);
	else
		snprintf(client, sizeof(client), "address:%s", address);

	if (ratelimit_bucket(req, "all", client, st->bucket[0]) == -1) {
		*err = SSCN_ERR_INTERNAL;
		return -1;
	}
	snprintf(st->limit[0], sizeof(st->limit[0]), "%u", conf->rate_limit);
	st->n = 1;

	/* The stricter buckets count by address, on routes without a user. */
	if (user_id == NULL)
		class = ratelimit_route_class(req, &limit);
	if (class != NULL) {
		if (ratelimit_bucket(req, class, address, st->bucket[1]) ==
		    -1) {
			*err = SSCN_ERR_INTERNAL;
			return -1;
		}
		snprintf(st->limit[1], sizeof(st->limit[1]), "%u", limit);
		st->n = 2;
	}

	/* Leases cover requests that count against one bucket only. */
	if (st->n == 1 && ratelimit_lease_use(st))
		return 0;

	snprintf(st->window, sizeof(st->window), "%u", conf->rate_limit_window);
	for (i = 0; i < st->n; i++) {
		snprintf(st->hits[i], sizeof(st->hits[i]), "%ld", st->n == 1 ?
		    ratelimit_lease_size(st->bucket[i]) : 1L);
		st->params[i][0] = st->bucket[i];
		st->params[i][1] = st->limit[i];
		st->params[i][2] = st->window;
		st->params[i][3] = st->hits[i];
		steps[i] = (struct db_step){ .name = "rate_limit_hit",
		    .nparams = 4, .params = st->params[i] };
	}
	return (int)st->n;
}

/* The RateLimit-* figures of one rate_limit_hit row. */
struct ratelimit_state {
	bool	 rejected;
	long	 granted;	/* hits the request took */
	long	 limit;
	long	 remaining;	/* requests left under the limit */
	long	 reset;		/* seconds until the current window ends */
	long	 retry_after;	/* seconds until a request would pass */
};

/*
 * Turn the counts of a bucket with limit "limit" into its state.  The
 * estimate of the last window's requests is prev * weight + cur, weight
 * being the share of the previous window still inside the last window.
 */
static int
ratelimit_state(const PGresult *res, long limit, long window,
    struct ratelimit_state *state)
{
	double	 cur, prev, now_s, win, elapsed, estimate, wait;

	if (PQntuples(res) != 1 || PQnfields(res) != 5)
		return -1;
	cur = strtod(PQgetvalue(res, 0, 0), NULL);
	prev = strtod(PQgetvalue(res, 0, 1), NULL);
	state->granted = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	now_s = strtod(PQgetvalue(res, 0, 3), NULL);
	win = strtod(PQgetvalue(res, 0, 4), NULL);
	elapsed = now_s - win;
	estimate = prev * (1 - elapsed / (double)window) + cur;

	state->rejected = state->granted == 0;
	state->limit = limit;
	state->remaining = estimate >= (double)limit ? 0 :
	    (long)floor((double)limit - estimate);
	state->reset = (long)ceil((double)window - elapsed);
	if (state->reset < 1)
		state->reset = 1;
	state->retry_after = 0;
	if (!state->rejected)
		return 0;

	/*
	 * Seconds until prev * weight + cur + 1 <= limit: later in this
	 * window when its own hits leave room, else in the next one, where
	 * this window's hits become the previous ones.
	 */
	if (cur + 1 <= (double)limit && prev > 0)
		wait = (double)window * (1 - ((double)limit - cur - 1) / prev) -
		    elapsed;
	else
		wait = ((double)window - elapsed) + (double)window *
		    fmax(0, 1 - ((double)limit - 1) / fmax(cur, 1));
	state->retry_after = (long)ceil(wait);
	if (state->retry_after < 1)
		state->retry_after = 1;
	return 0;
}

/* Add the RateLimit-* headers; on a rejection also Retry-After and a log. */
static enum sscn_err
ratelimit_respond(struct http_request *req, const struct ratelimit_step *st,
    const struct ratelimit_state *reported)
{
	http_add_headerf(req, "RateLimit-Limit: %ld", reported->limit);
	http_add_headerf(req, "RateLimit-Remaining: %ld", reported->remaining);
	http_add_headerf(req, "RateLimit-Reset: %ld", reported->reset);
	if (!reported->rejected)
		return SSCN_OK;

	http_add_headerf(req, "Retry-After: %ld", reported->retry_after);
	log_info(req->request_id, "rate_limited", "route=\"%s %s\" "
	    "client=%s user_id=%s limit=%ld retry_after=%ld",
	    req->match.route->method, req->match.route->path,
	    st->user_id[0] != '\0' ? "user" : "address",
	    st->user_id[0] != '\0' ? st->user_id : "-", reported->limit,
	    reported->retry_after);
	return SSCN_ERR_RATE_LIMITED;
}

enum sscn_err
ratelimit_take(struct http_request *req, const struct ratelimit_step *st,
    const struct db_step *steps)
{
	struct ratelimit_state	 reported, state;
	long			 window = strtol(st->window, NULL, 10);
	long			 retry_after = 0;
	size_t			 i;

	memset(&reported, 0, sizeof(reported));
	if (st->leased) {
		reported.limit = st->lease_limit;
		reported.remaining = st->lease_remaining;
		reported.reset = st->lease_reset;
		return ratelimit_respond(req, st, &reported);
	}

	for (i = 0; i < st->n; i++) {
		if (ratelimit_state(steps[i].res, strtol(st->limit[i], NULL, 10),
		    window, &state) == -1) {
			log_error(req->request_id, "rate_limit_failed",
			    "reason=\"unexpected result shape\"");
			return SSCN_ERR_INTERNAL;
		}
		if (state.retry_after > retry_after)
			retry_after = state.retry_after;

		/* Show a rejecting bucket first, else the one with least room. */
		if (i == 0 || (state.rejected && !reported.rejected) ||
		    (state.rejected == reported.rejected &&
		    state.remaining < reported.remaining))
			reported = state;
	}
	reported.retry_after = retry_after;

	/* Keep the hits taken ahead, and what remains, for the next requests. */
	if (st->n == 1) {
		ratelimit_lease_store(st->bucket[0], reported.granted > 1 ?
		    reported.granted - 1 : 0, reported.limit, reported.remaining,
		    now_us() + (uint64_t)reported.reset * 1000000);
		reported.remaining += reported.granted > 1 ? reported.granted - 1 : 0;
	}
	return ratelimit_respond(req, st, &reported);
}

enum sscn_err
ratelimit_check(struct http_request *req, const char *user_id)
{
	struct ratelimit_step	 st;
	struct db_step		 steps[RATELIMIT_BUCKETS_MAX];
	enum sscn_err		 err;
	size_t			 i;
	int			 n;

	if ((n = ratelimit_steps(req, user_id, &st, steps, &err)) == -1)
		return err;
	if (n > 0) {
		err = db_pipeline(&req->worker->db, req->request_id, steps,
		    (size_t)n);
		if (err != SSCN_OK)
			return err;
	}
	err = ratelimit_take(req, &st, steps);
	for (i = 0; i < (size_t)n; i++)
		PQclear(steps[i].res);
	return err;
}

void
ratelimit_expire(struct worker *w)
{
	const struct sscn_conf	*conf = w->conf;
	char			 window[16];
	const char		*params[1] = { window };
	uint64_t		 now = now_us();
	PGresult		*res = NULL;

	if (w->rate_expired_us == 0)
		w->rate_expired_us = now;
	if (conf->rate_limit == 0 || now - w->rate_expired_us <
	    (uint64_t)conf->rate_limit_window * 1000000)
		return;
	w->rate_expired_us = now;
	snprintf(window, sizeof(window), "%u", conf->rate_limit_window);
	if (db_exec(&w->db, NULL, "rate_limit_expire", 1, params, &res) ==
	    SSCN_OK)
		PQclear(res);
}
