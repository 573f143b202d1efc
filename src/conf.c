/*
 * conf.c - the sscn.conf parser.
 *
 * Grammar, one setting per line:
 *
 *	line    = *WSP [ setting ] *WSP [ comment ]
 *	setting = key *WSP "=" *WSP value
 *	key     = ( %x61-7A / "_" ) *( %x61-7A / DIGIT / "_" )
 *	value   = quoted / bare
 *	quoted  = DQUOTE *( char / "\" DQUOTE / "\\" ) DQUOTE
 *	bare    = 1*( any byte but "#" and NUL ), trailing blanks removed
 *	comment = "#" *( any byte )
 *
 * Error handling: the first problem stops parsing and is reported as
 * "file:line: reason" in the caller's buffer, because sscnd must refuse to
 * start on a file it does not fully understand.  Numbers are bounded per
 * key.  The file may hold database passwords, so conf_load() refuses a file
 * that "other" can read or write, and conf_free() wipes the connection
 * strings before freeing them.  Nothing here logs.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sscn.h"
#include "sentry.h"

/* Maximum bytes of sentry_environment and sentry_release in Sentry. */
#define CONF_SENTRY_ENVIRONMENT_MAX	64
#define CONF_SENTRY_RELEASE_MAX		200

/* Largest configuration file read; real ones are a few hundred bytes. */
#define CONF_FILE_MAX (64 * 1024)
/* Longest value, enough for a libpq connection string with options. */
#define CONF_VALUE_MAX 1024

enum conf_type {
	CONF_STRING,
	CONF_UINT,
	CONF_SIZE,
	CONF_MODE,
	CONF_BOOL,
	CONF_LOG_LEVEL
};

/*
 * Seven years of 365.25 days: the audit log is kept at least this long.
 * Retention periods end at 30 years, which still fits an unsigned int.
 */
#define CONF_AUDIT_RETENTION_MIN 220903200ULL
#define CONF_RETENTION_MAX (30ULL * 365 * 86400)

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 offset;
	unsigned long long min;
	unsigned long long max;
};

#define CONF_FIELD(f) offsetof(struct sscn_conf, f)

