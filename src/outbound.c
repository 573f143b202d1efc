/*
 * outbound.c - HTTPS requests to other servers over libcurl (contract in
 * outbound.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "sscn.h"
#include "outbound.h"

static const struct sscn_conf	*outbound_conf;
static bool			 outbound_curl_ready;

/* The state of one call that the libcurl callbacks write into. */
struct outbound_state {
	const struct outbound_request	*req;
	struct outbound_response	*res;
	size_t				 max;
	size_t				 cap;
	bool				 too_large;
};

void
outbound_init(const struct sscn_conf *conf)
{
	outbound_conf = conf;
}

/*
 * Start libcurl on the first call rather than in outbound_init(), so that
 * a worker that never calls out keeps libcurl's TLS state out of its
 * memory.  Workers are single-threaded, which curl_global_init() needs.
 */
static bool
outbound_curl_start(void)
{
	if (!outbound_curl_ready)
		outbound_curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) ==
		    CURLE_OK;
	return outbound_curl_ready;
}

void
outbound_cleanup(void)
{
	if (outbound_curl_ready)
		curl_global_cleanup();
	outbound_curl_ready = false;
	outbound_conf = NULL;
}

const char *
outbound_status_str(enum outbound_status status)
{
	switch (status) {
	case OUTBOUND_OK:		return "ok";
	case OUTBOUND_TIMEOUT:		return "timed out";
	case OUTBOUND_CONNECT:		return "connection failed";
	case OUTBOUND_TLS:		return "TLS failed";
	case OUTBOUND_TOO_LARGE:	return "response too large";
	case OUTBOUND_ERROR:		return "failed";
	}
	return "failed";
}

void
outbound_response_free(struct outbound_response *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

/* Append a chunk of the body, refusing to grow past the limit. */
static size_t
outbound_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct outbound_state	*st = arg;
	struct outbound_response *res = st->res;
	size_t			 len = size * nmemb;

	if (len > st->max - res->body_len) {
		st->too_large = true;
		return 0;
	}
	if (res->body_len + len + 1 > st->cap) {
		size_t	 cap = st->cap == 0 ? 4096 : st->cap;
		char	*body;

		while (cap < res->body_len + len + 1)
			cap *= 2;
		if ((body = realloc(res->body, cap)) == NULL)
			return 0;
		res->body = body;
		st->cap = cap;
	}
	memcpy(res->body + res->body_len, data, len);
	res->body_len += len;
	res->body[res->body_len] = '\0';
	return len;
}

/* Keep the values of the headers the caller asked for. */
static size_t
outbound_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct outbound_state	*st = arg;
	const char *const	*want = st->req->want_headers;
	size_t			 len = size * nmemb, i, n;

	if (want == NULL)
		return len;

	/* A new status line (after 100 Continue) starts a new header set. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		for (i = 0; i < OUTBOUND_MAX_WANTED; i++)
			st->res->headers[i][0] = '\0';
		return len;
	}

	for (i = 0; i < OUTBOUND_MAX_WANTED && want[i] != NULL; i++) {
		const char	*value;
		size_t		 name_len = strlen(want[i]);

		if (len <= name_len || data[name_len] != ':' ||
		    strncasecmp(data, want[i], name_len) != 0)
			continue;
		value = data + name_len + 1;
		n = len - name_len - 1;
		while (n > 0 && (*value == ' ' || *value == '\t')) {
			value++;
			n--;
		}
		while (n > 0 && (value[n - 1] == '\r' || value[n - 1] == '\n' ||
		    value[n - 1] == ' '))
			n--;
		if (n >= OUTBOUND_HEADER_MAX)
			n = OUTBOUND_HEADER_MAX - 1;
		memcpy(st->res->headers[i], value, n);
		st->res->headers[i][n] = '\0';
	}
	return len;
}

static enum outbound_status
outbound_classify(CURLcode rc, const struct outbound_state *st)
{
	switch (rc) {
	case CURLE_OK:
		return OUTBOUND_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return OUTBOUND_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return OUTBOUND_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return OUTBOUND_TLS;
	case CURLE_WRITE_ERROR:
		return st->too_large ? OUTBOUND_TOO_LARGE : OUTBOUND_ERROR;
	default:
		return OUTBOUND_ERROR;
	}
}

/* The host of "url" for the log line, or "-". */
static void
outbound_host(const char *url, char *host, size_t hostlen)
{
	CURLU	*u = curl_url();
	char	*part = NULL;

	snprintf(host, hostlen, "-");
	if (u == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK)
		snprintf(host, hostlen, "%s", part);
	curl_free(part);
	curl_url_cleanup(u);
}

