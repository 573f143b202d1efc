/*
 * ratelimit.h - request limits per client, counted in PostgreSQL.
 *
 * Every request to a route without ROUTE_NO_RATE_LIMIT counts against its
 * client's bucket: the user for a request with a valid access token, else
 * the address nginx passed as REMOTE_ADDR (an IPv6 address by its /64).
 * Routes with a ROUTE_RATE_* flag, none of which authenticates, count
 * against a stricter bucket of the address as well.  The counters live in
 * sscn.rate_buckets, so every worker of every sscnd that uses the
 * database shares them.  The check costs no
 * round trip of its own on authenticated routes: authn.c sends it in the
 * same pipeline as the session check.
 */
#ifndef SSCN_RATELIMIT_H
#define SSCN_RATELIMIT_H

#include "sscn.h"
#include "crypto/pii.h"

/* The client part of a bucket name: "user:" and a UUID, or an address. */
#define RATELIMIT_CLIENT_MAX	(46 + 16)	/* INET6_ADDRSTRLEN + 16 */

/* Buckets counted per request: the client's, and a stricter one. */
#define RATELIMIT_BUCKETS_MAX	2

/* Parameter storage of the rate_limit_hit statements of one request. */
struct ratelimit_step {
	char		 bucket[RATELIMIT_BUCKETS_MAX][PII_INDEX_HEX_SIZE];
	char		 limit[RATELIMIT_BUCKETS_MAX][16];
	char		 window[16];
	char		 hits[RATELIMIT_BUCKETS_MAX][24];
	const char	*params[RATELIMIT_BUCKETS_MAX][4];
	size_t		 n;		/* buckets in use */
	char		 user_id[37];	/* the user counted, or "" */

	/* Served from the worker's lease, without a statement. */
	bool		 leased;
	long		 lease_limit;
	long		 lease_remaining;
	long		 lease_reset;
};

extern const struct db_statement ratelimit_statements[];
extern const size_t ratelimit_nstatements;

/* True when the request's route counts against a limit. */
bool	ratelimit_applies(const struct http_request *);

/*
 * Fill "steps" (RATELIMIT_BUCKETS_MAX of them) with the rate_limit_hit
 * statements of the request.  The first counts the bucket of user
 * "user_id", or of the address when it is NULL.  A route with a
 * ROUTE_RATE_* flag and no user also counts the stricter bucket of the
 * address.  "storage" must outlive the
 * statements.  Returns the number of steps, 0 when the worker's lease
 * covers the request, or -1 with "*err" set (SSCN_ERR_UNAVAILABLE,
 * logged, without keys).  Call ratelimit_take() in every case but -1.
 */
int	ratelimit_steps(struct http_request *, const char *user_id,
	    struct ratelimit_step *storage, struct db_step *steps,
	    enum sscn_err *err);

/*
 * Read the results of the steps that ratelimit_steps() filled ("steps" is
 * not read when there were none): add the
 * RateLimit-* headers of the bucket closest to its limit, and when the
 * request is over a limit add Retry-After, log it and return
 * SSCN_ERR_RATE_LIMITED.  The results stay the caller's.
 */
enum sscn_err ratelimit_take(struct http_request *,
	    const struct ratelimit_step *, const struct db_step *steps)
	    SSCN_WARN_UNUSED;

/*
 * Count the request in a round trip of its own, by user "user_id" when not
 * NULL, else by address: ratelimit_steps() and ratelimit_take() together.
 * For routes that do not authenticate and for requests that fail
 * authentication before reaching the database.
 */
enum sscn_err ratelimit_check(struct http_request *, const char *user_id)
	    SSCN_WARN_UNUSED;

/*
 * Delete the buckets idle for two windows, at most once per window per
 * worker.  The worker calls it after a response is sent.
 */
void	ratelimit_expire(struct worker *);

/*
 * Write the rate-limit client of "addr" into "out": an IPv4 address as it
 * is, an IPv6 address as its /64 prefix ("2001:db8:1:2::/64"), an
 * IPv4-mapped IPv6 address as the IPv4 address.  Anything else is copied
 * unchanged.  In ratelimit_client.c, so the unit tests can link it.
 */
void	ratelimit_client_address(const char *addr, char *out, size_t outlen);

#endif