static const struct conf_key conf_keys[] = {
	{ "socket", CONF_STRING, CONF_FIELD(socket_path), 0, 0 },
	{ "socket_owner", CONF_STRING, CONF_FIELD(socket_owner), 0, 0 },
	{ "socket_group", CONF_STRING, CONF_FIELD(socket_group), 0, 0 },
	{ "socket_mode", CONF_MODE, CONF_FIELD(socket_mode), 0, 0777 },
	{ "user", CONF_STRING, CONF_FIELD(user), 0, 0 },
	{ "group", CONF_STRING, CONF_FIELD(group), 0, 0 },
	{ "workers", CONF_UINT, CONF_FIELD(workers), 0, 256 },
	{ "shutdown_timeout", CONF_UINT, CONF_FIELD(shutdown_timeout), 1, 3600 },
	{ "respawn_delay_max", CONF_UINT, CONF_FIELD(respawn_delay_max),
	    1, 3600 },
	{ "max_body_size", CONF_SIZE, CONF_FIELD(max_body_size),
	    1024, 64ULL * 1024 * 1024 },
	{ "database", CONF_STRING, CONF_FIELD(database), 0, 0 },
	{ "database_owner", CONF_STRING, CONF_FIELD(database_owner), 0, 0 },
	{ "database_maintenance", CONF_STRING,
	    CONF_FIELD(database_maintenance), 0, 0 },
	{ "database_restore", CONF_STRING, CONF_FIELD(database_restore),
	    0, 0 },
	{ "backup_dir", CONF_STRING, CONF_FIELD(backup_dir), 0, 0 },
	{ "backup_keep", CONF_UINT, CONF_FIELD(backup_keep), 1, 10000 },
	{ "pg_bin_dir", CONF_STRING, CONF_FIELD(pg_bin_dir), 0, 0 },
	{ "db_connect_timeout", CONF_UINT, CONF_FIELD(db_connect_timeout),
	    1, 60 },
	{ "db_statement_timeout", CONF_UINT, CONF_FIELD(db_statement_timeout),
	    0, 3600000 },
	{ "data_dir", CONF_STRING, CONF_FIELD(data_dir), 0, 0 },
	{ "sql_dir", CONF_STRING, CONF_FIELD(sql_dir), 0, 0 },
	{ "log_level", CONF_LOG_LEVEL, CONF_FIELD(log_level), 0, 0 },
	{ "enable_test_routes", CONF_BOOL, CONF_FIELD(enable_test_routes),
	    0, 0 },
	{ "key_file", CONF_STRING, CONF_FIELD(key_file), 0, 0 },
	{ "jwt_signing_key", CONF_STRING, CONF_FIELD(jwt_signing_key), 0, 0 },
	{ "jwt_issuer", CONF_STRING, CONF_FIELD(jwt_issuer), 0, 0 },
	{ "jwt_audience", CONF_STRING, CONF_FIELD(jwt_audience), 0, 0 },
	{ "base_url", CONF_STRING, CONF_FIELD(base_url), 0, 0 },
	{ "access_token_ttl", CONF_UINT, CONF_FIELD(access_token_ttl),
	    10, 86400 },
	{ "session_idle_timeout", CONF_UINT, CONF_FIELD(session_idle_timeout),
	    10, 86400 },
	{ "session_absolute_timeout", CONF_UINT,
	    CONF_FIELD(session_absolute_timeout), 10, 30 * 86400 },
	{ "max_sessions", CONF_UINT, CONF_FIELD(max_sessions), 1, 100 },
	{ "lockout_threshold", CONF_UINT, CONF_FIELD(lockout_threshold),
	    1, 100 },
	{ "lockout_duration", CONF_UINT, CONF_FIELD(lockout_duration),
	    1, 86400 },
	{ "address_failure_limit", CONF_UINT,
	    CONF_FIELD(address_failure_limit), 1, 100000 },
	{ "address_failure_window", CONF_UINT,
	    CONF_FIELD(address_failure_window), 1, 86400 },
	{ "reauthentication_window", CONF_UINT,
	    CONF_FIELD(reauthentication_window), 10, 86400 },
	{ "rate_limit", CONF_UINT, CONF_FIELD(rate_limit), 0, 1000000000 },
	{ "rate_limit_window", CONF_UINT, CONF_FIELD(rate_limit_window),
	    1, 86400 },
	{ "rate_limit_login", CONF_UINT, CONF_FIELD(rate_limit_login),
	    1, 1000000000 },
	{ "rate_limit_mfa", CONF_UINT, CONF_FIELD(rate_limit_mfa),
	    1, 1000000000 },
	{ "rate_limit_register", CONF_UINT, CONF_FIELD(rate_limit_register),
	    1, 1000000000 },
	{ "rate_limit_password_reset", CONF_UINT,
	    CONF_FIELD(rate_limit_password_reset), 1, 1000000000 },
	{ "verify_token_ttl", CONF_UINT, CONF_FIELD(verify_token_ttl),
	    10, 30 * 86400 },
	{ "reset_token_ttl", CONF_UINT, CONF_FIELD(reset_token_ttl),
	    10, 86400 },
	{ "mfa_token_ttl", CONF_UINT, CONF_FIELD(mfa_token_ttl), 10, 3600 },
	{ "password_min_length", CONF_UINT, CONF_FIELD(password_min_length),
	    1, 128 },
	{ "password_max_length", CONF_UINT, CONF_FIELD(password_max_length),
	    8, 1024 },
	{ "password_require_upper", CONF_BOOL,
	    CONF_FIELD(password_require_upper), 0, 0 },
	{ "password_require_lower", CONF_BOOL,
	    CONF_FIELD(password_require_lower), 0, 0 },
	{ "password_require_digit", CONF_BOOL,
	    CONF_FIELD(password_require_digit), 0, 0 },
	{ "password_min_score", CONF_UINT, CONF_FIELD(password_min_score),
	    0, 4 },
	{ "password_common_list", CONF_STRING,
	    CONF_FIELD(password_common_list), 0, 0 },
	{ "argon2_opslimit", CONF_UINT, CONF_FIELD(argon2_opslimit), 1, 64 },
	{ "argon2_memlimit", CONF_SIZE, CONF_FIELD(argon2_memlimit),
	    8192, 4096ULL * 1024 * 1024 },
	{ "outbound_ca_file", CONF_STRING, CONF_FIELD(outbound_ca_file), 0, 0 },
	{ "outbound_proxy", CONF_STRING, CONF_FIELD(outbound_proxy), 0, 0 },
	{ "outbound_connect_timeout", CONF_UINT,
	    CONF_FIELD(outbound_connect_timeout), 1, 60 },
	{ "outbound_timeout", CONF_UINT, CONF_FIELD(outbound_timeout), 1, 300 },
	{ "outbound_max_response", CONF_SIZE, CONF_FIELD(outbound_max_response),
	    1024, 64ULL * 1024 * 1024 },
	{ "sentry_dsn", CONF_STRING, CONF_FIELD(sentry_dsn), 0, 0 },
	{ "sentry_environment", CONF_STRING, CONF_FIELD(sentry_environment),
	    0, 0 },
	{ "sentry_release", CONF_STRING, CONF_FIELD(sentry_release), 0, 0 },
	{ "smtp_url", CONF_STRING, CONF_FIELD(smtp_url), 0, 0 },
	{ "smtp_require_tls", CONF_BOOL, CONF_FIELD(smtp_require_tls), 0, 0 },
	{ "smtp_ca_file", CONF_STRING, CONF_FIELD(smtp_ca_file), 0, 0 },
	{ "smtp_username", CONF_STRING, CONF_FIELD(smtp_username), 0, 0 },
	{ "smtp_password_file", CONF_STRING, CONF_FIELD(smtp_password_file),
	    0, 0 },
	{ "smtp_timeout", CONF_UINT, CONF_FIELD(smtp_timeout), 1, 600 },
	{ "mail_from", CONF_STRING, CONF_FIELD(mail_from), 0, 0 },
	{ "mail_from_name", CONF_STRING, CONF_FIELD(mail_from_name), 0, 0 },
	{ "mail_poll_interval", CONF_UINT, CONF_FIELD(mail_poll_interval),
	    1, 3600 },
	{ "mail_retry_delay", CONF_UINT, CONF_FIELD(mail_retry_delay),
	    1, 86400 },
	{ "mail_retry_delay_max", CONF_UINT, CONF_FIELD(mail_retry_delay_max),
	    1, 7 * 86400 },
	{ "mail_max_attempts", CONF_UINT, CONF_FIELD(mail_max_attempts),
	    1, 100 },
	{ "linkedin_client_id", CONF_STRING, CONF_FIELD(linkedin_client_id),
	    0, 0 },
	{ "linkedin_client_secret_file", CONF_STRING,
	    CONF_FIELD(linkedin_client_secret_file), 0, 0 },
	{ "linkedin_authorization_endpoint", CONF_STRING,
	    CONF_FIELD(linkedin_authorization_endpoint), 0, 0 },
	{ "linkedin_token_endpoint", CONF_STRING,
	    CONF_FIELD(linkedin_token_endpoint), 0, 0 },
	{ "linkedin_jwks_uri", CONF_STRING, CONF_FIELD(linkedin_jwks_uri),
	    0, 0 },
	{ "linkedin_issuer", CONF_STRING, CONF_FIELD(linkedin_issuer), 0, 0 },
	{ "linkedin_scope", CONF_STRING, CONF_FIELD(linkedin_scope), 0, 0 },
	{ "linkedin_redirect_uri", CONF_STRING,
	    CONF_FIELD(linkedin_redirect_uri), 0, 0 },
	{ "linkedin_pkce", CONF_BOOL, CONF_FIELD(linkedin_pkce), 0, 0 },
	{ "linkedin_nonce", CONF_BOOL, CONF_FIELD(linkedin_nonce), 0, 0 },
	{ "linkedin_timeout", CONF_UINT, CONF_FIELD(linkedin_timeout), 1, 60 },
	{ "linkedin_jwks_max_age", CONF_UINT,
	    CONF_FIELD(linkedin_jwks_max_age), 60, 7 * 86400 },
	{ "linkedin_leeway", CONF_UINT, CONF_FIELD(linkedin_leeway), 0, 300 },
	{ "deletion_grace", CONF_UINT, CONF_FIELD(deletion_grace),
	    1, 365 * 86400 },
	{ "retention_sessions", CONF_UINT, CONF_FIELD(retention_sessions),
	    0, CONF_RETENTION_MAX },
	{ "retention_tokens", CONF_UINT, CONF_FIELD(retention_tokens),
	    0, CONF_RETENTION_MAX },
	{ "retention_mail", CONF_UINT, CONF_FIELD(retention_mail),
	    0, CONF_RETENTION_MAX },
	{ "retention_unverified", CONF_UINT,
	    CONF_FIELD(retention_unverified), 86400, CONF_RETENTION_MAX },
	{ "retention_login_failures", CONF_UINT,
	    CONF_FIELD(retention_login_failures), 86400, CONF_RETENTION_MAX },
	{ "retention_audit_log", CONF_UINT, CONF_FIELD(retention_audit_log),
	    CONF_AUDIT_RETENTION_MIN, CONF_RETENTION_MAX },
	{ "retention_consents", CONF_UINT, CONF_FIELD(retention_consents),
	    86400, CONF_RETENTION_MAX },
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static char *
conf_strdup(const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL) {
		fprintf(stderr, "out of memory while reading the configuration\n");
		exit(1);
	}
	return copy;
}

