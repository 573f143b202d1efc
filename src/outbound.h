/*
 * outbound.h - the one way SSCN makes HTTP requests to other servers
 * (the OpenID provider, Sentry), over libcurl.
 *
 * Every call has a connect and a total timeout and speaks HTTPS only.  It
 * verifies the server's certificate and name, with the CA bundle of
 * "outbound_ca_file" when that is set.  It follows no redirect, sends the
 * user agent "SSCN/VERSION", goes through "outbound_proxy" when that is
 * set, and stops reading a response past "outbound_max_response" bytes.  Each call logs
 * one line with the host, the path template given by the caller (never the
 * real path or query, which may carry codes), the status and the duration.
 *
 * Callers pass URLs from the configuration or from a provider's signed
 * metadata, never from a request: nothing here checks where a URL points.
 */
#ifndef SSCN_OUTBOUND_H
#define SSCN_OUTBOUND_H

#include <stddef.h>

struct sscn_conf;

/* Headers of a response that a caller can ask for. */
#define OUTBOUND_MAX_WANTED	4
#define OUTBOUND_HEADER_MAX	256	/* bytes of a kept header value */

struct outbound_request {
	const char		*method;	/* "GET" or "POST" */
	const char		*url;		/* https:// only */
	const char		*path_template;	/* for the log line */
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const char		*body;		/* POST body, may be NULL */
	size_t			 body_len;
	unsigned		 timeout_ms;	/* 0: outbound_timeout */
	/* Response headers to keep, by case-insensitive name, NULL-ended. */
	const char *const	*want_headers;
};

struct outbound_response {
	long	 status;		/* HTTP status, 0 when none came */
	char	*body;			/* NUL-terminated, caller frees */
	size_t	 body_len;
	/* Values of want_headers[i], "" when absent. */
	char	 headers[OUTBOUND_MAX_WANTED][OUTBOUND_HEADER_MAX];
	unsigned duration_ms;
};

enum outbound_status {
	OUTBOUND_OK = 0,	/* a response came, of any status */
	OUTBOUND_TIMEOUT,	/* connect or total timeout */
	OUTBOUND_CONNECT,	/* name lookup or connection failed */
	OUTBOUND_TLS,		/* handshake or certificate check failed */
	OUTBOUND_TOO_LARGE,	/* response over outbound_max_response */
	OUTBOUND_ERROR		/* bad arguments, out of memory, other */
};

/*
 * Keep the settings of "conf", which must outlive every call.  libcurl
 * starts on the first call, so a process must not start threads before it.
 */
void	outbound_init(const struct sscn_conf *conf);

/* Release libcurl; no call may follow until outbound_init(). */
void	outbound_cleanup(void);

/*
 * Make one request and wait for its response or its timeout.  On
 * OUTBOUND_OK "res" has the status and the body; otherwise its body is
 * NULL.  "request_id" names the request in the log line (may be NULL).
 */
enum outbound_status outbound_call(const struct outbound_request *req,
	    struct outbound_response *res, const char *request_id);

/* Free the body of "res"; "res" may be passed again. */
void	outbound_response_free(struct outbound_response *res);

/* A short lower-case description of "status" for logs and errors. */
const char *outbound_status_str(enum outbound_status status);

#endif /* SSCN_OUTBOUND_H */
