/*
 * sscn.h - the one internal header of sscnd and sscnctl.
 *
 * Sections follow the source files: conf.c, log.c, json.c, utf8.c, route.c,
 * http.c, db.c, worker.c, master.c and the API handlers under api/.  Nothing
 * here is a public interface; the HTTP contract is documented in sscn-api(7).
 *
 * Conventions: functions carry their file's prefix; a function that can fail
 * returns enum sscn_err (or -1 with a message buffer where it runs before
 * logging exists); callers own what a function returns unless its comment
 * states otherwise.
 */
#ifndef SSCN_H
#define SSCN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct pg_conn;
struct pg_result;
struct FCGX_Request;

#define SSCN_WARN_UNUSED __attribute__((warn_unused_result))
#define SSCN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/*
 * Highest migration number in sql/.  A worker reports ready only when the
 * database has this migration applied; t/unit/test_schema checks that it
 * matches the files in sql/.
 */
#define SSCN_SCHEMA_VERSION 21

/* ---- errors (err.c) ------------------------------------------------- */

/*
 * Outcome of an operation.  Handlers return it; http.c maps every value to
 * an HTTP status, a contract error code and a fixed message in one table,
 * so a handler that fails with anything but SSCN_OK needs to send nothing.
 */
enum sscn_err {
	SSCN_OK = 0,
	SSCN_ERR_VALIDATION,	/* 400 validation_failed */
	SSCN_ERR_UNAUTHORIZED,	/* 401 unauthorized */
	SSCN_ERR_FORBIDDEN,	/* 403 forbidden */
	SSCN_ERR_NOT_FOUND,	/* 404 not_found */
	SSCN_ERR_CONFLICT,	/* 409 conflict */
	SSCN_ERR_TOO_LARGE,	/* 413 payload_too_large */
	SSCN_ERR_MEDIA_TYPE,	/* 415 unsupported_media_type */
	SSCN_ERR_RATE_LIMITED,	/* 429 rate_limited */
	SSCN_ERR_MFA_REQUIRED,	/* 403 mfa_required: needs an aal2 session */
	SSCN_ERR_REAUTH,	/* 403 reauthentication_required */
	SSCN_ERR_ACCEPTANCE,	/* 403 acceptance_required */
	SSCN_ERR_MFA_ENROLLMENT,	/* 403 mfa_enrollment_required */
	SSCN_ERR_NDA_REQUIRED,	/* 403 nda_required: RFQ's NDA not accepted */
	SSCN_ERR_INTERNAL,	/* 500 internal_error */
	SSCN_ERR_UNAVAILABLE,	/* 503 unavailable: database lost or down */
	SSCN_ERR__COUNT
};

int		 err_http_status(enum sscn_err);
const char	*err_code(enum sscn_err);
const char	*err_message(enum sscn_err);

/* ---- configuration (conf.c) ----------------------------------------- */

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/*
 * Parsed sscn.conf.  Every key, its default and its unit are listed in
 * sscn.conf(5); conf_defaults() sets the defaults.  Strings are owned by the
 * structure and freed by conf_free(), which wipes the three connection
 * strings first because they may carry passwords.
 */
struct sscn_conf {
	char		*socket_path;		/* FastCGI unix socket */
	char		*socket_owner;		/* user name, NULL: unchanged */
	char		*socket_group;		/* group name, NULL: unchanged */
	mode_t		 socket_mode;		/* default 0660 */
	char		*user;			/* drop to this user when root */
	char		*group;			/* and this group */
	unsigned	 workers;		/* 0 in the file: number of CPUs */
	unsigned	 shutdown_timeout;	/* seconds */
	unsigned	 respawn_delay_max;	/* seconds, crash-loop back-off cap */
	size_t		 max_body_size;		/* bytes, JSON request bodies */
	char		*database;		/* libpq conninfo, runtime role */
	char		*database_owner;	/* conninfo, migrations */
	char		*database_maintenance;	/* conninfo, purge and backups */
	char		*database_restore;	/* conninfo, CREATEDB, restores */
	char		*backup_dir;		/* sscnctl backup writes here */
	unsigned	 backup_keep;		/* newest backups kept */
	char		*pg_bin_dir;		/* pg_dump and pg_restore */
	unsigned	 db_connect_timeout;	/* seconds */
	unsigned	 db_statement_timeout;	/* milliseconds */
	char		*data_dir;		/* disk checked by /api/health/ */
	char		*sql_dir;		/* migrations read by sscnctl */
	enum log_level	 log_level;
	bool		 enable_test_routes;	/* POST /api/v1/echo, tests only */

	/* Accounts and sessions. */
	char		*key_file;		/* JWT and field encryption keys */
	char		*jwt_signing_key;	/* kid; NULL: the last jwt line */
	char		*jwt_issuer;
	char		*jwt_audience;
	char		*base_url;		/* links in mail */
	unsigned	 access_token_ttl;	/* seconds */
	unsigned	 session_idle_timeout;	/* seconds */
	unsigned	 session_absolute_timeout;	/* seconds */
	unsigned	 max_sessions;		/* per user */
	unsigned	 lockout_threshold;	/* consecutive failures */
	unsigned	 lockout_duration;	/* seconds */
	unsigned	 address_failure_limit;	/* failed logins per address */
	unsigned	 address_failure_window;	/* seconds */
	unsigned	 reauthentication_window;	/* seconds */
	/* Requests per rate_limit_window per client; 0 turns the limiter off. */
	unsigned	 rate_limit;
	unsigned	 rate_limit_window;	/* seconds */
	unsigned	 rate_limit_login;	/* per address, as rate_limit */
	unsigned	 rate_limit_mfa;
	unsigned	 rate_limit_register;
	unsigned	 rate_limit_password_reset;
	unsigned	 verify_token_ttl;	/* seconds */
	unsigned	 reset_token_ttl;	/* seconds */
	unsigned	 mfa_token_ttl;		/* seconds */

