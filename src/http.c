/*
 * http.c - one FastCGI request from parameters to access log line.
 *
 * The front line: method and path are routed, and the body's length, size
 * and type are checked, before any handler or database work runs.  JSON
 * bodies are parsed by json_parse_strict() and must be objects.
 *
 * Error handling: everything a client gets on failure is the contract's
 * error body with a fixed sentence; causes are logged with the request id,
 * never returned.  The request body may hold passwords, so it is wiped
 * before it is freed, and no FastCGI parameter set or header is logged
 * wholesale (nginx passes Authorization and Cookie as parameters).
 *
 * Responses are formatted with snprintf and written with FCGX_PutStr:
 * libfcgi's FCGX_FPrintF does not know every C99 conversion ("%zu" writes
 * nothing), which would corrupt a response silently.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sscn.h"
#include "idempotency.h"
#include "ratelimit.h"
#include "metrics.h"
#include "sentry.h"

/* Bodies larger than this are followed by malloc_trim(3). */
#define HTTP_TRIM_AFTER (256 * 1024)

/* Response head: status line, four fixed headers and the extra ones. */
#define HTTP_HEAD_MAX (HTTP_HEADER_BUF + 1024)

const struct route http_test_routes[] = {
	{ "POST", "/api/v1/echo", test_echo,
	    ROUTE_BODY_JSON | ROUTE_NO_RATE_LIMIT },
	{ "POST", "/api/v1/test/fail/{kind}", test_fail,
	    ROUTE_BODY_ANY | ROUTE_NO_RATE_LIMIT },
};
const size_t http_ntest_routes =
    sizeof(http_test_routes) / sizeof(http_test_routes[0]);

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *
http_param(const struct http_request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

void
http_add_header(struct http_request *req, const char *header)
{
	if (req->nheaders == HTTP_MAX_HEADERS) {
		log_error(req->request_id, "response_header_dropped",
		    "reason=\"more than %d extra headers\"", HTTP_MAX_HEADERS);
		return;
	}
	req->headers[req->nheaders++] = header;
}

int
http_add_headerf(struct http_request *req, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 room = sizeof(req->header_buf) - req->header_buf_used;
	char	*dst = req->header_buf + req->header_buf_used;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		log_error(req->request_id, "response_header_dropped",
		    "reason=\"header buffer full\"");
		return -1;
	}
	req->header_buf_used += (size_t)n + 1;
	http_add_header(req, dst);
	return 0;
}

