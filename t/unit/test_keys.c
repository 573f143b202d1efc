/*
 * test_keys.c - the key file: keys_parse_text(), keys_load() with its file
 * checks, the lookups and keys_generate_line().
 *
 * Every error case checks the "name:line: " prefix and a phrase of the
 * reason, and that the reason does not repeat the key.  Every loaded
 * struct sscn_keys is freed, so LeakSanitizer checks the error paths too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "tap.h"

#define NAME "test.keys"

/* Standard base64 of bytes 1..N, as "openssl rand -base64" would print. */
#define B64_16	"AQIDBAUGBwgJCgsMDQ4PEA=="
#define B64_31	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw=="
#define B64_32	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define B64_33	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAh"
#define B64_64	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywt" \
		"Li8wMTIzNDU2Nzg5Ojs8PT4/QA=="
#define B64_65	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywt" \
		"Li8wMTIzNDU2Nzg5Ojs8PT4/QEE="
/* Bytes 101..132, 201..232, and 32 times 7. */
#define B64_101	"ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define B64_201	"ycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+g="
#define B64_7	"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="

/* A valid field line to complete files that test "jwt" lines. */
#define INDEX_LINE "index 1 HMAC-SHA256 " B64_101 "\n"
#define FIELD_LINE "field 1 AES-256-GCM " B64_7 "\n"
#define JWT_LINE "jwt k1 HS256 " B64_32 "\n"

static char	tmpdir[] = "/tmp/sscn-test-keys.XXXXXX";

static void
fill_sequence(unsigned char *buf, size_t len, unsigned first)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(first + i);
}