	/* Password policy; sscn.conf(5) shows the ASVS level 2 profile. */
	unsigned	 password_min_length;	/* code points */
	unsigned	 password_max_length;	/* code points */
	bool		 password_require_upper;
	bool		 password_require_lower;
	bool		 password_require_digit;
	unsigned	 password_min_score;	/* zxcvbn score 0-4 */
	char		*password_common_list;	/* file, one password a line */
	unsigned	 argon2_opslimit;	/* Argon2id passes */
	size_t		 argon2_memlimit;	/* bytes */

	/* Outbound HTTPS (outbound.h). */
	char		*outbound_ca_file;	/* NULL: the system's CAs */
	char		*outbound_proxy;	/* NULL: no proxy */
	unsigned	 outbound_connect_timeout;	/* seconds */
	unsigned	 outbound_timeout;	/* seconds, whole call */
	size_t		 outbound_max_response;	/* bytes */

	/* Error reports (sentry.h). */
	char		*sentry_dsn;		/* NULL or "": reports off */
	char		*sentry_environment;
	char		*sentry_release;	/* NULL: PACKAGE_VERSION */
	/* Outbound mail, sent by "sscnctl mail-send" (src/ctl/mail_send.c). */
	char		*smtp_url;		/* smtp:// or smtps:// */
	bool		 smtp_require_tls;	/* STARTTLS or smtps:// */
	char		*smtp_ca_file;		/* NULL: the system's CAs */
	char		*smtp_username;		/* NULL: no authentication */
	char		*smtp_password_file;	/* file with the password */
	unsigned	 smtp_timeout;		/* seconds, one message */
	char		*mail_from;		/* addr-spec of From */
	char		*mail_from_name;	/* display name of From */
	unsigned	 mail_poll_interval;	/* seconds between polls */
	unsigned	 mail_retry_delay;	/* seconds, first back-off */
	unsigned	 mail_retry_delay_max;	/* seconds */
	unsigned	 mail_max_attempts;	/* then "failed" */
	/* Sign-in with LinkedIn (OpenID Connect, api/oidc.h). */
	char		*linkedin_client_id;	/* NULL: sign-in is off */
	char		*linkedin_client_secret_file;
	char		*linkedin_authorization_endpoint;
	char		*linkedin_token_endpoint;
	char		*linkedin_jwks_uri;
	char		*linkedin_issuer;
	char		*linkedin_scope;
	char		*linkedin_redirect_uri;	/* NULL: from base_url */
	bool		 linkedin_pkce;
	bool		 linkedin_nonce;
	unsigned	 linkedin_timeout;	/* seconds, per provider call */
	unsigned	 linkedin_jwks_max_age;	/* seconds a key set is kept */
	unsigned	 linkedin_leeway;	/* seconds of clock skew */

	/*
	 * Account deletion and the retention periods that "sscnctl purge"
	 * enforces, all in seconds (sscn-security(7), RETENTION).
	 */
	unsigned	 deletion_grace;	/* request to purge */
	unsigned	 retention_sessions;	/* after a session ended */
	unsigned	 retention_tokens;	/* after use or expiry */
	unsigned	 retention_mail;	/* after sending */
	unsigned	 retention_unverified;	/* after registration */
	unsigned	 retention_login_failures;	/* after the last */
	unsigned	 retention_audit_log;	/* after the event */
	unsigned	 retention_consents;	/* after the choice */

	/*
	 * Days without a login after which the access review and "sscnctl
	 * evidence" call an account dormant.
	 */
	unsigned	 access_review_dormant_days;
};

void	conf_defaults(struct sscn_conf *);

/*
 * Read "path" into "conf" (which conf_defaults() prepared).  Returns 0, or -1
 * with "path:line: reason" in "err".  A file that others can read, an
 * unknown or repeated key, a value out of range or a line that is not
 * "key = value" is an error; "conf" is then left for conf_free() only.
 */
int	conf_load(const char *path, struct sscn_conf *conf, char *err,
	    size_t errlen) SSCN_WARN_UNUSED;

/*
 * Read a file that holds secrets into a new NUL-terminated buffer (caller
 * wipes and frees it; "*len" is its length).  A file that is not regular,
 * that "other" can read or write, that is larger than "max_size" bytes or
 * that contains a NUL byte is rejected with "path: reason" in "err";
 * "contents" names what the file contains, for that message.
 */
char	*conf_read_private_file(const char *path, size_t max_size,
	    const char *contents, size_t *len, char *err, size_t errlen);

/* Parse already-open text; "name" is used in messages only. */
int	conf_parse_text(const char *text, const char *name,
	    struct sscn_conf *conf, char *err, size_t errlen) SSCN_WARN_UNUSED;

void	conf_free(struct sscn_conf *);

/*
 * The number of workers to run: "workers", or for 0 two per online CPU,
 * because a worker spends part of most requests waiting for PostgreSQL;
 * at most 256.
 */
unsigned conf_worker_count(const struct sscn_conf *);

/* ---- logging (log.c) ------------------------------------------------ */

/*
 * One line per event on stderr: "level=info event=NAME key=value ...".
 * Under journald (JOURNAL_STREAM set) each line starts with the syslog
 * priority prefix "<N>" instead of a timestamp.  Values that come from a
 * client must pass through log_escape() first; secrets never reach these
 * functions (see log_mask()).
 */
void	log_init(const char *program, enum log_level level);
void	log_set_level(enum log_level level);
/* Set the level for good: later log_set_level() calls are ignored. */
void	log_pin_level(enum log_level level);
bool	log_enabled(enum log_level level);

/*
 * Call "hook" with the request id (may be NULL) and the event name of
 * every log_error() line, before the line is written; NULL removes it.
 * sscnd's workers use it to report errors to Sentry (sentry.h).
 */
typedef void (*log_error_hook)(const char *request_id, const char *event);
void	log_set_error_hook(log_error_hook hook);
void	log_event(enum log_level level, const char *request_id,
	    const char *event, const char *fmt, ...) SSCN_PRINTF(4, 5);