void
conf_defaults(struct sscn_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->socket_path = conf_strdup("/run/sscn/sscnd.sock");
	conf->socket_mode = 0660;
	conf->workers = 0;
	conf->shutdown_timeout = 30;
	conf->respawn_delay_max = 30;
	conf->max_body_size = 1024 * 1024;
	conf->db_connect_timeout = 5;
	conf->db_statement_timeout = 5000;
	conf->data_dir = conf_strdup(LOCALSTATEDIR "/lib/sscn");
	conf->sql_dir = conf_strdup(PKGDATADIR "/sql");
	conf->backup_dir = conf_strdup(LOCALSTATEDIR "/backups/sscn");
	conf->backup_keep = 48;
	conf->pg_bin_dir = conf_strdup("/usr/bin");
	conf->log_level = LOG_LEVEL_INFO;
	conf->enable_test_routes = false;

	conf->key_file = conf_strdup(SYSCONFDIR "/sscn/keys");
	conf->jwt_issuer = conf_strdup("sscn");
	conf->jwt_audience = conf_strdup("sscn-api");
	conf->base_url = conf_strdup("https://localhost:8443");
	conf->access_token_ttl = 900;
	conf->session_idle_timeout = 1800;
	conf->session_absolute_timeout = 86400;
	conf->max_sessions = 5;
	conf->lockout_threshold = 5;
	conf->lockout_duration = 900;
	conf->address_failure_limit = 100;
	conf->address_failure_window = 900;
	conf->reauthentication_window = 600;
	conf->rate_limit = 60;
	conf->rate_limit_window = 60;
	conf->rate_limit_login = 10;
	conf->rate_limit_mfa = 10;
	conf->rate_limit_register = 5;
	conf->rate_limit_password_reset = 5;
	conf->verify_token_ttl = 86400;
	conf->reset_token_ttl = 1800;
	conf->mfa_token_ttl = 300;

	/* Argon2id at libsodium's INTERACTIVE limits (2 passes, 64 MiB). */
	conf->password_min_length = 8;
	conf->password_max_length = 128;
	conf->password_require_upper = true;
	conf->password_require_lower = true;
	conf->password_require_digit = true;
	conf->password_min_score = 3;
	conf->password_common_list = conf_strdup(PKGDATADIR
	    "/common-passwords.txt");
	conf->argon2_opslimit = 2;
	conf->argon2_memlimit = 64 * 1024 * 1024;

	conf->outbound_connect_timeout = 5;
	conf->outbound_timeout = 10;
	conf->outbound_max_response = 1024 * 1024;
	conf->sentry_environment = conf_strdup("production");
	conf->smtp_url = conf_strdup("smtp://localhost:25");
	conf->smtp_require_tls = true;
	conf->smtp_timeout = 60;
	conf->mail_from = conf_strdup("sscn@localhost");
	conf->mail_from_name = conf_strdup("SSCN");
	conf->mail_poll_interval = 5;
	/* 1, 2, 4 ... minutes up to 6 hours: 10 attempts span about 8.5 h. */
	conf->mail_retry_delay = 60;
	conf->mail_retry_delay_max = 6 * 3600;
	conf->mail_max_attempts = 10;

	/* LinkedIn's published values for Sign In with LinkedIn (OpenID). */
	conf->linkedin_authorization_endpoint = conf_strdup(
	    "https://www.linkedin.com/oauth/v2/authorization");
	conf->linkedin_token_endpoint = conf_strdup(
	    "https://www.linkedin.com/oauth/v2/accessToken");
	conf->linkedin_jwks_uri = conf_strdup(
	    "https://www.linkedin.com/oauth/openid/jwks");
	conf->linkedin_issuer = conf_strdup("https://www.linkedin.com/oauth");
	conf->linkedin_scope = conf_strdup("openid profile email");
	conf->linkedin_pkce = false;
	conf->linkedin_nonce = false;
	conf->linkedin_timeout = 10;
	conf->linkedin_jwks_max_age = 3600;
	conf->linkedin_leeway = 60;
	conf->deletion_grace = 30 * 86400;
	conf->retention_sessions = 90 * 86400;
	conf->retention_tokens = 7 * 86400;
	conf->retention_mail = 30 * 86400;
	conf->retention_unverified = 30 * 86400;
	conf->retention_login_failures = 7 * 86400;
	conf->retention_audit_log = CONF_AUDIT_RETENTION_MIN;
	/* Thirteen months, after which the cookie banner is shown again. */
	conf->retention_consents = 395 * 86400;
}