static void
test_good_file(void)
{
	static const char text[] =
	    "# SSCN keys, oldest first\n"
	    "\n"
	    "jwt old HS256 " B64_32 "\n"
	    "\tjwt   ed-1\tEdDSA " B64_101 "   # Ed25519 seed\n"
	    "field 2 AES-256-GCM " B64_201 "\n"
	    "field 10 AES-256-GCM " B64_7 "\n"
	    "   \t  \n"
	    "field 3 AES-256-GCM " B64_32 "# no blank before the comment\n"
	    "jwt new.2_X HS256 " B64_64 "\n"
	    INDEX_LINE
	    "# end";
	struct sscn_keys	*keys = NULL;
	const struct keys_jwt	*jwt;
	const struct keys_field	*field;
	unsigned char		 expect[64], pk[32], sk[64];
	char			 err[256] = "";
	int			 rc;

	rc = keys_parse_text(text, NAME, NULL, &keys, err, sizeof(err));
	if (!is_int(rc, 0, "keys: good file is accepted"))
		diag("error: %s", err);
	if (rc != 0)
		bail_out("cannot continue without the good key file");

	jwt = keys_jwt_signing(keys);
	is_str(jwt->kid, "new.2_X", "keys: last jwt line signs by default");
	is_int(jwt->alg, KEYS_HS256, "keys: signing key is HS256");
	is_int((long long)jwt->secretlen, 64, "keys: 64-byte HS256 key kept");
	fill_sequence(expect, 64, 1);
	ok(memcmp(jwt->secret, expect, 64) == 0,
	    "keys: 64-byte HS256 key decoded");
	{
		crypto_auth_hmacsha256_state	state = jwt->hmac;
		unsigned char			from_state[32], direct[32];

		crypto_auth_hmacsha256_update(&state,
		    (const unsigned char *)"abc", 3);
		crypto_auth_hmacsha256_final(&state, from_state);
		crypto_auth_hmacsha256_init(&state, expect, 64);
		crypto_auth_hmacsha256_update(&state,
		    (const unsigned char *)"abc", 3);
		crypto_auth_hmacsha256_final(&state, direct);
		ok(memcmp(from_state, direct, 32) == 0,
		    "keys: HS256 HMAC state keyed with the secret");
	}

	jwt = keys_jwt_find(keys, "old");
	ok(jwt != NULL, "keys: kid old found");
	if (jwt != NULL) {
		is_int(jwt->alg, KEYS_HS256, "keys: kid old is HS256");
		is_int(jwt->line, 3, "keys: kid old is on line 3");
		is_int((long long)jwt->secretlen, 32, "keys: kid old is 32 bytes");
		ok(memcmp(jwt->secret, expect, 32) == 0,
		    "keys: kid old key decoded");
	}

	jwt = keys_jwt_find(keys, "ed-1");
	ok(jwt != NULL, "keys: kid ed-1 found after tabs and blanks");
	if (jwt != NULL) {
		is_int(jwt->alg, KEYS_EDDSA, "keys: kid ed-1 is EdDSA");
		fill_sequence(expect, 32, 101);
		crypto_sign_seed_keypair(pk, sk, expect);
		ok(memcmp(jwt->pk, pk, 32) == 0,
		    "keys: EdDSA public key derived from the seed");
		ok(memcmp(jwt->sk, sk, 64) == 0,
		    "keys: EdDSA secret key derived from the seed");
	}
	ok(keys_jwt_find(keys, "ed") == NULL, "keys: kid prefix not found");
	ok(keys_jwt_find(keys, "OLD") == NULL, "keys: kid is case-sensitive");

	field = keys_field_current(keys);
	is_int(field->version, 10, "keys: highest field version is current");
	memset(expect, 7, 32);
	ok(memcmp(field->key, expect, 32) == 0, "keys: field key 10 decoded");
	field = keys_field_find(keys, 3);
	ok(field != NULL && field->line == 8,
	    "keys: field 3 found with comment right after the key");
	field = keys_field_find(keys, 2);
	fill_sequence(expect, 32, 201);
	ok(field != NULL && memcmp(field->key, expect, 32) == 0,
	    "keys: field key 2 decoded");
	ok(keys_field_find(keys, 4) == NULL, "keys: field 4 not found");
	ok(keys_field_find(keys, 0) == NULL, "keys: field 0 not found");
	keys_free(keys);

	rc = keys_parse_text(text, NAME, "old", &keys, err, sizeof(err));
	is_int(rc, 0, "keys: signing kid old is accepted");
	if (rc == 0) {
		is_str(keys_jwt_signing(keys)->kid, "old",
		    "keys: named signing kid signs");
		keys_free(keys);
	}

	rc = keys_parse_text(text, NAME, "gone", &keys, err, sizeof(err));
	is_int(rc, -1, "keys: unknown signing kid is rejected");
	ok(keys == NULL, "keys: failed load leaves NULL");
	if (!ok(strstr(err, NAME ": the signing kid \"gone\" is not in the "
	    "file") != NULL, "keys: unknown signing kid is named"))
		diag("error: %s", err);

	keys_free(NULL);
	ok(1, "keys: keys_free(NULL) is a no-op");
}

struct error_case {
	const char	*name;
	const char	*text;
	unsigned	 line;		/* 0: a file-level error */
	const char	*needle;
	const char	*secret;	/* must not appear in the message */
};

