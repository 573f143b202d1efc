/*
 * fuzz_request.c - the in-memory worker and FastCGI streams of
 * fuzz_request.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "sscn.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "crypto/keys.h"
#include "fuzz_request.h"

/* Standard base64 of bytes 1..32 and 101..132, as in t/unit/test_jwt.c. */
#define FUZZ_KEYS \
	"jwt fuzz-1 HS256 AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n" \
	"field 1 AES-256-GCM AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n" \
	"index 1 HMAC-SHA256 ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\n"

static struct sscn_conf		fuzz_conf;
static struct sscn_keys		*fuzz_keys;
static struct password_policy	fuzz_policy;
static struct worker		fuzz_worker;
static bool			fuzz_initialized;

/* "HTTP_AUTHORIZATION=Bearer " and a token of fuzz_sign_token(). */
static char			fuzz_authorization[32 + JWT_TOKEN_SIZE];

/* The output stream's buffer: emptied, never read, when it is full. */
static unsigned char		fuzz_out_buf[4096];

static void
fuzz_out_empty(FCGX_Stream *stream, int do_close)
{
	(void)do_close;
	stream->wrNext = fuzz_out_buf;
}

/* The input stream holds the whole body, so there is never more to read. */
static void
fuzz_in_fill(FCGX_Stream *stream)
{
	stream->isClosed = 1;
}

/* Replace the string setting "*field" of the configuration by "value". */
static void
fuzz_conf_set(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
	if (*field == NULL)
		abort();
}

/* Sign the access token of fuzz_authorization_param(). */
static void
fuzz_sign_token(void)
{
	struct jwt_claims	claims;
	char			token[JWT_TOKEN_SIZE];
	int64_t			now = authn_now();

	memset(&claims, 0, sizeof(claims));
	snprintf(claims.iss, sizeof(claims.iss), "%s", fuzz_conf.jwt_issuer);
	snprintf(claims.aud, sizeof(claims.aud), "%s", fuzz_conf.jwt_audience);
	snprintf(claims.sub, sizeof(claims.sub),
	    "5f0c6d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f");
	snprintf(claims.sid, sizeof(claims.sid),
	    "c0ffee00-1234-4abc-8def-0123456789ab");
	snprintf(claims.role, sizeof(claims.role), "admin");
	snprintf(claims.aal, sizeof(claims.aal), "aal2");
	claims.iat = now;
	claims.exp = now + 10 * 365 * 24 * 60 * 60;
	jwt_new_jti(claims.jti);
	if (jwt_sign(fuzz_keys, &claims, token, sizeof(token)) < 0) {
		fprintf(stderr, "fuzz: signing the access token failed\n");
		abort();
	}
	snprintf(fuzz_authorization, sizeof(fuzz_authorization),
	    "HTTP_AUTHORIZATION=Bearer %s", token);
}

static void
fuzz_worker_init(void)
{
	char err[256];

	log_init("sscnd-fuzz", LOG_LEVEL_ERROR);
	log_pin_level(LOG_LEVEL_ERROR);
	conf_defaults(&fuzz_conf);
	fuzz_conf_set(&fuzz_conf.database, "host=/nonexistent/sscn-fuzz "
	    "dbname=sscn user=sscn_app connect_timeout=1");
	fuzz_conf_set(&fuzz_conf.jwt_issuer, "https://sscn.example");
	fuzz_conf_set(&fuzz_conf.jwt_audience, "sscn-api");
	fuzz_conf_set(&fuzz_conf.base_url, "https://sscn.example");
	fuzz_conf_set(&fuzz_conf.password_common_list,
	    SRCDIR "/data/common-passwords.txt");
	fuzz_conf.rate_limit = 0;
	fuzz_conf.enable_test_routes = true;
	if (keys_parse_text(FUZZ_KEYS, "fuzz.keys", NULL, &fuzz_keys, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz: key text rejected: %s\n", err);
		abort();
	}

	memset(&fuzz_worker, 0, sizeof(fuzz_worker));
	fuzz_worker.conf = &fuzz_conf;
	fuzz_worker.keys = fuzz_keys;
	fuzz_worker.listen_fd = -1;
	db_init(&fuzz_worker.db, fuzz_conf.database,
	    fuzz_conf.db_connect_timeout, fuzz_conf.db_statement_timeout);
	worker_load_auth(&fuzz_worker, &fuzz_policy);
	fuzz_sign_token();
	fuzz_initialized = true;
}

void
fuzz_serve(char **params, const unsigned char *body, size_t body_len)
{
	FCGX_Request	 request;
	FCGX_Stream	 in, out;
	unsigned char	*body_copy;

	if (!fuzz_initialized)
		fuzz_worker_init();

	/* A copy of exactly body_len bytes, so ASan sees any over-read. */
	body_copy = malloc(body_len > 0 ? body_len : 1);
	if (body_copy == NULL)
		return;
	if (body_len > 0)
		memcpy(body_copy, body, body_len);

	memset(&in, 0, sizeof(in));
	in.rdNext = in.stopUnget = body_copy;
	in.stop = in.wrNext = body_copy + body_len;
	in.isReader = 1;
	in.fillBuffProc = fuzz_in_fill;

	memset(&out, 0, sizeof(out));
	out.wrNext = fuzz_out_buf;
	out.stop = fuzz_out_buf + sizeof(fuzz_out_buf);
	out.emptyBuffProc = fuzz_out_empty;

	memset(&request, 0, sizeof(request));
	request.in = &in;
	request.out = &out;
	request.err = &out;
	request.envp = params;
	request.ipcFd = -1;
	request.listen_sock = -1;

	http_serve(&fuzz_worker, &request);
	free(body_copy);
}

char *
fuzz_authorization_param(void)
{
	if (!fuzz_initialized)
		fuzz_worker_init();
	return fuzz_authorization;
}