void	log_vevent(enum log_level level, const char *request_id,
	    const char *event, const char *fmt, va_list ap);

#define log_error(rid, ev, ...)	log_event(LOG_LEVEL_ERROR, rid, ev, __VA_ARGS__)
#define log_warn(rid, ev, ...)	log_event(LOG_LEVEL_WARN, rid, ev, __VA_ARGS__)
#define log_info(rid, ev, ...)	log_event(LOG_LEVEL_INFO, rid, ev, __VA_ARGS__)
#define log_debug(rid, ev, ...)	log_event(LOG_LEVEL_DEBUG, rid, ev, __VA_ARGS__)

/*
 * Write "src" into "dst" as one log value: printable ASCII is kept, a value
 * with a space, quote or '=' is double-quoted, control and non-ASCII bytes
 * become \xHH, and the result is cut at "dstlen" - 1 bytes with "..." at the
 * end.  Returns "dst".  NULL becomes "-".
 */
char	*log_escape(char *dst, size_t dstlen, const char *src);

/* Returns "***" for any non-empty secret and "-" for NULL or empty. */
const char *log_mask(const char *secret);

/* ---- JSON (json.c, utf8.c) ------------------------------------------ */

#define JSON_MAX_DEPTH 32	/* arrays and objects, counted together */

enum json_parse_status {
	JSON_PARSE_OK = 0,
	JSON_PARSE_SYNTAX,	/* not RFC 8259 JSON */
	JSON_PARSE_DEPTH,	/* nested deeper than JSON_MAX_DEPTH */
	JSON_PARSE_UTF8,	/* invalid UTF-8, or a lone surrogate escape */
	JSON_PARSE_NUL,		/* a NUL byte or \u0000 in a string */
	JSON_PARSE_DUPLICATE,	/* an object repeats a key */
	JSON_PARSE_RANGE,	/* a number beyond the range of a double */
	JSON_PARSE_NOMEM
};

/*
 * Parse exactly "len" bytes of "text" as one RFC 8259 JSON value and build
 * json-c objects.  Stricter than json_tokener: duplicate keys, NUL in
 * strings, invalid UTF-8 and depth over JSON_MAX_DEPTH are errors.  Returns
 * the value (caller puts it) or NULL with "*status" set and "*offset" at the
 * byte where parsing stopped.  A valid JSON "null" returns NULL with
 * JSON_PARSE_OK.
 */
struct json_object *json_parse_strict(const char *text, size_t len,
	    enum json_parse_status *status, size_t *offset);
const char *json_parse_strerror(enum json_parse_status);

/* True when "len" bytes at "s" are well-formed UTF-8 (RFC 3629). */
bool	utf8_valid(const unsigned char *s, size_t len);

/*
 * Typed field access for request bodies.  Each returns SSCN_OK, or
 * SSCN_ERR_VALIDATION after adding "field": "problem" to "fields" (an object
 * the caller created).  A missing optional field leaves "*out" unchanged.
 */
enum sscn_err json_get_string(struct json_object *obj, const char *field,
	    bool required, size_t max_len, const char **out,
	    struct json_object *fields);
enum sscn_err json_get_bool(struct json_object *obj, const char *field,
	    bool required, bool *out, struct json_object *fields);
enum sscn_err json_get_int(struct json_object *obj, const char *field,
	    bool required, int64_t min, int64_t max, int64_t *out,
	    struct json_object *fields);

/*
 * Add "field": "is not a known field" to "fields" for every key of "obj"
 * missing from the NULL-terminated "allowed", so a client cannot set a
 * server-owned field by sending it.  Returns SSCN_ERR_VALIDATION if any.
 */
enum sscn_err json_reject_unknown(struct json_object *obj,
	    const char *const *allowed, struct json_object *fields);

/* ---- routing (route.c) ---------------------------------------------- */

#define ROUTE_MAX_PARAMS 4
#define ROUTE_MAX_SEGMENTS 16

struct http_request;
typedef enum sscn_err (*route_handler)(struct http_request *);

/* Route flags. */
#define ROUTE_BODY_JSON	0x01	/* needs an application/json object body */
#define ROUTE_BODY_ANY	0x02	/* takes a body of any type, read raw */
#define ROUTE_RESTRICTED_OK 0x04	/* open to a restricted session */
#define ROUTE_AUTH	0x08	/* the handler calls authn_require() */
#define ROUTE_BODY_LARGE 0x10	/* with ROUTE_BODY_ANY: up to HTTP_LARGE_BODY_MAX */
#define ROUTE_NO_RATE_LIMIT 0x20	/* counts against no rate limit */
/* Also counts against a stricter limit per address (ratelimit.h). */
#define ROUTE_RATE_LOGIN 0x40
#define ROUTE_RATE_MFA	0x80
#define ROUTE_RATE_REGISTER 0x100
#define ROUTE_RATE_PASSWORD_RESET 0x200
/* Accepts an Idempotency-Key header (idempotency.h). */
#define ROUTE_IDEMPOTENT 0x400

/*
 * Body limit of ROUTE_BODY_LARGE routes in place of max_body_size: 10 MiB,
 * the contract's limit for document content, which nginx enforces too.
 */
#define HTTP_LARGE_BODY_MAX (10 * 1024 * 1024)

/*
 * One entry of the route table.  "path" is a template such as
 * "/api/v1/rfqs/{id}"; a segment in braces matches any one non-empty
 * segment and becomes a parameter, in order.
 */
struct route {
	const char	*method;
	const char	*path;
	route_handler	 handler;
	unsigned	 flags;
};

enum route_status {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND,
	ROUTE_METHOD_NOT_ALLOWED
};

struct route_match {
	const struct route *route;
	const char	*params[ROUTE_MAX_PARAMS];
	size_t		 nparams;
	char		 allow[64];	/* "GET, POST" for 405 */
};