static const struct error_case error_cases[] = {
	{ "unknown purpose", "jwk k1 HS256 " B64_32 "\n" FIELD_LINE, 1,
	    "unknown purpose \"jwk\"", B64_32 },
	{ "three fields", "# comment\njwt k1 HS256\n" FIELD_LINE, 2,
	    "found 3", NULL },
	{ "one field", FIELD_LINE "jwt\n", 2, "found 1", NULL },
	{ "five fields", "jwt k1 HS256 " B64_32 " extra\n" FIELD_LINE, 1,
	    "found more", B64_32 },
	{ "comment hiding the key", "jwt k1 HS256#" B64_32 "\n"
	    FIELD_LINE, 1, "found 3", NULL },
	{ "kid with slash", "jwt k/1 HS256 " B64_32 "\n" FIELD_LINE, 1,
	    "invalid kid \"k/1\"", B64_32 },
	{ "kid of 33 characters", "jwt "
	    "abcdefghijklmnopqrstuvwxyz0123456 HS256 " B64_32 "\n" FIELD_LINE,
	    1, "invalid kid", B64_32 },
	{ "kid with non-ASCII byte", "jwt k\xc3\xa9 HS256 " B64_32 "\n"
	    FIELD_LINE, 1, "invalid kid", B64_32 },
	{ "duplicate kid", "jwt a HS256 " B64_32 "\n" FIELD_LINE
	    "jwt a EdDSA " B64_101 "\n", 3,
	    "duplicate kid \"a\", first defined on line 1", B64_101 },
	{ "algorithm RS256", "jwt k1 RS256 " B64_32 "\n" FIELD_LINE, 1,
	    "unknown algorithm \"RS256\" for a jwt key", B64_32 },
	{ "algorithm in lower case", "jwt k1 hs256 " B64_32 "\n" FIELD_LINE,
	    1, "unknown algorithm \"hs256\"", B64_32 },
	{ "algorithm none", "jwt k1 none " B64_32 "\n" FIELD_LINE, 1,
	    "unknown algorithm \"none\"", B64_32 },
	{ "field algorithm for jwt", "jwt k1 AES-256-GCM " B64_32 "\n"
	    FIELD_LINE, 1, "unknown algorithm", B64_32 },
	{ "invalid base64", "jwt k1 HS256 AQIDBAUGBwgJCgsMDQ4P*BESExQVFhcY"
	    "GRobHB0eHyA=\n" FIELD_LINE, 1, "invalid base64", NULL },
	{ "base64 without padding", "jwt k1 HS256 AQIDBAUGBwgJCgsMDQ4PEBES"
	    "ExQVFhcYGRobHB0eHyA\n" FIELD_LINE, 1, "invalid base64", NULL },
	{ "base64url alphabet", FIELD_LINE "jwt k1 HS256 ycrLzM3Oz9DR0tPU1"
	    "dbX2Nna29zd3t_g4eLj5OXm5-g=\n", 2, "invalid base64", NULL },
	{ "HS256 key of 16 bytes", "jwt k1 HS256 " B64_16 "\n" FIELD_LINE,
	    1, "HS256 key of kid \"k1\" is 16 bytes; it must be 32 to 64",
	    B64_16 },
	{ "HS256 key of 31 bytes", "jwt k1 HS256 " B64_31 "\n" FIELD_LINE,
	    1, "is 31 bytes", B64_31 },
	{ "HS256 key of 65 bytes", "jwt k1 HS256 " B64_65 "\n" FIELD_LINE,
	    1, "is over 64 bytes", B64_65 },
	{ "EdDSA seed of 31 bytes", "jwt e EdDSA " B64_31 "\n" FIELD_LINE, 1,
	    "EdDSA seed of kid \"e\" is 31 bytes; it must be 32 bytes",
	    B64_31 },
	{ "EdDSA seed of 33 bytes", "jwt e EdDSA " B64_33 "\n" FIELD_LINE, 1,
	    "is over 32 bytes", B64_33 },
	{ "field version 0", JWT_LINE "field 0 AES-256-GCM " B64_32 "\n", 2,
	    "invalid field key version \"0\"", B64_32 },
	{ "field version 65536", JWT_LINE "field 65536 AES-256-GCM " B64_32
	    "\n", 2, "from 1 to 65535", B64_32 },
	{ "field version with leading zero", JWT_LINE "field 01 AES-256-GCM "
	    B64_32 "\n", 2, "invalid field key version \"01\"", B64_32 },
	{ "negative field version", JWT_LINE "field -1 AES-256-GCM " B64_32
	    "\n", 2, "invalid field key version", B64_32 },
	{ "field version not a number", JWT_LINE "field v2 AES-256-GCM "
	    B64_32 "\n", 2, "invalid field key version", B64_32 },
	{ "duplicate field version", JWT_LINE "field 2 AES-256-GCM " B64_32
	    "\n# rotated\nfield 2 AES-256-GCM " B64_101 "\n", 4,
	    "duplicate field key version 2, first defined on line 2",
	    B64_101 },
	{ "field algorithm AES-128-GCM", JWT_LINE "field 1 AES-128-GCM "
	    B64_16 "\n", 2, "unknown algorithm \"AES-128-GCM\" for a field "
	    "key", B64_16 },
	{ "jwt algorithm for field", JWT_LINE "field 1 HS256 " B64_32 "\n",
	    2, "expected AES-256-GCM", B64_32 },
	{ "no index key", JWT_LINE FIELD_LINE, 0,
	    "no index key; add a line \"index 1 HMAC-SHA256 BASE64\"", NULL },
	{ "second index key", JWT_LINE FIELD_LINE INDEX_LINE INDEX_LINE, 4,
	    "second index key; the file holds one, first defined on line 3",
	    NULL },
	{ "index algorithm", JWT_LINE FIELD_LINE "index 1 HMAC-SHA512 "
	    B64_7 "\n", 3, "unknown algorithm \"HMAC-SHA512\" for an index "
	    "key; expected HMAC-SHA256", NULL },
	{ "index key of 16 bytes", JWT_LINE FIELD_LINE "index 1 HMAC-SHA256 "
	    B64_16 "\n", 3, "HMAC-SHA256 index key is 16 bytes; it must be "
	    "32 bytes", NULL },
	{ "AES key of 16 bytes", JWT_LINE "field 1 AES-256-GCM " B64_16 "\n",
	    2, "AES-256-GCM key of field version 1 is 16 bytes", B64_16 },
	{ "AES key of 33 bytes", JWT_LINE "field 1 AES-256-GCM " B64_33 "\n",
	    2, "is over 32 bytes", B64_33 },
	{ "carriage return", JWT_LINE "field 1 AES-256-GCM " B64_7 "\r\n", 2,
	    "control character 0x0d", B64_7 },
	{ "no jwt key", FIELD_LINE, 0, "no jwt key", NULL },
	{ "no field key", JWT_LINE, 0, "no field key", NULL },
	{ "empty file", "", 0, "no jwt key", NULL },
	{ "comments only", "# nothing yet\n\n", 0, "no jwt key", NULL },
};