/* Set the options that every call shares; false when one is refused. */
static bool
outbound_setup(CURL *curl, const struct outbound_request *req,
    struct outbound_state *st, struct curl_slist *headers)
{
	const struct sscn_conf	*conf = outbound_conf;
	unsigned		 timeout_ms = req->timeout_ms != 0 ?
	    req->timeout_ms : conf->outbound_timeout * 1000;
	bool			 post = strcmp(req->method, "POST") == 0;

	return curl_easy_setopt(curl, CURLOPT_URL, req->url) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") ==
	    CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
	    (conf->outbound_ca_file == NULL ||
	    curl_easy_setopt(curl, CURLOPT_CAINFO, conf->outbound_ca_file) ==
	    CURLE_OK) &&
	    curl_easy_setopt(curl, CURLOPT_PROXY, conf->outbound_proxy != NULL ?
	    conf->outbound_proxy : "") == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)conf->outbound_connect_timeout * 1000) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms) ==
	    CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, "SSCN/" PACKAGE_VERSION) ==
	    CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, outbound_write) ==
	    CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, st) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, outbound_header) ==
	    CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_HEADERDATA, st) == CURLE_OK &&
	    (!post || (curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)req->body_len) == CURLE_OK &&
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
	    req->body != NULL ? req->body : "") == CURLE_OK));
}

enum outbound_status
outbound_call(const struct outbound_request *req,
    struct outbound_response *res, const char *request_id)
{
	struct outbound_state	 st = { .req = req, .res = res };
	struct curl_slist	*headers = NULL, *next;
	enum outbound_status	 status = OUTBOUND_ERROR;
	CURL			*curl;
	CURLcode		 rc = CURLE_FAILED_INIT;
	curl_off_t		 total_us = 0;
	const char		*path;
	char			 host[256];
	size_t			 i;

	memset(res, 0, sizeof(*res));
	if (outbound_conf == NULL || !outbound_curl_start() ||
	    req->url == NULL || req->method == NULL ||
	    (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "POST") != 0))
		goto log;
	st.max = outbound_conf->outbound_max_response;

	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((next = curl_slist_append(headers, req->headers[i])) ==
		    NULL)
			goto log;
		headers = next;
	}
	/* libcurl would otherwise send "Expect: 100-continue" on large POSTs. */
	if ((next = curl_slist_append(headers, "Expect:")) == NULL)
		goto log;
	headers = next;

	if ((curl = curl_easy_init()) == NULL)
		goto log;
	if (outbound_setup(curl, req, &st, headers))
		rc = curl_easy_perform(curl);
	else
		rc = CURLE_BAD_FUNCTION_ARGUMENT;
	status = outbound_classify(rc, &st);
	if (status == OUTBOUND_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us);
	curl_easy_cleanup(curl);

log:
	curl_slist_free_all(headers);
	res->duration_ms = (unsigned)(total_us / 1000);
	if (status != OUTBOUND_OK)
		outbound_response_free(res);
	else if (res->body == NULL && (res->body = strdup("")) == NULL)
		status = OUTBOUND_ERROR;

	path = req->path_template != NULL ? req->path_template : "-";
	outbound_host(req->url != NULL ? req->url : "", host, sizeof(host));
	if (status == OUTBOUND_OK)
		log_info(request_id, "outbound_call", "host=%s path=%s "
		    "method=%s status=%ld duration_ms=%u bytes=%zu", host,
		    path, req->method, res->status,
		    res->duration_ms, res->body_len);
	else
		log_warn(request_id, "outbound_call_failed", "host=%s path=%s "
		    "method=%s result=\"%s\" curl=\"%s\" duration_ms=%u", host,
		    path, req->method,
		    outbound_status_str(status), curl_easy_strerror(rc),
		    res->duration_ms);
	return status;
}