/*
 * Match "method" and "path" (a decoded path without query, which this
 * function modifies to split it into segments) against "routes".  On
 * ROUTE_FOUND, "match->params" point into "path".  On
 * ROUTE_METHOD_NOT_ALLOWED, "match->allow" lists the methods of every
 * template that matched the path.
 */
enum route_status route_match(const struct route *routes, size_t nroutes,
	    const char *method, char *path, struct route_match *match);

/* The application's table, defined in api/routes.c. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/*
 * Routes served only when enable_test_routes is set in sscn.conf, defined
 * in http.c.
 */
extern const struct route http_test_routes[];
extern const size_t http_ntest_routes;

/* ---- HTTP request layer (http.c) ------------------------------------ */

#define HTTP_MAX_HEADERS 12
/*
 * Room for the extra headers of one response: Set-Cookie values, or a
 * Content-Disposition whose file name of up to 255 bytes appears twice,
 * once percent-encoded (RFC 6266).
 */
#define HTTP_HEADER_BUF 2048

struct worker;

/*
 * The Idempotency-Key of a request to a ROUTE_IDEMPOTENT route
 * (idempotency.h); "key" is "" when the request has none.
 */
struct idem_request {
	char		 key[256];
	unsigned char	 request_hash[32];	/* SHA-256, see idem_begin() */
	char		 client[64];	/* "user:" or "api_key:" and an id */
	bool		 capturing;	/* http_write() keeps the answer */
	bool		 captured;
	int		 status;
	const char	*content_type;	/* a literal, or NULL */
	char		*body;		/* malloc()ed, wiped when freed */
	size_t		 body_len;
};

/*
 * One FastCGI request.  Strings point into the FastCGI parameter block or
 * into "path_buf" and live until the request is finished.
 */
struct http_request {
	struct FCGX_Request	*fcgi;
	struct worker		*worker;
	const char		*method;
	const char		*path;		/* decoded, as nginx's $document_uri */
	const char		*query;		/* raw, without '?', may be "" */
	const char		*remote_addr;	/* nginx's REMOTE_ADDR only */
	const char		*user_agent;
	const char		*content_type;
	char			 request_id[65];
	char			 path_buf[2048];
	struct route_match	 match;
	char			*body;		/* NUL-terminated copy, or NULL */
	size_t			 body_len;
	bool			 body_read;	/* all of Content-Length read */
	struct json_object	*json;		/* parsed body for ROUTE_BODY_JSON */
	bool			 health_detail;	/* nginx allows health details */
	int			 status;	/* sent status, for the access log */
	bool			 responded;
	bool			 head_only;	/* HEAD: send no body */
	char			 user_id[37];	/* UUID once authenticated, else "" */
	uint64_t		 start_us;
	bool			 rate_counted;	/* ratelimit.c counted the request */

	/* Set by authn_require() once the request is authenticated. */
	bool			 authenticated;
	bool			 via_cookie;	/* token came from the cookie */
	char			 session_id[37];
	bool			 is_admin;
	int			 aal;		/* 1: password, 2: MFA */
	int64_t			 auth_time;	/* Unix time of the login */
	char			 restriction[16];	/* "" or the session's */
	char			 org_id[37];	/* the session's organization, or "" */
	char			 org_role[8];	/* owner, admin, member, or "" */
	char			 org_kind[10];	/* buyer, supplier, or "" */
	char			 api_key_id[37];	/* a signed request's key */

	struct idem_request	 idem;

	const char		*headers[HTTP_MAX_HEADERS];	/* "Name: value" */
	size_t			 nheaders;
	char			 allow_header[80];	/* for 405 */
	char			 header_buf[HTTP_HEADER_BUF];	/* see http_add_headerf */
	size_t			 header_buf_used;
};

/* Monotonic clock in microseconds. */
uint64_t now_us(void);

/* Read a FastCGI parameter; NULL when absent. */
const char *http_param(const struct http_request *, const char *name);

/*
 * Queue an extra response header.  "header" must outlive the response
 * (a literal or storage in the request).  Extra headers past
 * HTTP_MAX_HEADERS are dropped and logged.
 */
void	http_add_header(struct http_request *, const char *header);

/*
 * Queue a formatted header, stored in the request.  Returns -1 (logged)
 * when the request's header buffer is full.
 */
int	http_add_headerf(struct http_request *, const char *fmt, ...)
	    SSCN_PRINTF(2, 3);

/* Cookie "name" from the Cookie header into "out"; false when absent. */
bool	http_cookie(const struct http_request *, const char *name, char *out,
	    size_t outlen);

/* Send "body" (not consumed) as JSON with "status". */
void	http_send_json(struct http_request *, int status,
	    struct json_object *body);

/*
 * Send "len" bytes of "body" (not consumed, any content) with
 * "content_type", which must be a fixed, trusted string.
 */
void	http_send_bytes(struct http_request *, int status,
	    const char *content_type, const char *body, size_t len);

/* Send a response without a body, for 204 and similar. */
void	http_send_empty(struct http_request *, int status);

/*
 * Send the contract's error body.  "fields" may be NULL; when given it is
 * consumed.  "message" is one sentence with no internals.
 */
void	http_send_error(struct http_request *, int status, const char *code,
	    const char *message, struct json_object *fields);

/* Send the mapped error of "err" (see err.c). */
void	http_send_err(struct http_request *, enum sscn_err err);

/*
 * Serve one accepted FastCGI request end to end: route, body checks, the
 * handler, the response and the access log line.  Returns true when no
 * byte of the request body is left unread: it had none, or all of it was
 * read.
 */
bool	http_serve(struct worker *, struct FCGX_Request *);

/* ---- text forms of time (timefmt.c) ---------------------------------- */

/*
 * Convert a timestamptz in PostgreSQL's text form on sscnd's connections
 * (TimeZone UTC, DateStyle ISO: "2026-12-05 00:34:26.5+00") to RFC 3339
 * in whole seconds ("2026-12-05T00:34:26Z").  Returns false, leaving
 * "out" unset, for any other text, such as "infinity" or a BC date.
 * Cheaper than to_char() in the statement, which matters on hot reads.
 */