static void
conf_free_secret(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

unsigned
conf_worker_count(const struct sscn_conf *conf)
{
	long cpus;

	if (conf->workers > 0)
		return conf->workers > 256 ? 256 : conf->workers;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return cpus > 128 ? 256 : (unsigned)cpus * 2;
}

void
conf_free(struct sscn_conf *conf)
{
	conf_free_secret(&conf->database);
	conf_free_secret(&conf->database_owner);
	conf_free_secret(&conf->database_maintenance);
	conf_free_secret(&conf->database_restore);
	free(conf->backup_dir);
	free(conf->pg_bin_dir);
	free(conf->socket_path);
	free(conf->socket_owner);
	free(conf->socket_group);
	free(conf->user);
	free(conf->group);
	free(conf->data_dir);
	free(conf->sql_dir);
	free(conf->key_file);
	free(conf->jwt_signing_key);
	free(conf->jwt_issuer);
	free(conf->jwt_audience);
	free(conf->base_url);
	free(conf->password_common_list);
	free(conf->outbound_ca_file);
	free(conf->outbound_proxy);
	conf_free_secret(&conf->sentry_dsn);
	free(conf->sentry_environment);
	free(conf->sentry_release);
	free(conf->smtp_url);
	free(conf->smtp_ca_file);
	free(conf->smtp_username);
	free(conf->smtp_password_file);
	free(conf->mail_from);
	free(conf->mail_from_name);
	free(conf->linkedin_client_id);
	free(conf->linkedin_client_secret_file);
	free(conf->linkedin_authorization_endpoint);
	free(conf->linkedin_token_endpoint);
	free(conf->linkedin_jwks_uri);
	free(conf->linkedin_issuer);
	free(conf->linkedin_scope);
	free(conf->linkedin_redirect_uri);
	memset(conf, 0, sizeof(*conf));
}

static const struct conf_key *
conf_find_key(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

/*
 * Parse a decimal number with an optional k or M suffix (powers of 1024,
 * allowed only when "suffixes" is true) within [min, max].  Returns 0 or -1
 * with "reason" set.
 */
static int
conf_parse_number(const char *value, bool suffixes, int base,
    unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **reason)
{
	unsigned long long	 n;
	unsigned long long	 multiplier = 1;
	char			*end;

	if (!isdigit((unsigned char)value[0])) {
		*reason = "is not a non-negative whole number";
		return -1;
	}

	errno = 0;
	n = strtoull(value, &end, base);
	if (errno == ERANGE) {
		*reason = "is too large";
		return -1;
	}

	if (suffixes && (*end == 'k' || *end == 'K')) {
		multiplier = 1024;
		end++;
	} else if (suffixes && (*end == 'm' || *end == 'M')) {
		multiplier = 1024 * 1024;
		end++;
	} else if (suffixes && (*end == 'g' || *end == 'G')) {
		multiplier = 1024 * 1024 * 1024;
		end++;
	}
	if (*end != '\0') {
		*reason = base == 8 ? "is not an octal number" : suffixes ?
		    "is not a size in bytes with an optional k, M or G suffix" :
		    "is not a non-negative whole number";
		return -1;
	}

	if (n > ULLONG_MAX / multiplier) {
		*reason = "is too large";
		return -1;
	}
	n *= multiplier;

	if (n < min || n > max) {
		*reason = "is out of range";
		return -1;
	}
	*out = n;
	return 0;
}

/*
 * Check the Sentry keys that need more than a string: a DSN in the strict
 * form of sentry_dsn_parse() or "" for off, and names Sentry accepts.  The
 * message for a bad DSN does not quote it, because it contains the key.
 */
static int
conf_check_sentry(const struct conf_key *key, const char *value, char *err,
    size_t errlen, const char *name, unsigned lineno)
{
	const char *reason = NULL;

	if (key->offset == CONF_FIELD(sentry_dsn)) {
		if (*value == '\0' ||
		    sentry_dsn_parse(value, NULL, &reason) == 0)
			return 0;
		snprintf(err, errlen, "%s:%u: sentry_dsn %s (expected "
		    "https://KEY@HOST[:PORT][/PATH]/PROJECT_ID, or \"\" for "
		    "no error reports)", name, lineno, reason);
		return -1;
	}
	if (key->offset == CONF_FIELD(sentry_environment))
		reason = sentry_name_check(value, CONF_SENTRY_ENVIRONMENT_MAX);
	else if (key->offset == CONF_FIELD(sentry_release))
		reason = sentry_name_check(value, CONF_SENTRY_RELEASE_MAX);
	if (reason == NULL)
		return 0;
	snprintf(err, errlen, "%s:%u: %s \"%s\" %s (expected at most %d "
	    "bytes of printable ASCII without spaces, '/' and '\\')", name,
	    lineno, key->name, value, reason,
	    key->offset == CONF_FIELD(sentry_release) ?
	    CONF_SENTRY_RELEASE_MAX : CONF_SENTRY_ENVIRONMENT_MAX);
	return -1;
}

static int
conf_set(struct sscn_conf *conf, const struct conf_key *key,
    const char *value, char *err, size_t errlen, const char *name,
    unsigned lineno)
{
	char			*field = (char *)conf + key->offset;
	unsigned long long	 n;
	const char		*reason = NULL;

	switch (key->type) {
	case CONF_STRING: {
		char **s = (char **)(void *)field;

		/* sun_path has room for 108 bytes with the NUL (Linux unix(7)). */
		if (key->offset == CONF_FIELD(socket_path) &&
		    (value[0] != '/' || strlen(value) > 107)) {
			snprintf(err, errlen, "%s:%u: socket \"%s\" must be an "
			    "absolute path of at most 107 bytes", name, lineno,
			    value);
			return -1;
		}

		if (conf_check_sentry(key, value, err, errlen, name, lineno) ==
		    -1)
			return -1;
		conf_free_secret(s);
		*s = conf_strdup(value);
		return 0;
	}
	case CONF_UINT:
		if (conf_parse_number(value, false, 10, key->min, key->max, &n,
		    &reason) == -1)
			break;
		*(unsigned *)(void *)field = (unsigned)n;
		return 0;
	case CONF_SIZE:
		if (conf_parse_number(value, true, 10, key->min, key->max, &n,
		    &reason) == -1)
			break;
		*(size_t *)(void *)field = (size_t)n;
		return 0;
	case CONF_MODE:
		if (conf_parse_number(value, false, 8, key->min, key->max, &n,
		    &reason) == -1)
			break;
		*(mode_t *)(void *)field = (mode_t)n;
		return 0;
	case CONF_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0) {
			*(bool *)(void *)field = true;
			return 0;
		}
		if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0) {
			*(bool *)(void *)field = false;
			return 0;
		}
		reason = "must be yes, no, true or false";
		break;
	case CONF_LOG_LEVEL: {
		static const char *const levels[] = {
			"error", "warn", "info", "debug"
		};
		size_t i;

		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			if (strcmp(value, levels[i]) == 0) {
				*(enum log_level *)(void *)field =
				    (enum log_level)i;
				return 0;
			}
		}
		reason = "must be error, warn, info or debug";
		break;
	}
	}

	if (key->type == CONF_UINT || key->type == CONF_SIZE ||
	    key->type == CONF_MODE) {
		if (key->type == CONF_MODE)
			snprintf(err, errlen, "%s:%u: %s \"%s\" %s "
			    "(expected an octal mode from 0 to 0777)", name,
			    lineno, key->name, value, reason);
		else
			snprintf(err, errlen, "%s:%u: %s \"%s\" %s "
			    "(expected %llu to %llu)", name, lineno, key->name,
			    value, reason, key->min, key->max);
	} else {
		snprintf(err, errlen, "%s:%u: %s \"%s\" %s", name, lineno,
		    key->name, value, reason);
	}
	return -1;
}