bool
http_cookie(const struct http_request *req, const char *name, char *out,
    size_t outlen)
{
	const char	*p = http_param(req, "HTTP_COOKIE");
	size_t		 namelen = strlen(name);

	/* RFC 6265: cookie-pair *( ";" SP cookie-pair ), first match wins. */
	while (p != NULL && *p != '\0') {
		const char	*end;
		size_t		 len;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > namelen && strncmp(p, name, namelen) == 0 &&
		    p[namelen] == '=') {
			len -= namelen + 1;
			if (len + 1 > outlen)
				return false;
			memcpy(out, p + namelen + 1, len);
			out[len] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

enum sscn_err
api_db(struct http_request *req, const char *name, int nparams,
    const char *const *params, struct pg_result **result)
{
	return db_run(&req->worker->db, req->request_id, name, nparams, params,
	    result);
}

enum sscn_err
api_validation_failed(struct http_request *req, struct json_object *fields)
{
	http_send_error(req, 400, "validation_failed", "The request is "
	    "invalid; see fields for each problem.", fields);
	return SSCN_ERR_VALIDATION;
}

enum sscn_err
api_validation_check(struct http_request *req, struct json_object *fields)
{
	if (json_object_object_length(fields) > 0)
		return api_validation_failed(req, fields);
	json_object_put(fields);
	return SSCN_OK;
}

enum sscn_err
api_rollback(struct http_request *req, enum sscn_err err)
{
	db_rollback(&req->worker->db, req->request_id);
	return err;
}

enum sscn_err
api_commit_send(struct http_request *req, int status,
    struct json_object *body)
{
	enum sscn_err err;

	if ((err = db_commit(&req->worker->db, req->request_id)) != SSCN_OK)
		db_rollback(&req->worker->db, req->request_id);
	else
		http_send_json(req, status, body);
	json_object_put(body);
	return err;
}

struct json_object *
api_json_text(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return json_object_new_string(PQgetvalue(res, row, col));
}

void
api_json_columns(struct json_object *obj, const PGresult *res, int row,
    const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		json_object_object_add(obj, names[i],
		    api_json_text(res, row, i));
}

static bool
http_is_api_v1(const char *path)
{
	return path != NULL && strncmp(path, "/api/v1", 7) == 0 &&
	    (path[7] == '/' || path[7] == '\0');
}

static void
http_write(struct http_request *req, int status, const char *content_type,
    const char *body, size_t body_len)
{
	char	 head[HTTP_HEAD_MAX];
	size_t	 len = 0;
	size_t	 i;
	int	 n;

	if (req->idem.capturing) {
		idem_capture(req, status, content_type, body, body_len);
		return;
	}
	if (req->responded) {
		log_error(req->request_id, "response_repeated", "status=%d",
		    status);
		return;
	}
	req->responded = true;
	req->status = status;
	if (status == 429)
		metrics_rate_limited();

	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "X-Request-ID: %s\r\nCache-Control: no-store\r\n%s",
	    status, http_reason(status), req->request_id,
	    http_is_api_v1(req->path) ? "API-Version: 1\r\n" : "");
	len = (size_t)n;
	if (content_type != NULL) {
		n = snprintf(head + len, sizeof(head) - len,
		    "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    content_type, body_len);
		len += (size_t)n;
	}
	for (i = 0; i < req->nheaders && len < sizeof(head); i++) {
		n = snprintf(head + len, sizeof(head) - len, "%s\r\n",
		    req->headers[i]);
		len += (size_t)n;
	}
	if (len + 2 >= sizeof(head)) {
		log_error(req->request_id, "response_head_too_long",
		    "status=%d", status);
		req->status = 500;
		len = (size_t)snprintf(head, sizeof(head),
		    "Status: 500 Internal Server Error\r\nX-Request-ID: %s\r\n",
		    req->request_id);
		body_len = 0;
	}
	memcpy(head + len, "\r\n", 2);
	len += 2;

	/* HEAD gets the headers GET would, Content-Length included. */
	if (req->head_only)
		body_len = 0;

	if (FCGX_PutStr(head, (int)len, req->fcgi->out) < 0 ||
	    (body_len > 0 &&
	    FCGX_PutStr(body, (int)body_len, req->fcgi->out) < 0))
		log_warn(req->request_id, "response_write_failed",
		    "status=%d error=\"%s\"", status,
		    strerror(FCGX_GetError(req->fcgi->out) > 0 ?
		    FCGX_GetError(req->fcgi->out) : EIO));
}

void
http_send_json(struct http_request *req, int status, struct json_object *body)
{
	const char	*text;
	size_t		 len;

	text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL) {
		log_error(req->request_id, "response_encode_failed", "status=%d",
		    status);
		http_write(req, 500, "application/json; charset=utf-8",
		    "{}", 2);
		return;
	}
	http_write(req, status, "application/json; charset=utf-8", text, len);
}

void
http_send_bytes(struct http_request *req, int status, const char *content_type,
    const char *body, size_t len)
{
	/* FCGX_PutStr() takes an int length. */
	if (len > INT_MAX) {
		log_error(req->request_id, "response_too_large", "bytes=%zu",
		    len);
		http_send_err(req, SSCN_ERR_INTERNAL);
		return;
	}
	http_write(req, status, content_type, body, len);
}

void
http_send_empty(struct http_request *req, int status)
{
	http_write(req, status, NULL, NULL, 0);
}

void
http_send_error(struct http_request *req, int status, const char *code,
    const char *message, struct json_object *fields)
{
	struct json_object *root, *error;

	root = json_object_new_object();
	error = json_object_new_object();
	if (root == NULL || error == NULL) {
		json_object_put(root);
		json_object_put(error);
		json_object_put(fields);
		http_write(req, 500, "application/json; charset=utf-8",
		    "{\"error\":{\"code\":\"internal_error\"}}", 35);
		return;
	}
	json_object_object_add(error, "code", json_object_new_string(code));
	json_object_object_add(error, "message",
	    json_object_new_string(message));
	json_object_object_add(error, "request_id",
	    json_object_new_string(req->request_id));
	if (fields != NULL)
		json_object_object_add(error, "fields", fields);
	json_object_object_add(root, "error", error);

	http_send_json(req, status, root);
	json_object_put(root);
}

void
http_send_err(struct http_request *req, enum sscn_err err)
{
	http_send_error(req, err_http_status(err), err_code(err),
	    err_message(err), NULL);
}

/*
 * Take nginx's $request_id (32 hex digits) when it looks like one, else
 * make a new id, so every log line and response of this request carries
 * the same value.
 */
static void
http_set_request_id(struct http_request *req)
{
	const char	*id = http_param(req, "REQUEST_ID");
	unsigned char	 random[16];
	size_t		 len;

	if (id != NULL) {
		len = strlen(id);
		if (len >= 8 && len < sizeof(req->request_id) &&
		    strspn(id, "0123456789abcdefABCDEF-") == len) {
			memcpy(req->request_id, id, len + 1);
			return;
		}
	}
	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(req->request_id, sizeof(req->request_id), random,
	    sizeof(random));
}

/* "application/json", optionally with parameters; charset, if any, UTF-8. */
static bool
http_is_json_type(const char *type)
{
	const char *charset;

	if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
		return false;
	type += 16;
	while (*type == ' ' || *type == '\t')
		type++;
	if (*type == '\0')
		return true;
	if (*type != ';')
		return false;
	charset = strcasestr(type, "charset=");
	if (charset == NULL)
		return true;
	charset += 8;
	if (*charset == '"')
		charset++;
	return strncasecmp(charset, "utf-8", 5) == 0;
}

/*
 * Parse CONTENT_LENGTH.  Returns 0 with "*len" set (0 when absent), or the
 * HTTP status to answer: 400 for a malformed value, 411 for a body whose
 * length is not given.
 */
static int
http_content_length(struct http_request *req, size_t *len)
{
	const char		*value = http_param(req, "CONTENT_LENGTH");
	unsigned long long	 n = 0;
	const char		*p;

	*len = 0;
	if (value == NULL || *value == '\0') {
		if (http_param(req, "HTTP_TRANSFER_ENCODING") != NULL)
			return 411;
		return 0;
	}
	if (strlen(value) > 18)
		return 400;
	for (p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 400;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	*len = (size_t)n;
	return 0;
}

/* Read exactly "len" bytes of the request body into req->body. */
static int
http_read_body(struct http_request *req, size_t len)
{
	size_t	 got = 0;
	int	 n;

	req->body = malloc(len + 1);
	if (req->body == NULL)
		return -1;
	while (got < len) {
		n = FCGX_GetStr(req->body + got, (int)(len - got),
		    req->fcgi->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	req->body_read = got == len;
	return req->body_read ? 0 : -1;
}

/*
 * Check and read the body the route expects.  Returns true when the
 * handler may run; otherwise the error was sent.
 */
static bool
http_accept_body(struct http_request *req)
{
	const struct route	*route = req->match.route;
	enum json_parse_status	 status;
	size_t			 offset;
	size_t			 len;
	size_t			 limit;
	char			 message[160];
	int			 rc;

	if (!(route->flags & (ROUTE_BODY_JSON | ROUTE_BODY_ANY)))
		return true;

	rc = http_content_length(req, &len);
	if (rc == 411) {
		http_send_error(req, 411, "length_required", "The request body "
		    "must have a Content-Length.", NULL);
		return false;
	}
	if (rc == 400) {
		http_send_error(req, 400, "validation_failed", "The "
		    "Content-Length header is not a valid length.", NULL);
		return false;
	}
	limit = (route->flags & ROUTE_BODY_LARGE) ? HTTP_LARGE_BODY_MAX :
	    req->worker->conf->max_body_size;
	if (len > limit) {
		http_send_err(req, SSCN_ERR_TOO_LARGE);
		return false;
	}
	if ((route->flags & ROUTE_BODY_JSON) &&
	    !http_is_json_type(req->content_type)) {
		http_send_err(req, SSCN_ERR_MEDIA_TYPE);
		return false;
	}

	if (http_read_body(req, len) == -1) {
		http_send_error(req, 400, "validation_failed", "The request "
		    "body is shorter than its Content-Length.", NULL);
		return false;
	}
	if (!(route->flags & ROUTE_BODY_JSON))
		return true;

	if (len == 0) {
		http_send_error(req, 400, "validation_failed", "The request "
		    "body is empty; a JSON object is required.", NULL);
		return false;
	}
	req->json = json_parse_strict(req->body, req->body_len, &status,
	    &offset);
	if (status != JSON_PARSE_OK) {
		if (status == JSON_PARSE_NOMEM) {
			http_send_err(req, SSCN_ERR_INTERNAL);
			return false;
		}
		snprintf(message, sizeof(message), "The request body is "
		    "invalid at byte %zu: %s.", offset,
		    json_parse_strerror(status));
		http_send_error(req, 400, "validation_failed", message, NULL);
		return false;
	}
	if (!json_object_is_type(req->json, json_type_object)) {
		http_send_error(req, 400, "validation_failed", "The request "
		    "body must be a JSON object.", NULL);
		return false;
	}
	return true;
}

/* Route the request; false when a 404 or 405 was sent. */
static bool
http_route(struct http_request *req)
{
	char			 path[sizeof(req->path_buf)];
	const char		*method = req->method;
	enum route_status	 status;

	/* RFC 9110: HEAD is served wherever GET is, without the body. */
	if (strcmp(method, "HEAD") == 0) {
		method = "GET";
		req->head_only = true;
	}

	if (req->path == NULL || strlen(req->path) >= sizeof(path)) {
		http_send_err(req, SSCN_ERR_NOT_FOUND);
		return false;
	}
	strcpy(path, req->path);
	status = route_match(api_routes, api_nroutes, method, path,
	    &req->match);
	if (status == ROUTE_NOT_FOUND && req->worker->conf->enable_test_routes) {
		strcpy(path, req->path);
		status = route_match(http_test_routes, http_ntest_routes,
		    method, path, &req->match);
	}

	if (status == ROUTE_FOUND) {
		/*
		 * Parameters point into the split copy; move that copy, NULs
		 * included, into the request so they outlive this function.
		 */
		size_t i;

		memcpy(req->path_buf, path, strlen(req->path) + 1);
		for (i = 0; i < req->match.nparams; i++)
			req->match.params[i] = req->path_buf +
			    (req->match.params[i] - path);
		return true;
	}
	if (status == ROUTE_METHOD_NOT_ALLOWED) {
		snprintf(req->allow_header, sizeof(req->allow_header),
		    "Allow: %s%s", req->match.allow,
		    strstr(req->match.allow, "GET") ? ", HEAD" : "");
		http_add_header(req, req->allow_header);
		http_send_error(req, 405, "method_not_allowed", "The method is "
		    "not allowed for this resource.", NULL);
		return false;
	}
	http_send_err(req, SSCN_ERR_NOT_FOUND);
	return false;
}

static void
http_log_access(struct http_request *req, uint64_t duration_us)
{
	char method[32];

	log_info(req->request_id, "request", "method=%s route=%s status=%d "
	    "duration_us=%llu user_id=%s remote_addr=%s",
	    log_escape(method, sizeof(method), req->method),
	    req->match.route ? req->match.route->path : "-", req->status,
	    (unsigned long long)duration_us,
	    req->user_id[0] ? req->user_id : "-",
	    req->remote_addr ? req->remote_addr : "-");
}

/*
 * Count a request to a route that does not authenticate against its
 * address, before its body is read.  Routes with ROUTE_AUTH are counted
 * by authn.c, by user, in the round trip of the session check.  Returns
 * false once an error response is sent.
 */
static bool
http_rate_limit(struct http_request *req)
{
	enum sscn_err err;

	if (!ratelimit_applies(req) || (req->match.route->flags & ROUTE_AUTH))
		return true;
	req->rate_counted = true;
	if ((err = ratelimit_check(req, NULL)) == SSCN_OK)
		return true;
	http_send_err(req, err);
	return false;
}

bool
http_serve(struct worker *w, struct FCGX_Request *fcgi)
{
	struct http_request	 req;
	enum sscn_err		 err;
	uint64_t		 duration_us;
	size_t			 declared;
	bool			 read_all;

	memset(&req, 0, sizeof(req));
	req.fcgi = fcgi;
	req.worker = w;
	req.start_us = now_us();
	http_set_request_id(&req);
	sentry_request_begin(req.request_id);

	req.method = http_param(&req, "REQUEST_METHOD");
	req.path = http_param(&req, "DOCUMENT_URI");
	req.query = http_param(&req, "QUERY_STRING");
	req.remote_addr = http_param(&req, "REMOTE_ADDR");
	req.user_agent = http_param(&req, "HTTP_USER_AGENT");
	req.content_type = http_param(&req, "CONTENT_TYPE");
	req.health_detail = http_param(&req, "SSCN_HEALTH_DETAIL") != NULL &&
	    strcmp(http_param(&req, "SSCN_HEALTH_DETAIL"), "1") == 0;
	if (req.query == NULL)
		req.query = "";

	if (req.method == NULL) {
		http_send_error(&req, 400, "validation_failed", "The request "
		    "has no method.", NULL);
		goto done;
	}
	if (!http_route(&req) || !http_rate_limit(&req) ||
	    !http_accept_body(&req))
		goto done;
	if ((req.match.route->flags & ROUTE_IDEMPOTENT) && !idem_begin(&req))
		goto done;

	err = req.match.route->handler(&req);
	if (err != SSCN_OK && !req.responded)
		http_send_err(&req, err);
	else if (!req.responded) {
		log_error(req.request_id, "handler_no_response", "route=%s",
		    req.match.route->path);
		http_send_err(&req, SSCN_ERR_INTERNAL);
	}
	idem_finish(&req);

	/* A read-only handler may leave authn_require()'s transaction open. */
	db_rollback(&w->db, req.request_id);

done:
	duration_us = now_us() - req.start_us;
	http_log_access(&req, duration_us);
	metrics_request(req.match.route, req.status, duration_us);

	/* Only queues: the worker sends after FCGX_Finish_r(). */
	sentry_request_end(req.match.route ? req.match.route->method : NULL,
	    req.match.route ? req.match.route->path : NULL, req.status);
	json_object_put(req.json);
	read_all = req.body_read ||
	    (http_content_length(&req, &declared) == 0 && declared == 0);
	if (req.body != NULL) {
		sodium_memzero(req.body, req.body_len);
		free(req.body);
	}

	/*
	 * glibc keeps the heap that a large body grew.  Return it, so that a
	 * worker that once took a 10 MiB upload does not stay that large.
	 */
	if (req.body_len > HTTP_TRIM_AFTER)
		malloc_trim(0);
	return read_all;
}