#define TIME_RFC3339_SIZE	21
bool		time_pg_rfc3339(const char *value,
		    char out[TIME_RFC3339_SIZE]);

/* ---- database (db.c) ------------------------------------------------ */

/* A statement prepared on every connection of a worker. */
struct db_statement {
	const char	*name;
	const char	*sql;
	int		 nparams;
	bool		 retry_safe;	/* read-only: retried once after a reconnect */
};

/*
 * The application's statements: one array per part of the API, each with
 * its length, listed in db_statement_sets[] (api/statements.c).  Every
 * statement is prepared on each new connection; names are unique across
 * all sets.
 */
struct db_statement_set {
	const struct db_statement	*statements;
	const size_t			*n;
};
extern const struct db_statement_set db_statement_sets[];
extern const size_t db_nstatement_sets;

extern const struct db_statement apikey_statements[];
extern const size_t apikey_nstatements;
extern const struct db_statement identity_statements[];
extern const size_t identity_nstatements;
extern const struct db_statement org_statements[];
extern const size_t org_nstatements;
extern const struct db_statement supplier_statements[];
extern const size_t supplier_nstatements;
extern const struct db_statement document_statements[];
extern const size_t document_nstatements;
extern const struct db_statement rfq_statements[];
extern const size_t rfq_nstatements;
extern const struct db_statement quote_statements[];
extern const size_t quote_nstatements;
extern const struct db_statement data_export_statements[];
extern const size_t data_export_nstatements;
extern const struct db_statement metrics_statements[];
extern const size_t metrics_nstatements;

/*
 * A worker's one PostgreSQL connection, opened lazily and re-opened after
 * loss; statements are prepared again on every new connection.
 */
struct db {
	struct pg_conn	*conn;
	const char	*conninfo;	/* borrowed from the configuration */
	unsigned	 connect_timeout;	/* seconds */
	unsigned	 statement_timeout;	/* milliseconds */
	uint64_t	 next_attempt_us;	/* no reconnect before this */
	bool		 in_transaction;
	/*
	 * Set by idem_claim(): db_commit() only marks "commit_deferred" and
	 * leaves the transaction open, so that idem_finish() can store the
	 * answer in it before the real COMMIT.
	 */
	bool		 defer_commit;
	bool		 commit_deferred;
	bool		 connected_before;	/* a later connect is a reconnect */
	const char	*request_id;	/* of the call in progress, for notices */
};

void	db_init(struct db *, const char *conninfo, unsigned connect_timeout,
	    unsigned statement_timeout);

/* Connect when not connected.  SSCN_ERR_UNAVAILABLE when that fails. */
enum sscn_err db_connect(struct db *, const char *request_id) SSCN_WARN_UNUSED;

/*
 * Execute prepared statement "name" with text parameters.  On success
 * returns SSCN_OK and "*result" (caller PQclear()s it), whose status is
 * PGRES_TUPLES_OK or PGRES_COMMAND_OK.  A lost connection is closed and
 * returns SSCN_ERR_UNAVAILABLE.  Outside a transaction, it is first
 * retried once on a new connection when the statement is retry_safe or
 * the server cannot have run it.  That is the case when the send failed,
 * or when the server had ended the session (SQLSTATE 57P01 to 57P03, as
 * after a restart).  A unique or foreign key violation returns
 * SSCN_ERR_CONFLICT, anything else SSCN_ERR_INTERNAL; all are logged
 * without parameter values.
 */
enum sscn_err db_exec(struct db *, const char *request_id, const char *name,
	    int nparams, const char *const *params, struct pg_result **result)
	    SSCN_WARN_UNUSED;

/*
 * Run db_exec() with binary data, so that large bytea values never pass
 * through hex text.  "lengths" and "formats" give each parameter's length
 * in bytes and its format (0 text, 1 binary), or NULL for all text, as
 * libpq takes them.  With "result_format" 1 every column comes back in
 * binary format: bytea as its raw bytes, with PQgetlength() as the length.
 */
enum sscn_err db_exec_params(struct db *, const char *request_id,
	    const char *name, int nparams, const char *const *params,
	    const int *lengths, const int *formats, int result_format,
	    struct pg_result **result) SSCN_WARN_UNUSED;

/* db_exec() for callers that may not need the result: "result" may be NULL. */
enum sscn_err db_run(struct db *, const char *request_id, const char *name,
	    int nparams, const char *const *params, struct pg_result **result)
	    SSCN_WARN_UNUSED;

/* One statement of db_pipeline(). */
struct db_step {
	const char		*name;	/* prepared statement, or DB_STEP_BEGIN */
	int			 nparams;
	const char *const	*params;
	struct pg_result	*res;	/* set by db_pipeline(); caller PQclear()s */
};
#define DB_STEP_BEGIN	"BEGIN"
#define DB_STEP_COMMIT	"COMMIT"
#define DB_STEP_SYNC	"SYNC"

/*
 * Run "n" statements in one round trip (libpq pipeline mode) ending with
 * one Sync.  A DB_STEP_SYNC step sends a Sync in between (its "res" stays
 * NULL), so the statements before it commit on their own and a failure
 * there aborts none after it.  Between Syncs, without a DB_STEP_BEGIN, the
 * statements form one implicit transaction, so settings made with
 * set_config(..., true) reach the later statements and end with it.  A
 * DB_STEP_BEGIN step opens an explicit transaction that stays open
 * (db->in_transaction) for db_commit() or db_rollback(), or for a
 * DB_STEP_COMMIT step of this or a later call.  That step commits as
 * db_commit() does: while db->defer_commit is set it only marks the
 * commit deferred, and its "res" stays NULL.  Each statement runs
 * whatever the earlier ones returned, so a step that must stop the rest
 * has to fail, not return no rows.
 * On SSCN_OK every step's "res" is the caller's to PQclear().  On failure
 * all are NULL, any transaction is rolled back, and the error is mapped
 * and logged as db_exec() does.  Outside a transaction, a lost
 * connection is retried once on a new connection when every step is
 * retry_safe or the server cannot have run any.  That is the case when
 * the send failed before a Sync or COMMIT went out, or when the server's
 * first result reports that it had ended the session.  Otherwise the
 * call returns SSCN_ERR_UNAVAILABLE.
 */