/*
 * Split one line into "key" and "value" (both written into the caller's
 * buffers).  Returns 1 for a setting, 0 for a blank or comment line, and -1
 * with "*reason" set.
 */
static int
conf_split_line(const char *line, char *key, size_t keylen, char *value,
    size_t valuelen, const char **reason)
{
	const char	*p = line;
	size_t		 n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;

	while ((*p >= 'a' && *p <= 'z') || *p == '_' ||
	    (n > 0 && *p >= '0' && *p <= '9')) {
		if (n + 1 >= keylen) {
			*reason = "key is too long";
			return -1;
		}
		key[n++] = *p++;
	}
	key[n] = '\0';
	if (n == 0) {
		*reason = "expected a key: a lower-case letter, then "
		    "lower-case letters, digits and '_'";
		return -1;
	}

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=') {
		*reason = "expected '=' after the key";
		return -1;
	}
	p++;
	while (*p == ' ' || *p == '\t')
		p++;

	n = 0;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				*reason = "unterminated quoted value";
				return -1;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (n + 1 >= valuelen) {
				*reason = "value is too long";
				return -1;
			}
			value[n++] = *p;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#') {
			*reason = "unexpected text after the quoted value";
			return -1;
		}
	} else {
		while (*p != '\0' && *p != '#') {
			if (n + 1 >= valuelen) {
				*reason = "value is too long";
				return -1;
			}
			value[n++] = *p++;
		}
		while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			n--;
		if (n == 0) {
			*reason = "empty value (use \"\" for an empty string)";
			return -1;
		}
	}
	value[n] = '\0';
	return 1;
}

