/*
 * keys.c - the key file parser and the key lookups (format in keys.h).
 *
 * Grammar, one key per line:
 *
 *	line    = *WSP [ key *WSP ] [ comment ]
 *	key     = purpose 1*WSP id 1*WSP alg 1*WSP base64
 *	purpose = "jwt" / "field" / "index"
 *	id      = 1*32( ALPHA / DIGIT / "." / "_" / "-" )	; jwt: the kid
 *	        / %x31-39 *4DIGIT		; field, index: 1..65535
 *	comment = "#" *( any byte but NUL and LF )
 *
 * Error handling: the first problem rejects the file with "name:line:
 * reason", because a service that silently dropped a key would reject
 * every token or ciphertext made with it.  Reasons never contain key
 * material.  Line copies and decoded keys are wiped before they go out of
 * scope, and keys_free() wipes the loaded keys.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sscn.h"
#include "crypto/keys.h"

/* Maximum key file size: 288 lines of about 100 bytes fit easily. */
#define KEYS_FILE_MAX		(64 * 1024)
/* Maximum line length, comment included. */
#define KEYS_LINE_MAX		1024
/* purpose, id, algorithm, key */
#define KEYS_FIELDS		4

struct sscn_keys {
	struct keys_jwt		 jwt[KEYS_JWT_MAX];
	size_t			 njwt;
	const struct keys_jwt	*signing;
	struct keys_field	 field[KEYS_FIELD_MAX];
	size_t			 nfield;
	const struct keys_field	*field_current;
	struct keys_index	 index;
	size_t			 nindex;
	struct keys_backup	 backup;
	size_t			 nbackup;
};

/* Parser state while one file is read. */
struct keys_parser {
	struct sscn_keys	*keys;
	char			*reason;	/* message of the current line */
	size_t			 reasonlen;
};