static void
expect_error(const struct error_case *c)
{
	static int		 sentinel;
	struct sscn_keys	*keys = (struct sscn_keys *)&sentinel;
	char			 err[512] = "", prefix[64];
	size_t			 plen;
	int			 rc;

	rc = keys_parse_text(c->text, NAME, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: %s is rejected", c->name);
	ok(keys == NULL, "keys: %s leaves no keys", c->name);
	if (rc == 0)
		keys_free(keys);

	if (c->line > 0)
		snprintf(prefix, sizeof(prefix), NAME ":%u: ", c->line);
	else
		snprintf(prefix, sizeof(prefix), NAME ": ");
	plen = strlen(prefix);
	if (!ok(strncmp(err, prefix, plen) == 0 && strlen(err) > plen,
	    "keys: %s reports \"%s\"", c->name, prefix))
		diag("error: %s", err);
	if (!ok(strstr(err, c->needle) != NULL, "keys: %s error names \"%s\"",
	    c->name, c->needle))
		diag("error: %s", err);
	if (c->secret != NULL && !ok(strstr(err, c->secret) == NULL,
	    "keys: %s error does not repeat the key", c->name))
		diag("error: %s", err);
}

static void
test_errors(void)
{
	struct sscn_keys	*keys;
	char			 err[512];
	char			*text;
	size_t			 i, len;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		expect_error(&error_cases[i]);

	/* A line of 1100 bytes: a comment, so only its length is wrong. */
	text = malloc(2048);
	if (text == NULL)
		bail_out("out of memory");
	strcpy(text, JWT_LINE FIELD_LINE "#");
	len = strlen(text);
	memset(text + len, 'x', 1100);
	strcpy(text + len + 1100, "\n");
	is_int(keys_parse_text(text, NAME, NULL, &keys, err, sizeof(err)), -1,
	    "keys: line of 1101 bytes is rejected");
	is_str(err, NAME ":3: line longer than 1023 bytes",
	    "keys: long line reports its line");
	free(text);

	/* 33 jwt lines: one more than KEYS_JWT_MAX. */
	text = malloc(33 * 80 + sizeof(FIELD_LINE));
	if (text == NULL)
		bail_out("out of memory");
	strcpy(text, FIELD_LINE);
	for (i = 1; i <= 33; i++) {
		len = strlen(text);
		snprintf(text + len, 80, "jwt k%zu EdDSA %s\n", i, B64_32);
	}
	is_int(keys_parse_text(text, NAME, NULL, &keys, err, sizeof(err)), -1,
	    "keys: 33 jwt keys are rejected");
	is_str(err, NAME ":34: more than 32 jwt keys",
	    "keys: 33rd jwt key reports its line");
	free(text);
}

/* Write "text" to "name" in the temporary directory with "mode". */
static const char *
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
	static char	path[256];
	int		fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, len) != (ssize_t)len ||
	    fchmod(fd, mode) == -1 || close(fd) == -1)
		bail_out("cannot write %s: %s", path, strerror(errno));
	return path;
}