enum sscn_err db_pipeline(struct db *, const char *request_id,
	    struct db_step *steps, size_t n) SSCN_WARN_UNUSED;

enum sscn_err db_begin(struct db *, const char *request_id) SSCN_WARN_UNUSED;
enum sscn_err db_commit(struct db *, const char *request_id) SSCN_WARN_UNUSED;
void	db_rollback(struct db *, const char *request_id);
void	db_close(struct db *);

/* ---- worker and master (worker.c, master.c) ------------------------- */

struct sscn_keys;
struct password_policy;
struct common_list;

struct worker {
	const struct sscn_conf	*conf;
	struct db		 db;
	const struct sscn_keys	*keys;		/* the master's, by fork() */
	struct password_policy	*password_policy;
	struct common_list	*common_passwords;	/* NULL: list failed */
	int			 listen_fd;
	unsigned		 index;		/* slot in the pool, for logs */
	unsigned long		 requests;
	uint64_t		 rate_expired_us;	/* last ratelimit_expire() */
};

/*
 * Set w->password_policy to "policy", filled from w->conf, and load the
 * common-password list.  A failure is logged and leaves the worker
 * serving, so that health and everything else keep working.
 */
void	worker_load_auth(struct worker *w, struct password_policy *policy);

/*
 * Run a worker's accept loop on "listen_fd" and return the process exit
 * status.  SIGTERM stops it after the request in progress; SIGQUIT after
 * it has also served every connection left in the listen queue.
 */
int	worker_run(const struct sscn_conf *conf,
	    const struct sscn_keys *keys, int listen_fd,
	    unsigned index);

/*
 * Run the master: own "listen_fd", keep conf->workers workers alive, reload
 * "conf_path" on SIGHUP and stop on SIGTERM or SIGINT.  Returns the exit
 * status for main().  "conf" is replaced on reload and freed on return.
 * "socket_path" (copied; NULL for none) is the socket's file, which the
 * master removes when the stop begins, or on return at the latest.
 * "keys", read by main() before it dropped privileges, pass to every worker
 * by fork().  The master reads the key file again on SIGHUP and frees the
 * keys on return.  Workers never open the key file.
 */
int	master_run(struct sscn_conf *conf, const char *conf_path,
	    int listen_fd, const char *socket_path, struct sscn_keys *keys);

/*
 * Open the FastCGI listening socket from the configuration, or take the one
 * systemd passed (LISTEN_FDS).  Returns the descriptor or -1, logged.
 */
int	socket_open(const struct sscn_conf *conf, bool *owned);

/*
 * Copy the file system path that the unix socket "fd" is bound to into
 * "buf".  Returns -1 for an unnamed or abstract socket, or one whose path
 * does not fit.
 */
int	socket_bound_path(int fd, char *buf, size_t len);

/* Drop to conf->user and conf->group when running as root. */
int	privdrop(const struct sscn_conf *conf) SSCN_WARN_UNUSED;

/* ---- audit log and mail outbox (audit.c, outbox.c) ----------------- */

/*
 * Insert one audit row in the current transaction.  "result" is
 * "success", "failure" or "denied"; "details" (may be NULL, not consumed)
 * must hold no secret.  NULL or "" ids are stored as NULL.
 */
enum sscn_err audit_write(struct http_request *, const char *actor_id,
	    const char *organization_id, const char *action, const char *target,
	    const char *result, struct json_object *details) SSCN_WARN_UNUSED;

/* Maximum bytes of a stored user agent; the column allows 512 characters. */
#define AUDIT_USER_AGENT_MAX	256
#define AUDIT_ROW_PARAMS	9

/* The parameters of one audit row, for audit_step(). */
struct audit_row {
	const char	*params[AUDIT_ROW_PARAMS];
	char		 agent[AUDIT_USER_AGENT_MAX + 1];
};

/*
 * Fill "step" with the insert of the audit_write() row, for a
 * db_pipeline() that runs it with the change.  "row" contains the
 * parameters, and it and "details" must live until the pipeline has run.
 */
void	audit_step(struct http_request *, const char *actor_id,
	    const char *organization_id, const char *action, const char *target,
	    const char *result, struct json_object *details,
	    struct audit_row *row, struct db_step *step);

/* Queue one mail in the current transaction; CR or LF in headers fail. */
enum sscn_err outbox_queue(struct http_request *, const char *recipient,
	    const char *subject, const char *body, const char *template_name)
	    SSCN_WARN_UNUSED;

struct mail_value;

/*
 * Render the template "template_name" of mail_templates.c with "values"
 * (ended by a NULL name) and queue it with outbox_queue().  A rendering
 * failure is logged and returned; nothing is queued then.
 */
enum sscn_err outbox_queue_template(struct http_request *,
	    const char *recipient, const char *template_name,
	    const struct mail_value *values) SSCN_WARN_UNUSED;

/*
 * Returns base_url, "path" and "suffix" (a token or an id) as one new
 * string for a {{link}} value, or NULL when out of memory.  Free it with
 * mail_text_free(), which overwrites the token.
 */
char	*outbox_link(const struct http_request *, const char *path,
	    const char *suffix);

/* ---- authentication (auth/authn.c) ---------------------------------- */

/* Cookie names; the __Host- prefix pins them to this host, path / and TLS. */
#define AUTH_SESSION_COOKIE	"__Host-sscn_session"
#define AUTH_CSRF_COOKIE	"__Host-sscn_csrf"