int
conf_parse_text(const char *text, const char *name, struct sscn_conf *conf,
    char *err, size_t errlen)
{
	bool		 seen[CONF_NKEYS] = { false };
	char		 line[CONF_VALUE_MAX + 128];
	char		 key[64];
	char		 value[CONF_VALUE_MAX + 1];
	const char	*p = text;
	unsigned	 lineno = 0;
	int		 rc = -1;

	while (*p != '\0') {
		const char		*eol = strchr(p, '\n');
		size_t			 len = eol ? (size_t)(eol - p) : strlen(p);
		const char		*reason = NULL;
		const struct conf_key	*k;
		int			 kind;

		lineno++;
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line is longer than %zu "
			    "bytes", name, lineno, sizeof(line) - 1);
			goto out;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		p = eol ? eol + 1 : p + len;

		kind = conf_split_line(line, key, sizeof(key), value,
		    sizeof(value), &reason);
		if (kind == 0)
			continue;
		if (kind == -1) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, reason);
			goto out;
		}

		k = conf_find_key(key);
		if (k == NULL) {
			snprintf(err, errlen, "%s:%u: unknown key \"%s\"", name,
			    lineno, key);
			goto out;
		}
		if (seen[k - conf_keys]) {
			snprintf(err, errlen, "%s:%u: key \"%s\" is set twice",
			    name, lineno, key);
			goto out;
		}
		seen[k - conf_keys] = true;

		if (conf_set(conf, k, value, err, errlen, name, lineno) == -1)
			goto out;
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	explicit_bzero(value, sizeof(value));
	return rc;
}