static void
test_load(void)
{
	static const char good[] = JWT_LINE FIELD_LINE INDEX_LINE;
	static const char bad[] = JWT_LINE "field 1 AES-256-GCM " B64_16 "\n";
	static const char with_nul[] = JWT_LINE "\0" FIELD_LINE;
	struct sscn_keys	*keys;
	const char		*path;
	char			 err[512], expect[512];
	int			 rc;

	path = write_file("mode0600", good, strlen(good), 0600);
	rc = keys_load(path, NULL, &keys, err, sizeof(err));
	if (!is_int(rc, 0, "keys: file of mode 0600 loads"))
		diag("error: %s", err);
	if (rc == 0) {
		is_str(keys_jwt_signing(keys)->kid, "k1",
		    "keys: loaded file signs with k1");
		keys_free(keys);
	}

	path = write_file("mode0640", good, strlen(good), 0640);
	rc = keys_load(path, NULL, &keys, err, sizeof(err));
	if (!is_int(rc, 0, "keys: file of mode 0640 loads"))
		diag("error: %s", err);
	if (rc == 0)
		keys_free(keys);

	path = write_file("mode0644", good, strlen(good), 0644);
	rc = keys_load(path, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: file of mode 0644 is rejected");
	ok(keys == NULL, "keys: rejected file leaves no keys");
	snprintf(expect, sizeof(expect), "%s: file mode 0644 lets other users "
	    "read or write it", path);
	if (!ok(strncmp(err, expect, strlen(expect)) == 0,
	    "keys: mode 0644 error names path and mode"))
		diag("error: %s", err);
	ok(strstr(err, "chmod o-rwx") != NULL, "keys: mode error tells the fix");

	path = write_file("mode0602", good, strlen(good), 0602);
	is_int(keys_load(path, NULL, &keys, err, sizeof(err)), -1,
	    "keys: file writable by others is rejected");

	path = write_file("bad", bad, strlen(bad), 0600);
	rc = keys_load(path, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: file with a short AES key is rejected");
	snprintf(expect, sizeof(expect), "%s:2: AES-256-GCM key", path);
	if (!ok(strncmp(err, expect, strlen(expect)) == 0,
	    "keys: file error starts with path:line"))
		diag("error: %s", err);

	path = write_file("nul", with_nul, sizeof(with_nul) - 1, 0600);
	rc = keys_load(path, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: file with a NUL byte is rejected");
	ok(strstr(err, "contains a NUL byte") != NULL,
	    "keys: NUL byte error is named");

	snprintf(expect, sizeof(expect), "%s/missing", tmpdir);
	rc = keys_load(expect, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: missing file is rejected");
	ok(strstr(err, "could not open: No such file") != NULL,
	    "keys: missing file error says so");

	rc = keys_load(tmpdir, NULL, &keys, err, sizeof(err));
	is_int(rc, -1, "keys: directory is rejected");
	ok(strstr(err, "not a regular file") != NULL,
	    "keys: directory error says so");
}

static void
test_generate(void)
{
	struct sscn_keys	*keys;
	char			 hs[KEYS_LINE_SIZE], ed[KEYS_LINE_SIZE];
	char			 field[KEYS_LINE_SIZE], other[KEYS_LINE_SIZE];
	char			 index[KEYS_LINE_SIZE];
	char			 text[5 * KEYS_LINE_SIZE], err[512];
	char			 small[20];
	int			 rc;

	is_int(keys_generate_line("jwt", "2025-01", "HS256", hs, sizeof(hs)),
	    0, "generate: HS256 line");
	ok(strncmp(hs, "jwt 2025-01 HS256 ", 18) == 0 && strlen(hs) == 18 + 44,
	    "generate: HS256 line has 32 bytes in base64");
	is_int(keys_generate_line("jwt", "e1", "EdDSA", ed, sizeof(ed)), 0,
	    "generate: EdDSA line");
	is_int(keys_generate_line("field", "65535", "AES-256-GCM", field,
	    sizeof(field)), 0, "generate: field line");
	ok(strncmp(field, "field 65535 AES-256-GCM ", 24) == 0,
	    "generate: field line starts with purpose, version and algorithm");
	is_int(keys_generate_line("jwt", "2025-01", "HS256", other,
	    sizeof(other)), 0, "generate: second HS256 line");
	ok(strcmp(hs, other) != 0, "generate: two keys differ");

	is_int(keys_generate_line("index", "1", "HMAC-SHA256", index,
	    sizeof(index)), 0, "generate: index line");
	ok(strncmp(index, "index 1 HMAC-SHA256 ", 20) == 0 &&
	    strlen(index) == 20 + 44,
	    "generate: index line has 32 bytes in base64");
	is_int(keys_generate_line("index", "1", "AES-256-GCM", other,
	    sizeof(other)), -1, "generate: index line needs HMAC-SHA256");

	snprintf(text, sizeof(text), "%s\n%s\n%s\n%s\n", hs, ed, field, index);
	rc = keys_parse_text(text, NAME, NULL, &keys, err, sizeof(err));
	if (!is_int(rc, 0, "generate: generated lines load"))
		diag("error: %s", err);
	if (rc == 0) {
		is_str(keys_jwt_signing(keys)->kid, "e1",
		    "generate: EdDSA line signs");
		is_int(keys_field_current(keys)->version, 65535,
		    "generate: field version 65535");
		keys_free(keys);
	}

	is_int(keys_generate_line("key", "1", "HS256", other, sizeof(other)),
	    -1, "generate: unknown purpose is rejected");
	is_int(keys_generate_line("jwt", "a b", "HS256", other,
	    sizeof(other)), -1, "generate: invalid kid is rejected");
	is_int(keys_generate_line("jwt", "k", "RS256", other, sizeof(other)),
	    -1, "generate: RS256 is rejected");
	is_int(keys_generate_line("field", "0", "AES-256-GCM", other,
	    sizeof(other)), -1, "generate: field version 0 is rejected");
	is_int(keys_generate_line("field", "1", "HS256", other,
	    sizeof(other)), -1, "generate: HS256 field key is rejected");
	is_int(keys_generate_line("jwt", "k", "HS256", small, sizeof(small)),
	    -1, "generate: small buffer is rejected");
	ok(small[0] == '\0', "generate: small buffer holds no partial key");
}

int
main(void)
{
	char path[256];

	if (mkdtemp(tmpdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));

	test_good_file();
	test_errors();
	test_load();
	test_generate();

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