/*
 * Authenticate the request: the access JWT from "Authorization: Bearer" or
 * the session cookie, then the session row (revoked, idle and absolute
 * limits).  A cookie-authenticated POST, PUT, PATCH or DELETE must carry
 * X-CSRF-Token equal to the CSRF cookie.  On success fills req's
 * authentication fields and leaves a transaction open whose row-level
 * security settings (sscn.user_id, sscn.org_id, sscn.org_role and
 * sscn.org_kind, all SET LOCAL) the statement that checks the session has set; BEGIN and that
 * statement take one round trip.  The handler commits or rolls back;
 * http_serve() rolls back what a handler leaves open.  The route must
 * have ROUTE_AUTH.  Returns SSCN_ERR_UNAUTHORIZED, SSCN_ERR_FORBIDDEN
 * (CSRF) or SSCN_ERR_UNAVAILABLE, all logged, with no transaction open.
 */
enum sscn_err authn_require(struct http_request *) SSCN_WARN_UNUSED;

/*
 * authn_require() that also runs the "n" (at most AUTHN_PIPELINE_MAX)
 * statements of "steps" in the transaction it opens, in the same round
 * trip as the session check: reads that the handler needs before it can
 * decide anything.  On SSCN_OK each step's "res" is the caller's to
 * PQclear(); on failure all are NULL.
 */
enum sscn_err authn_require_with(struct http_request *, struct db_step *steps,
	    size_t n) SSCN_WARN_UNUSED;

/*
 * Check the access token without touching the database: present, CSRF for
 * a cookie-authenticated unsafe method, signature, claims, and exp with
 * "exp_leeway" seconds of grace (iat and nbf always get 60).  Fills
 * "claims"; rejections are logged with their reason, never the token.
 */
struct jwt_claims;
enum sscn_err authn_verify_token(struct http_request *, int64_t exp_leeway,
	    struct jwt_claims *claims) SSCN_WARN_UNUSED;

/*
 * Run authn_require() with a statement that extends the session check, so
 * that one statement authenticates and reads.  "name" takes the session
 * check's parameters and starts with its columns (SESSION_CHECK_COLUMNS in
 * api/statements.c); its own columns start at AUTHN_SESSION_COLUMNS.  On
 * SSCN_OK "*res" (caller PQclear()s) contains the one row.  "name" must
 * only read.
 */
#define AUTHN_SESSION_COLUMNS 12
enum sscn_err authn_require_as(struct http_request *, const char *name,
	    struct pg_result **res) SSCN_WARN_UNUSED;

/*
 * authn_require() for reads that need row-level security: the session
 * check and then the "n" (at most AUTHN_PIPELINE_MAX) statements of
 * "steps" in one round trip and one implicit transaction, so the check's
 * settings apply to them and no transaction stays open.  The steps run
 * whatever the check finds.  For a session that is not open they run
 * without settings, so the policies return no rows to them, and the
 * results of any rejected session are discarded.  On SSCN_OK each step's
 * "res" is the caller's to PQclear(); on failure all are NULL.  The steps
 * must only read.  A signed request is checked by authn_require() instead,
 * and the steps run in the transaction it leaves open.
 */
#define AUTHN_PIPELINE_MAX 4
enum sscn_err authn_require_pipeline(struct http_request *,
	    struct db_step *steps, size_t n) SSCN_WARN_UNUSED;

/*
 * authn_require(), then api_validation_check() on "fields" (consumed), so
 * that a request without a login gets 401 whatever its body contains and
 * a logged-in one learns every problem of its body at once.  On SSCN_OK
 * the transaction of authn_require() is open.
 */
enum sscn_err authn_require_valid(struct http_request *,
	    struct json_object *fields) SSCN_WARN_UNUSED;

/* Unix time now, from the real-time clock. */
int64_t	authn_now(void);

/*
 * For sensitive actions after authn_require(): SSCN_ERR_REAUTH unless the
 * session's login is younger than reauthentication_window.
 */
enum sscn_err authn_require_recent(struct http_request *) SSCN_WARN_UNUSED;

/* For admin endpoints: admin role and an MFA-verified (aal2) session. */
enum sscn_err authn_require_admin(struct http_request *) SSCN_WARN_UNUSED;

/*
 * Check that the transaction authn_require() opened is still open: a
 * reconnect since then would have ended it and its settings
 * (SSCN_ERR_UNAVAILABLE).
 */
enum sscn_err authn_begin(struct http_request *) SSCN_WARN_UNUSED;

/* ---- shared checks of the sourcing API (validate.c) ---------------- */

/*
 * A text field: json_get_string()'s checks, then the text is normalized to
 * Unicode NFC, and refused with a field problem when it has control
 * characters (newline and tab pass only when "multiline") or more than
 * "max_chars" characters.  The normalized text replaces the field's value
 * in "obj", and "*out" points to it for as long as "obj" lives.
 */
enum sscn_err json_get_text(struct json_object *obj, const char *field,
	    bool required, size_t max_chars, bool multiline, const char **out,
	    struct json_object *fields) SSCN_WARN_UNUSED;

enum query_status {
	QUERY_ABSENT,
	QUERY_FOUND,
	QUERY_INVALID	/* bad %-escape, NUL, not UTF-8 or too long */
};

/* Find "name" in a raw query string and percent-decode its value. */
enum query_status query_get(const char *query, const char *name, char *out,
	    size_t outlen);

/*
 * Read query parameter "name" into "out"; true when present.  A value
 * that cannot be decoded is a problem in "fields", and "out" is "" unless
 * the parameter was found.
 */
bool	query_param(const char *query, const char *name, char *out,
	    size_t outlen, struct json_object *fields);

#define PAGING_DEFAULT	20
#define PAGING_MAX	100

/* ?limit= (1 to 100, default 20) and the opaque ?cursor= of a list. */
struct paging {
	int	limit;
	char	fetch[12];	/* limit + 1 as text, for the statement */
	char	cursor[256];	/* "" for the first page */
	/* A keyed cursor, decoded; both "" on the first page. */
	char	after_key[21];	/* sort key of the last row shown */
	char	after_id[37];	/* and its id */
};