char *
conf_read_private_file(const char *path, size_t max_size, const char *contents,
    size_t *len, char *err, size_t errlen)
{
	struct stat	 st;
	char		*text = NULL;
	size_t		 size, got = 0;
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "%s: could not open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: could not stat: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & S_IRWXO) != 0) {
		snprintf(err, errlen, "%s: file mode %04o lets other users "
		    "read or write it, but it contains %s; run chmod o-rwx on "
		    "it", path, (unsigned)(st.st_mode & 07777), contents);
		goto fail;
	}
	if ((size_t)st.st_size > max_size) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path,
		    max_size);
		goto fail;
	}

	size = (size_t)st.st_size;
	text = malloc(size + 1);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < size) {
		n = read(fd, text + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: could not read: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;	/* the file shrank; use what was read */
		got += (size_t)n;
	}
	text[got] = '\0';
	if (memchr(text, '\0', got) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	close(fd);
	*len = got;
	return text;

fail:
	if (text != NULL) {
		explicit_bzero(text, got);
		free(text);
	}
	close(fd);
	return NULL;
}

int
conf_load(const char *path, struct sscn_conf *conf, char *err, size_t errlen)
{
	char	*text;
	size_t	 len = 0;
	int	 rc;

	text = conf_read_private_file(path, CONF_FILE_MAX,
	    "database credentials", &len, err, errlen);
	if (text == NULL)
		return -1;
	rc = conf_parse_text(text, path, conf, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}
