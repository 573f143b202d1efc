/*
 * fuzz_request.h - serve one FastCGI request from memory, for the
 * harnesses that fuzz sscnd's request handling end to end.
 *
 * The request goes through http_serve() as a worker serves it, with an
 * in-memory FCGX_Request in place of the socket: the parameters and the
 * body come from the fuzzer, the response is written and discarded.  The
 * worker's database is a unix socket path that does not exist, so every
 * handler that reaches PostgreSQL gets SSCN_ERR_UNAVAILABLE and answers
 * 503; all parsing before that point runs.
 */
#ifndef SSCN_FUZZ_REQUEST_H
#define SSCN_FUZZ_REQUEST_H

#include <stddef.h>

/* Maximum number of FastCGI parameters of one request. */
#define FUZZ_MAX_PARAMS	64

/*
 * Serve one request: "params" is a NULL-terminated "NAME=value" array,
 * "body" the "body_len" bytes of its standard input.  The first call
 * prepares the worker: defaults from conf_defaults(), a database that is
 * never reachable, the rate limiter off, the test routes on and a key
 * file of one HS256 JWT key, field and index keys.  Logging goes to
 * standard error at the error level.
 */
void	fuzz_serve(char **params, const unsigned char *body, size_t body_len);

/*
 * The FastCGI parameter "HTTP_AUTHORIZATION=Bearer TOKEN" of an access
 * token that authn_verify_token() accepts: HS256 with the harness key,
 * issued at the first call and valid for ten years.  Its session
 * does not exist, and the database that would confirm it is never
 * reachable, so authn_require() still returns SSCN_ERR_UNAVAILABLE (503).  The string is
 * static and must not be changed.
 */
char	*fuzz_authorization_param(void);

#endif /* SSCN_FUZZ_REQUEST_H */