static int keys_fail(struct keys_parser *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

static int
keys_fail(struct keys_parser *kp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kp->reason, kp->reasonlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
keys_alg_name(enum keys_alg alg)
{
	switch (alg) {
	case KEYS_HS256:
		return "HS256";
	case KEYS_EDDSA:
		return "EdDSA";
	case KEYS_AES_256_GCM:
		return "AES-256-GCM";
	case KEYS_HMAC_SHA256:
		return "HMAC-SHA256";
	}
	return "unknown";
}

static int
keys_kid_valid(const char *kid)
{
	size_t i, len = strlen(kid);

	if (len == 0 || len > KEYS_KID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = kid[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Parse a field key version: decimal 1..65535 without sign or leading 0. */
static int
keys_version_parse(const char *s, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 i, len = strlen(s);

	if (len == 0 || len > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > UINT16_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * Decode padded standard base64 into "bin" of "binmax" bytes.  Returns the
 * decoded length, or -1 when "b64" is not valid base64.  A key longer than
 * "binmax" returns binmax + 1 so that the caller reports its length
 * problem rather than a syntax one.
 */
static long
keys_base64_decode(const char *b64, unsigned char *bin, size_t binmax)
{
	unsigned char	 tmp[KEYS_LINE_MAX];
	size_t		 len = 0;
	long		 rc;

	/* A NULL end pointer makes libsodium reject trailing garbage. */
	if (sodium_base642bin(tmp, sizeof(tmp), b64, strlen(b64), NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		rc = -1;
		goto out;
	}
	if (len > binmax) {
		rc = (long)binmax + 1;
		goto out;
	}
	memcpy(bin, tmp, len);
	rc = (long)len;
out:
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

/*
 * Key the HMAC-SHA256 state of "key" once.  jwt.c copies the state per
 * token, which costs less than hashing the padded key each time.
 */
static void
keys_hmac_init(struct keys_jwt *key)
{
	crypto_auth_hmacsha256_init(&key->hmac, key->secret, key->secretlen);
}

static int
keys_add_jwt(struct keys_parser *kp, const char *kid, const char *alg,
    const char *b64, unsigned lineno)
{
	struct sscn_keys	*keys = kp->keys;
	struct keys_jwt		*key;
	unsigned char		 seed[KEYS_ED25519_SEED];
	long			 len;
	size_t			 i;

	if (!keys_kid_valid(kid))
		return keys_fail(kp, "invalid kid \"%.40s\": use 1 to %d "
		    "characters from A-Z, a-z, 0-9, \".\", \"_\" and \"-\"",
		    kid, KEYS_KID_MAX);
	for (i = 0; i < keys->njwt; i++)
		if (strcmp(keys->jwt[i].kid, kid) == 0)
			return keys_fail(kp, "duplicate kid \"%s\", first "
			    "defined on line %u", kid, keys->jwt[i].line);
	if (keys->njwt == KEYS_JWT_MAX)
		return keys_fail(kp, "more than %d jwt keys", KEYS_JWT_MAX);

	key = &keys->jwt[keys->njwt];
	memcpy(key->kid, kid, strlen(kid) + 1);
	key->line = lineno;

	if (strcmp(alg, "HS256") == 0) {
		key->alg = KEYS_HS256;
		len = keys_base64_decode(b64, key->secret, sizeof(key->secret));
		if (len < 0)
			return keys_fail(kp, "invalid base64 in the key of "
			    "kid \"%s\"", kid);
		if (len < KEYS_HS256_MIN || len > KEYS_HS256_MAX)
			return keys_fail(kp, "HS256 key of kid \"%s\" is %s%ld "
			    "bytes; it must be %d to %d bytes", kid,
			    len > KEYS_HS256_MAX ? "over " : "",
			    len > KEYS_HS256_MAX ? (long)KEYS_HS256_MAX : len,
			    KEYS_HS256_MIN, KEYS_HS256_MAX);
		key->secretlen = (size_t)len;
		keys->njwt++;
		keys_hmac_init(key);
		return 0;
	}

	if (strcmp(alg, "EdDSA") == 0) {
		key->alg = KEYS_EDDSA;
		len = keys_base64_decode(b64, seed, sizeof(seed));
		if (len < 0)
			return keys_fail(kp, "invalid base64 in the key of "
			    "kid \"%s\"", kid);
		if (len != KEYS_ED25519_SEED) {
			sodium_memzero(seed, sizeof(seed));
			return keys_fail(kp, "EdDSA seed of kid \"%s\" is %s%ld "
			    "bytes; it must be %d bytes", kid,
			    len > KEYS_ED25519_SEED ? "over " : "",
			    len > KEYS_ED25519_SEED ? (long)KEYS_ED25519_SEED :
			    len, KEYS_ED25519_SEED);
		}
		crypto_sign_seed_keypair(key->pk, key->sk, seed);
		sodium_memzero(seed, sizeof(seed));
		keys->njwt++;
		return 0;
	}

	return keys_fail(kp, "unknown algorithm \"%.40s\" for a jwt key; "
	    "expected HS256 or EdDSA", alg);
}

static int
keys_add_field(struct keys_parser *kp, const char *id, const char *alg,
    const char *b64, unsigned lineno)
{
	struct sscn_keys	*keys = kp->keys;
	struct keys_field	*key;
	unsigned		 version;
	long			 len;
	size_t			 i;

	if (keys_version_parse(id, &version) == -1)
		return keys_fail(kp, "invalid field key version \"%.40s\": "
		    "expected a number from 1 to 65535 without leading zeros",
		    id);
	for (i = 0; i < keys->nfield; i++)
		if (keys->field[i].version == version)
			return keys_fail(kp, "duplicate field key version %u, "
			    "first defined on line %u", version,
			    keys->field[i].line);
	if (keys->nfield == KEYS_FIELD_MAX)
		return keys_fail(kp, "more than %d field keys",
		    KEYS_FIELD_MAX);
	if (strcmp(alg, "AES-256-GCM") != 0)
		return keys_fail(kp, "unknown algorithm \"%.40s\" for a field "
		    "key; expected AES-256-GCM", alg);

	key = &keys->field[keys->nfield];
	len = keys_base64_decode(b64, key->key, sizeof(key->key));
	if (len < 0)
		return keys_fail(kp, "invalid base64 in the key of field "
		    "version %u", version);
	if (len != KEYS_AES256_LEN) {
		sodium_memzero(key->key, sizeof(key->key));
		return keys_fail(kp, "AES-256-GCM key of field version %u is "
		    "%s%ld bytes; it must be %d bytes", version,
		    len > KEYS_AES256_LEN ? "over " : "",
		    len > KEYS_AES256_LEN ? (long)KEYS_AES256_LEN : len,
		    KEYS_AES256_LEN);
	}
	key->version = (uint16_t)version;
	key->line = lineno;
	keys->nfield++;
	if (keys->field_current == NULL ||
	    key->version > keys->field_current->version)
		keys->field_current = key;
	return 0;
}

/* A key purpose with at most one line in the file, such as "index". */
struct keys_single {
	const char	*purpose;	/* "index" or "backup" */
	const char	*article;	/* "an" or "a", for messages */
	const char	*alg;		/* the one algorithm allowed */
	uint16_t	*version;
	unsigned	*line;
	unsigned char	*key;		/* KEYS_SINGLE_LEN bytes */
	size_t		*count;
};

#define KEYS_SINGLE_LEN		32

/* Parse the line of a key described by "single". */
static int
keys_add_single(struct keys_parser *kp, const struct keys_single *single,
    const char *id, const char *alg, const char *b64, unsigned lineno)
{
	unsigned	 version;
	long		 len;

	if (keys_version_parse(id, &version) == -1)
		return keys_fail(kp, "invalid %s key version \"%.40s\": "
		    "expected a number from 1 to 65535 without leading zeros",
		    single->purpose, id);
	if (*single->count > 0)
		return keys_fail(kp, "second %s key; the file holds one, "
		    "first defined on line %u", single->purpose,
		    *single->line);
	if (strcmp(alg, single->alg) != 0)
		return keys_fail(kp, "unknown algorithm \"%.40s\" for %s %s "
		    "key; expected %s", alg, single->article, single->purpose,
		    single->alg);

	len = keys_base64_decode(b64, single->key, KEYS_SINGLE_LEN);
	if (len < 0)
		return keys_fail(kp, "invalid base64 in the %s key",
		    single->purpose);
	if (len != KEYS_SINGLE_LEN) {
		sodium_memzero(single->key, KEYS_SINGLE_LEN);
		return keys_fail(kp, "%s %s key is %s%ld bytes; it must be "
		    "%d bytes", single->alg, single->purpose,
		    len > KEYS_SINGLE_LEN ? "over " : "",
		    len > KEYS_SINGLE_LEN ? (long)KEYS_SINGLE_LEN : len,
		    KEYS_SINGLE_LEN);
	}
	*single->version = (uint16_t)version;
	*single->line = lineno;
	*single->count = 1;
	return 0;
}

static int
keys_add_index(struct keys_parser *kp, const char *id, const char *alg,
    const char *b64, unsigned lineno)
{
	struct sscn_keys		*keys = kp->keys;
	const struct keys_single	 single = {
		"index", "an", "HMAC-SHA256", &keys->index.version,
		&keys->index.line, keys->index.key, &keys->nindex
	};

	return keys_add_single(kp, &single, id, alg, b64, lineno);
}

static int
keys_add_backup(struct keys_parser *kp, const char *id, const char *alg,
    const char *b64, unsigned lineno)
{
	struct sscn_keys		*keys = kp->keys;
	const struct keys_single	 single = {
		"backup", "a", "XCHACHA20-POLY1305", &keys->backup.version,
		&keys->backup.line, keys->backup.key, &keys->nbackup
	};

	return keys_add_single(kp, &single, id, alg, b64, lineno);
}

_Static_assert(KEYS_INDEX_LEN == KEYS_SINGLE_LEN &&
    KEYS_BACKUP_LEN == KEYS_SINGLE_LEN, "single keys are 32 bytes");

/* Parse one line (without its newline), which this function modifies. */
static int
keys_parse_line(struct keys_parser *kp, char *line, unsigned lineno)
{
	char	*field[KEYS_FIELDS + 1];
	char	*p;
	size_t	 n = 0;

	for (p = line; *p != '\0'; p++) {
		if (*p == '#') {
			*p = '\0';
			break;
		}
		if ((*p > 0 && *p < 0x20 && *p != '\t') || *p == 0x7f)
			return keys_fail(kp, "control character 0x%02x in the "
			    "line", (unsigned)*p);
	}

	for (p = line; n < KEYS_FIELDS + 1; ) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		field[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	if (n == 0)
		return 0;
	if (n < KEYS_FIELDS)
		return keys_fail(kp, "expected 4 fields (purpose, id, "
		    "algorithm, base64 key), found %zu", n);
	if (n > KEYS_FIELDS)
		return keys_fail(kp, "expected 4 fields (purpose, id, "
		    "algorithm, base64 key), found more");

	if (strcmp(field[0], "jwt") == 0)
		return keys_add_jwt(kp, field[1], field[2], field[3], lineno);
	if (strcmp(field[0], "field") == 0)
		return keys_add_field(kp, field[1], field[2], field[3], lineno);
	if (strcmp(field[0], "index") == 0)
		return keys_add_index(kp, field[1], field[2], field[3], lineno);
	if (strcmp(field[0], "backup") == 0)
		return keys_add_backup(kp, field[1], field[2], field[3],
		    lineno);
	return keys_fail(kp, "unknown purpose \"%.40s\"; expected \"jwt\", "
	    "\"field\", \"index\" or \"backup\"", field[0]);
}

int
keys_parse_text(const char *text, const char *name, const char *signing_kid,
    struct sscn_keys **out, char *err, size_t errlen)
{
	struct keys_parser	 kp;
	char			 line[KEYS_LINE_MAX];
	char			 reason[256];
	const char		*p, *nl;
	size_t			 len;
	unsigned		 lineno = 0;
	int			 rc = -1;

	*out = NULL;
	memset(&kp, 0, sizeof(kp));
	kp.reason = reason;
	kp.reasonlen = sizeof(reason);

	if (sodium_init() == -1) {
		snprintf(err, errlen, "%s: libsodium failed to initialize",
		    name);
		return -1;
	}
	kp.keys = calloc(1, sizeof(*kp.keys));
	if (kp.keys == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}

	for (p = text; *p != '\0'; p = nl + (*nl == '\n')) {
		lineno++;
		nl = strchrnul(p, '\n');
		len = (size_t)(nl - p);
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s:%u: line longer than %zu "
			    "bytes", name, lineno, sizeof(line) - 1);
			goto out;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (keys_parse_line(&kp, line, lineno) == -1) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, reason);
			goto out;
		}
	}

	if (kp.keys->njwt == 0) {
		snprintf(err, errlen, "%s: no jwt key; add a line "
		    "\"jwt KID HS256 BASE64\" or \"jwt KID EdDSA BASE64\"",
		    name);
		goto out;
	}
	if (kp.keys->nfield == 0) {
		snprintf(err, errlen, "%s: no field key; add a line "
		    "\"field 1 AES-256-GCM BASE64\"", name);
		goto out;
	}
	if (kp.keys->nindex == 0) {
		snprintf(err, errlen, "%s: no index key; add a line "
		    "\"index 1 HMAC-SHA256 BASE64\"", name);
		goto out;
	}
	if (signing_kid == NULL)
		kp.keys->signing = &kp.keys->jwt[kp.keys->njwt - 1];
	else if ((kp.keys->signing = keys_jwt_find(kp.keys,
	    signing_kid)) == NULL) {
		snprintf(err, errlen, "%s: the signing kid \"%.40s\" is not "
		    "in the file", name, signing_kid);
		goto out;
	}

	*out = kp.keys;
	kp.keys = NULL;
	rc = 0;
out:
	sodium_memzero(line, sizeof(line));
	keys_free(kp.keys);
	return rc;
}

int
keys_load(const char *path, const char *signing_kid, struct sscn_keys **out,
    char *err, size_t errlen)
{
	char	*text;
	size_t	 len = 0;
	int	 rc;

	*out = NULL;
	text = conf_read_private_file(path, KEYS_FILE_MAX, "secret keys", &len,
	    err, errlen);
	if (text == NULL)
		return -1;
	rc = keys_parse_text(text, path, signing_kid, out, err, errlen);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

void
keys_free(struct sscn_keys *keys)
{
	if (keys == NULL)
		return;
	sodium_memzero(keys, sizeof(*keys));	/* the HMAC states too */
	free(keys);
}

const struct keys_jwt *
keys_jwt_signing(const struct sscn_keys *keys)
{
	return keys->signing;
}

const struct keys_jwt *
keys_jwt_find(const struct sscn_keys *keys, const char *kid)
{
	size_t i;

	for (i = 0; i < keys->njwt; i++)
		if (strcmp(keys->jwt[i].kid, kid) == 0)
			return &keys->jwt[i];
	return NULL;
}

const struct keys_field *
keys_field_current(const struct sscn_keys *keys)
{
	return keys->field_current;
}

const struct keys_index *
keys_index_key(const struct sscn_keys *keys)
{
	return &keys->index;
}

const struct keys_backup *
keys_backup_key(const struct sscn_keys *keys)
{
	return keys->nbackup > 0 ? &keys->backup : NULL;
}

const struct keys_field *
keys_field_find(const struct sscn_keys *keys, unsigned version)
{
	size_t i;

	for (i = 0; i < keys->nfield; i++)
		if (keys->field[i].version == version)
			return &keys->field[i];
	return NULL;
}

int
keys_generate_line(const char *purpose, const char *id, const char *alg,
    char *out, size_t outlen)
{
	unsigned char	 key[32];
	char		 b64[sodium_base64_ENCODED_LEN(sizeof(key),
			    sodium_base64_VARIANT_ORIGINAL)];
	unsigned	 version;
	int		 n;

	if (outlen > 0)
		out[0] = '\0';
	if (strcmp(purpose, "jwt") == 0) {
		if (!keys_kid_valid(id) ||
		    (strcmp(alg, "HS256") != 0 && strcmp(alg, "EdDSA") != 0))
			return -1;
	} else if (strcmp(purpose, "field") == 0) {
		if (keys_version_parse(id, &version) == -1 ||
		    strcmp(alg, "AES-256-GCM") != 0)
			return -1;
	} else if (strcmp(purpose, "index") == 0) {
		if (keys_version_parse(id, &version) == -1 ||
		    strcmp(alg, "HMAC-SHA256") != 0)
			return -1;
	} else if (strcmp(purpose, "backup") == 0) {
		if (keys_version_parse(id, &version) == -1 ||
		    strcmp(alg, "XCHACHA20-POLY1305") != 0)
			return -1;
	} else
		return -1;
	if (sodium_init() == -1)
		return -1;

	/*
	 * 32 random bytes: an HS256 key, an Ed25519 seed, an AES key or a
	 * blind index key.
	 */
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, outlen, "%s %s %s %s", purpose, id, alg, b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			sodium_memzero(out, outlen);
		return -1;
	}
	return 0;
}