/*
 * Parse ?limit= and ?cursor=; problems go into "fields" as
 * SSCN_ERR_VALIDATION.  The handler checks the cursor's content itself,
 * or calls paging_parse_keyed() instead.  A list statement reads
 * "fetch" rows: a row more than the page shows that another follows.
 */
enum sscn_err paging_parse(const char *query, struct paging *,
	    struct json_object *fields) SSCN_WARN_UNUSED;

/*
 * Add the problem of a ?cursor= that is no next_cursor value of the list
 * to "fields"; returns SSCN_ERR_VALIDATION.
 */
enum sscn_err paging_cursor_invalid(struct json_object *fields);

/*
 * Keyed cursors, for lists sorted by a time and then an id, are the
 * base64url form (RFC 4648, section 5, no padding) of "KEY|ID".  KEY is
 * the last row's sort key in microseconds since the epoch (1 to 20
 * digits) and ID is its UUID.  A cursor fits in PAGING_CURSOR_MAX bytes.
 */
#define PAGING_CURSOR_MAX 128

/* The cursor after "key" and "id" into "out"; "" when it does not fit. */
void	paging_cursor_encode(const char *key, const char *id, char *out,
	    size_t outlen);

/*
 * paging_parse() for a list with keyed cursors: a given cursor is
 * decoded into "after_key" and "after_id", and one that
 * paging_cursor_encode() did not make is a problem in "fields".
 */
enum sscn_err paging_parse_keyed(const char *query, struct paging *,
	    struct json_object *fields);

/*
 * The body of one page of a keyed list: {"items": "items" (consumed),
 * "next_cursor"}.  "res" contains the rows read with "fetch".  When it has
 * more than the page, next_cursor is the cursor after the page's last
 * row, whose sort key and id are columns "key_col" and "id_col",
 * otherwise null.  The caller puts the result.
 */
struct json_object *paging_page_json(const struct paging *,
	    struct json_object *items, const struct pg_result *res,
	    int key_col, int id_col);

enum code_kind {
	CODE_COUNTRY = 0,	/* ISO 3166-1 alpha-2 */
	CODE_CURRENCY = 1,	/* ISO 4217 */
	CODE_CATEGORY = 2	/* sscn.categories */
};

/*
 * Set "*valid" to whether "code" is in the list.  The lists are read from
 * PostgreSQL on first use and kept for the worker's life.
 */
enum sscn_err codes_check(struct http_request *, enum code_kind,
	    const char *code, bool *valid) SSCN_WARN_UNUSED;

/* ---- API handlers (api/) -------------------------------------------- */

enum sscn_err health_root(struct http_request *);
enum sscn_err health_live(struct http_request *);
enum sscn_err health_ready(struct http_request *);
enum sscn_err metrics_get(struct http_request *);
enum sscn_err test_echo(struct http_request *);
enum sscn_err test_fail(struct http_request *);

/* db_run() on the request's connection, with its request id in logs. */
enum sscn_err api_db(struct http_request *, const char *name, int nparams,
	    const char *const *params, struct pg_result **result)
	    SSCN_WARN_UNUSED;

/*
 * Send 400 validation_failed with "fields" (consumed) and return
 * SSCN_ERR_VALIDATION, so that a handler can return it at once: the
 * response is sent, so http_serve() sends nothing more.
 */
enum sscn_err api_validation_failed(struct http_request *,
	    struct json_object *fields);

/*
 * Roll back the request's transaction and return "err", for the failure
 * paths of handlers that write.
 */
enum sscn_err api_rollback(struct http_request *, enum sscn_err err);

/*
 * Commit the request's transaction and send "body" (consumed) with
 * "status".  When the commit fails, roll back, send nothing and return
 * the error.
 */
enum sscn_err api_commit_send(struct http_request *, int status,
	    struct json_object *body) SSCN_WARN_UNUSED;

/* Column "col" of row "row" as a JSON string; SQL NULL is JSON null. */
struct json_object *api_json_text(const struct pg_result *, int row,
	    int col);

/*
 * Add one member per name of the NULL-terminated "names" to "obj", the
 * text of row "row" column by column from column 0 (api_json_text()).
 */
void	api_json_columns(struct json_object *obj, const struct pg_result *,
	    int row, const char *const *names);

/*
 * End a validation: api_validation_failed() when "fields" contains a
 * problem, otherwise SSCN_OK.  "fields" is consumed either way.
 */
enum sscn_err api_validation_check(struct http_request *,
	    struct json_object *fields);

enum sscn_err auth_register(struct http_request *);
enum sscn_err me_organizations(struct http_request *);
enum sscn_err me_organization_switch(struct http_request *);
enum sscn_err auth_verify_email(struct http_request *);
enum sscn_err auth_password_check(struct http_request *);
enum sscn_err auth_login(struct http_request *);
enum sscn_err auth_refresh(struct http_request *);
enum sscn_err auth_logout(struct http_request *);
enum sscn_err auth_sessions_list(struct http_request *);
enum sscn_err auth_sessions_revoke(struct http_request *);
enum sscn_err me_get(struct http_request *);
enum sscn_err me_patch(struct http_request *);
enum sscn_err legal_get(struct http_request *);
enum sscn_err legal_accept(struct http_request *);
enum sscn_err auth_mfa_verify(struct http_request *);
enum sscn_err auth_totp_setup(struct http_request *);
enum sscn_err auth_totp_confirm(struct http_request *);
enum sscn_err auth_totp_disable(struct http_request *);
enum sscn_err auth_recovery_codes(struct http_request *);
enum sscn_err auth_password_change(struct http_request *);
enum sscn_err auth_password_forgot(struct http_request *);
enum sscn_err auth_password_reset(struct http_request *);
enum sscn_err admin_users_list(struct http_request *);
enum sscn_err admin_user_lock(struct http_request *);
enum sscn_err admin_user_unlock(struct http_request *);
enum sscn_err admin_access_review(struct http_request *);
enum sscn_err admin_access_review_sign_off(struct http_request *);

#endif /* SSCN_H */
