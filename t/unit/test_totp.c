/*
 * test_totp.c - MFA primitives: base32, HOTP, TOTP, code verification,
 * otpauth:// URIs, the QR code SVG and recovery codes.
 *
 * Expected values come from RFC 4648 section 10 (base32), RFC 4226
 * appendix D (HOTP) and RFC 6238 appendix B (TOTP).  RFC 6238's text
 * names one 20-byte key for all three hashes, but its reference code and
 * its table use a key as long as the hash: "12345678901234567890" for
 * SHA-1, the same repeated to 32 bytes for SHA-256 and to 64 bytes for
 * SHA-512.  When /usr/bin/oathtool (OATH Toolkit) is installed, its codes
 * for a freshly generated secret are compared too.  When rsvg-convert
 * (librsvg) and zbarimg (ZBar) are installed, the QR code SVG is rendered
 * and scanned back.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <qrencode.h>
#include <sodium.h>

#include "auth/qr.h"
#include "auth/recovery_code.h"
#include "auth/totp.h"
#include "tap.h"

/* The tool paths can be overridden with -D, for example to test the skips. */
#ifndef OATHTOOL
#define OATHTOOL	"/usr/bin/oathtool"
#endif
#ifndef RSVG_CONVERT
#define RSVG_CONVERT	"/usr/bin/rsvg-convert"
#endif
#ifndef ZBARIMG
#define ZBARIMG		"/usr/bin/zbarimg"
#endif

static const unsigned char key_sha1[] = "12345678901234567890";
static const unsigned char key_sha256[] = "12345678901234567890123456789012";
static const unsigned char key_sha512[] =
    "1234567890123456789012345678901234567890"
    "123456789012345678901234";

/* ---- base32 ------------------------------------------------------------ */

struct base32_vector {
	const char	*plain;
	const char	*encoded;	/* unpadded, as totp_base32_encode writes */
	const char	*padded;	/* as RFC 4648 section 10 lists it */
};

static const struct base32_vector base32_vectors[] = {
	{ "", "", "" },
	{ "f", "MY", "MY======" },
	{ "fo", "MZXQ", "MZXQ====" },
	{ "foo", "MZXW6", "MZXW6===" },
	{ "foob", "MZXW6YQ", "MZXW6YQ=" },
	{ "fooba", "MZXW6YTB", "MZXW6YTB" },
	{ "foobar", "MZXW6YTBOI", "MZXW6YTBOI======" },
};

/* Decode "text" and compare with the "len" bytes at "expected". */
static void
check_decode(const char *text, const void *expected, size_t len,
    const char *name)
{
	unsigned char	 out[64];
	size_t		 outlen = 999;
	int		 rc;

	rc = totp_base32_decode(text, out, sizeof(out), &outlen);
	is_int(rc, 0, "base32 decode: %s '%s' succeeds", name, text);
	is_int((long long)outlen, (long long)len,
	    "base32 decode: %s '%s' length", name, text);
	ok(rc == 0 && outlen == len && memcmp(out, expected, len) == 0,
	    "base32 decode: %s '%s' bytes", name, text);
}

static void
test_base32_vectors(void)
{
	const struct base32_vector	*v;
	char				 out[TOTP_SECRET_B32_SIZE], lower[32];
	size_t				 i, j;
	int				 rc;

	for (i = 0; i < sizeof(base32_vectors) / sizeof(base32_vectors[0]);
	    i++) {
		v = &base32_vectors[i];
		rc = totp_base32_encode((const unsigned char *)v->plain,
		    strlen(v->plain), out, sizeof(out));
		is_int(rc, (long long)strlen(v->encoded),
		    "base32 encode: '%s' length", v->plain);
		is_str(out, v->encoded, "base32 encode: '%s'", v->plain);

		check_decode(v->encoded, v->plain, strlen(v->plain),
		    "unpadded");
		check_decode(v->padded, v->plain, strlen(v->plain), "padded");

		for (j = 0; v->padded[j] != '\0'; j++)
			lower[j] = (char)((v->padded[j] >= 'A' &&
			    v->padded[j] <= 'Z') ? v->padded[j] - 'A' + 'a' :
			    v->padded[j]);
		lower[j] = '\0';
		check_decode(lower, v->plain, strlen(v->plain), "lower-case");
	}

	/* The RFC 6238 SHA-1 key as authenticator apps would be given it. */
	rc = totp_base32_encode(key_sha1, 20, out, sizeof(out));
	is_str(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
	    "base32 encode: RFC 6238 SHA-1 key");
	is_int(rc, 32, "base32 encode: 20 bytes give 32 characters");
}

static void
test_base32_invalid(void)
{
	static const struct {
		const char	*text;
		const char	*why;
	} bad[] = {
		{ "MY1", "digit 1 is outside the alphabet" },
		{ "MZXW8", "digit 8 is outside the alphabet" },
		{ "MZ XW", "space" },
		{ "MZXW6\n", "newline" },
		{ "MZ-XW6", "dash" },
		{ "M\xc3\xa9", "non-ASCII byte" },
		{ "M", "1 character encodes no whole byte" },
		{ "MZX", "3 characters encode no whole byte" },
		{ "MZXW6Y", "6 characters encode no whole byte" },
		{ "MZXW6YTBO", "9 characters encode no whole byte" },
		{ "MZ", "non-zero bits after the last byte" },
		{ "MZXR", "non-zero bits after the last byte (2 bytes)" },
		{ "MY==", "padding that does not reach 8 characters" },
		{ "MY=======", "padding past 8 characters" },
		{ "MZXW6YQ==", "one '=' too many" },
		{ "MY=A====", "'=' before a letter" },
		{ "=MY=====", "leading '='" },
		{ "========", "padding only" },
		{ "MZXW6YTB========", "padding after a full group" },
	};
	unsigned char	 out[16];
	char		 small[9];	/* "MZXW6YTB" and the NUL */
	size_t		 outlen, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(totp_base32_decode(bad[i].text, out, sizeof(out),
		    &outlen), -1, "base32 decode rejects %s", bad[i].why);

	is_int(totp_base32_decode(NULL, out, sizeof(out), &outlen), -1,
	    "base32 decode rejects NULL");
	is_int(totp_base32_decode("MZXW6YTBOI", out, 5, &outlen), -1,
	    "base32 decode rejects a too small output buffer");
	is_int(totp_base32_decode("MZXW6YTBOI", out, 6, &outlen), 0,
	    "base32 decode fills an output buffer of exact size");

	is_int(totp_base32_encode((const unsigned char *)"foobar", 6, small,
	    sizeof(small)), -1, "base32 encode rejects a too small buffer");
	is_int(totp_base32_encode((const unsigned char *)"fooba", 5, small,
	    sizeof(small)), 8, "base32 encode fills a buffer of exact size");
	is_int(totp_base32_encode((const unsigned char *)"fooba", 5, small,
	    sizeof(small) - 1), -1, "base32 encode needs room for the NUL");
}

static void
test_base32_round_trip(void)
{
	unsigned char	 in[64], back[64];
	char		 text[TOTP_BASE32_SIZE(64)];
	size_t		 len, backlen;
	int		 failures = 0, round;

	for (round = 0; round < 500; round++) {
		len = (size_t)round % (sizeof(in) + 1);
		randombytes_buf(in, len);
		if (totp_base32_encode(in, len, text, sizeof(text)) < 0 ||
		    totp_base32_decode(text, back, sizeof(back),
		    &backlen) != 0 || backlen != len ||
		    memcmp(in, back, len) != 0) {
			if (failures++ == 0)
				diag("round trip failed at %zu bytes: %s",
				    len, text);
		}
	}
	is_int(failures, 0, "base32 round trip: 500 random inputs, 0-64 bytes");
}

/* ---- HOTP and TOTP ----------------------------------------------------- */

static void
test_hotp_rfc4226(void)
{
	static const uint32_t expected[] = {
		755224, 287082, 359152, 969429, 338314,
		254676, 287922, 162583, 399871, 520489
	};
	uint32_t	 code;
	int		 counter, rc;

	for (counter = 0; counter < 10; counter++) {
		code = 0;
		rc = totp_hotp(key_sha1, 20, (uint64_t)counter, 6, TOTP_SHA1,
		    &code);
		ok(rc == 0 && code == expected[counter],
		    "HOTP RFC 4226 counter %d is %06" PRIu32, counter,
		    expected[counter]);
		if (code != expected[counter])
			diag("got %06" PRIu32, code);
	}
}

static void
test_hotp_invalid(void)
{
	uint32_t	 code;

	is_int(totp_hotp(key_sha1, 20, 0, 5, TOTP_SHA1, &code), -1,
	    "HOTP rejects 5 digits");
	is_int(totp_hotp(key_sha1, 20, 0, 9, TOTP_SHA1, &code), -1,
	    "HOTP rejects 9 digits");
	is_int(totp_hotp(key_sha1, 0, 0, 6, TOTP_SHA1, &code), -1,
	    "HOTP rejects an empty key");
	is_int(totp_hotp(NULL, 20, 0, 6, TOTP_SHA1, &code), -1,
	    "HOTP rejects a NULL key");
	is_int(totp_hotp(key_sha1, 20, 0, 6, (enum totp_alg)7, &code), -1,
	    "HOTP rejects an unknown algorithm");
	is_int(totp_at(key_sha1, 20, -1, 30, 6, TOTP_SHA1, &code), -1,
	    "TOTP rejects a negative time");
	is_int(totp_at(key_sha1, 20, 59, 0, 6, TOTP_SHA1, &code), -1,
	    "TOTP rejects a zero step");
}

struct rfc6238_row {
	int64_t		 time;
	uint32_t	 sha1, sha256, sha512;
};

static const struct rfc6238_row rfc6238_rows[] = {
	{ 59, 94287082, 46119246, 90693936 },
	{ 1111111109, 7081804, 68084774, 25091201 },
	{ 1111111111, 14050471, 67062674, 99943326 },
	{ 1234567890, 89005924, 91819424, 93441116 },
	{ 2000000000, 69279037, 90698825, 38618901 },
	{ INT64_C(20000000000), 65353130, 77737706, 47863826 },
};

static void
check_totp(const unsigned char *key, size_t keylen, int64_t time,
    enum totp_alg alg, const char *alg_name, int digits, uint32_t expected)
{
	uint32_t	 code = 0;
	int		 rc;

	rc = totp_at(key, keylen, time, TOTP_STEP, digits, alg, &code);
	ok(rc == 0 && code == expected, "TOTP RFC 6238 %s at %" PRId64
	    ", %d digits, is %0*" PRIu32, alg_name, time, digits, digits,
	    expected);
	if (code != expected)
		diag("got %0*" PRIu32, digits, code);
}

static void
test_totp_rfc6238(void)
{
	const struct rfc6238_row	*r;
	size_t				 i;

	for (i = 0; i < sizeof(rfc6238_rows) / sizeof(rfc6238_rows[0]); i++) {
		r = &rfc6238_rows[i];
		check_totp(key_sha1, 20, r->time, TOTP_SHA1, "SHA-1", 8,
		    r->sha1);
		check_totp(key_sha256, 32, r->time, TOTP_SHA256, "SHA-256", 8,
		    r->sha256);
		check_totp(key_sha512, 64, r->time, TOTP_SHA512, "SHA-512", 8,
		    r->sha512);
		/* Six digits are the low six digits of the same truncation. */
		check_totp(key_sha1, 20, r->time, TOTP_SHA1, "SHA-1", 6,
		    r->sha1 % 1000000);
	}
	check_totp(key_sha1, 20, 59, TOTP_SHA1, "SHA-1", 6, 287082);
	check_totp(key_sha1, 20, 59, TOTP_SHA1, "SHA-1", 7, 4287082);
}

/* ---- totp_verify ------------------------------------------------------- */

/* The 6-digit SHA-1 code of "step" for the RFC 6238 SHA-1 key, as text. */
static void
code_of_step(int64_t step, char out[TOTP_CODE_SIZE])
{
	uint32_t	 code;

	if (totp_hotp(key_sha1, 20, (uint64_t)step, 6, TOTP_SHA1, &code) != 0)
		bail_out("totp_hotp failed for step %" PRId64, step);
	snprintf(out, TOTP_CODE_SIZE, "%06" PRIu32, code);
}

static void
test_verify_drift(void)
{
	const int64_t	 now = 1111111111 + 7;	/* inside a step, not at its start */
	const int64_t	 current = now / TOTP_STEP;
	char		 code[TOTP_CODE_SIZE];
	int64_t		 matched;
	int		 offset;

	for (offset = -1; offset <= 1; offset++) {
		code_of_step(current + offset, code);
		matched = -99;
		is_int(totp_verify(key_sha1, 20, code, now, -1, &matched),
		    TOTP_OK, "verify accepts the code of step %+d", offset);
		is_int(matched, current + offset,
		    "verify returns step %+d as the matched step", offset);
	}
	for (offset = -2; offset <= 2; offset += 4) {
		code_of_step(current + offset, code);
		is_int(totp_verify(key_sha1, 20, code, now, -1, &matched),
		    TOTP_INVALID, "verify rejects the code of step %+d",
		    offset);
	}

	/* The first and the last second of a step see the same window. */
	code_of_step(current + 1, code);
	is_int(totp_verify(key_sha1, 20, code, current * TOTP_STEP, -1,
	    &matched), TOTP_OK, "verify accepts step +1 at a step's first second");
	code_of_step(current - 1, code);
	is_int(totp_verify(key_sha1, 20, code, current * TOTP_STEP + 29, -1,
	    &matched), TOTP_OK, "verify accepts step -1 at a step's last second");

	/* At time 0 there is no step -1 to fall back to. */
	code_of_step(0, code);
	is_int(totp_verify(key_sha1, 20, code, 0, -1, &matched), TOTP_OK,
	    "verify accepts step 0 at time 0");
	is_int(matched, 0, "verify at time 0 matches step 0");

	code_of_step(current, code);
	is_int(totp_verify(key_sha1, 20, code, -1, -1, &matched), TOTP_ERROR,
	    "verify rejects a negative time as an error");
	is_int(totp_verify(key_sha1, 0, code, now, -1, &matched), TOTP_ERROR,
	    "verify rejects an empty key as an error");
}

static void
test_verify_replay(void)
{
	const int64_t	 now = 1234567890;
	const int64_t	 current = now / TOTP_STEP;
	char		 code[TOTP_CODE_SIZE];
	int64_t		 matched = -1, last;

	code_of_step(current, code);
	is_int(totp_verify(key_sha1, 20, code, now, -1, &matched), TOTP_OK,
	    "replay: first use of a code is accepted");
	last = matched;
	is_int(totp_verify(key_sha1, 20, code, now, last, &matched),
	    TOTP_REPLAY, "replay: second use of the same code is rejected");
	is_int(totp_verify(key_sha1, 20, code, now + TOTP_STEP, last,
	    &matched), TOTP_REPLAY,
	    "replay: the same code one step later is still rejected");

	code_of_step(current - 1, code);
	is_int(totp_verify(key_sha1, 20, code, now, last, &matched),
	    TOTP_REPLAY, "replay: an older step's code after a newer one");

	code_of_step(current + 1, code);
	matched = -1;
	is_int(totp_verify(key_sha1, 20, code, now, last, &matched), TOTP_OK,
	    "replay: the next step's code is accepted after the current one");
	is_int(matched, current + 1, "replay: the next step is returned");

	code_of_step(current, code);
	is_int(totp_verify(key_sha1, 20, code, now, current - 1, &matched),
	    TOTP_OK, "replay: a code after an older accepted step is accepted");
}

static void
test_verify_malformed(void)
{
	static const char *const bad[] = {
		"", "12345", "1234567", "12a456", " 12345", "12345 ",
		"123 456", "+12345", "-12345", "12345\n", "0x1234",
		"\xd9\xa1\xd9\xa2\xd9\xa3",	/* Arabic-Indic digits */
		"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93", /* full-width digits */
	};
	const int64_t	 now = 59;
	char		 code[TOTP_CODE_SIZE + 1];
	int64_t		 matched;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(totp_verify(key_sha1, 20, bad[i], now, -1, &matched),
		    TOTP_MALFORMED, "verify rejects malformed code #%zu", i);
	is_int(totp_verify(key_sha1, 20, NULL, now, -1, &matched),
	    TOTP_MALFORMED, "verify rejects a NULL code");

	/* The right six digits followed by anything are still malformed. */
	snprintf(code, sizeof(code), "%s7", "287082");
	is_int(totp_verify(key_sha1, 20, code, now, -1, &matched),
	    TOTP_MALFORMED, "verify rejects the right code plus a digit");
	is_int(totp_verify(key_sha1, 20, "287082", now, -1, &matched),
	    TOTP_OK, "verify accepts 287082 at time 59");
	is_int(totp_verify(key_sha1, 20, "287083", now, -1, &matched),
	    TOTP_INVALID, "verify rejects a wrong code as invalid");
}

/* ---- secrets and oathtool ---------------------------------------------- */

static void
test_secret_generate(void)
{
	unsigned char	 a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];
	unsigned char	 zero[TOTP_SECRET_LEN] = { 0 };

	totp_secret_generate(a);
	totp_secret_generate(b);
	ok(memcmp(a, b, sizeof(a)) != 0, "secret: two secrets differ");
	ok(memcmp(a, zero, sizeof(a)) != 0, "secret: a secret is not zero");
}

/*
 * Run oathtool for "secret_b32" at "time" and store its output without
 * the newline.  Returns 0, or -1 when oathtool failed.
 */
static int
oathtool_code(const char *mode, int digits, const char *secret_b32,
    int64_t time, char *out, size_t outsize)
{
	char	 command[256];
	FILE	*pipe;
	size_t	 len;
	int	 status;

	snprintf(command, sizeof(command), OATHTOOL " --totp=%s -d %d -b %s "
	    "-N @%" PRId64, mode, digits, secret_b32, time);
	if ((pipe = popen(command, "r")) == NULL)
		return -1;
	if (fgets(out, (int)outsize, pipe) == NULL)
		out[0] = '\0';
	status = pclose(pipe);
	len = strlen(out);
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	return status == 0 && len > 0 ? 0 : -1;
}

static void
test_oathtool(void)
{
	static const struct {
		const char	*mode;
		enum totp_alg	 alg;
		int		 digits;
	} modes[] = {
		{ "SHA1", TOTP_SHA1, 6 },
		{ "SHA1", TOTP_SHA1, 8 },
		{ "SHA256", TOTP_SHA256, 6 },
		{ "SHA512", TOTP_SHA512, 6 },
	};
	static const int64_t times[] = {
		0, 59, 1700000000, INT64_C(20000000000)
	};
	const int	 count = (int)((sizeof(modes) / sizeof(modes[0])) *
	    (sizeof(times) / sizeof(times[0]))) + 2;
	unsigned char	 secret[TOTP_SECRET_LEN];
	char		 secret_b32[TOTP_SECRET_B32_SIZE], want[32], got[16];
	char		 code[TOTP_CODE_SIZE];
	int64_t		 matched;
	uint32_t	 value;
	size_t		 m, t;
	int		 i;

	if (access(OATHTOOL, X_OK) != 0) {
		for (i = 0; i < count; i++)
			printf("ok %d # skip " OATHTOOL " not installed "
			    "(Debian package oathtool)\n", ++tap_run);
		return;
	}

	totp_secret_generate(secret);
	if (totp_base32_encode(secret, sizeof(secret), secret_b32,
	    sizeof(secret_b32)) != 32)
		bail_out("base32 encoding of a secret failed");

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
			if (oathtool_code(modes[m].mode, modes[m].digits,
			    secret_b32, times[t], want, sizeof(want)) != 0)
				want[0] = '\0';
			got[0] = '\0';
			if (totp_at(secret, sizeof(secret), times[t],
			    TOTP_STEP, modes[m].digits, modes[m].alg,
			    &value) == 0)
				snprintf(got, sizeof(got), "%0*" PRIu32,
				    modes[m].digits, value);
			is_str(got, want, "oathtool %s, %d digits, at %" PRId64
			    " agrees with totp_at", modes[m].mode,
			    modes[m].digits, times[t]);
		}
	}

	/* A code oathtool shows for a new secret passes totp_verify. */
	if (oathtool_code("SHA1", 6, secret_b32, 1700000000, code,
	    sizeof(code)) != 0)
		code[0] = '\0';
	matched = -1;
	is_int(totp_verify(secret, sizeof(secret), code, 1700000000, -1,
	    &matched), TOTP_OK, "oathtool's code for a new secret is accepted");
	is_int(matched, 1700000000 / TOTP_STEP,
	    "oathtool's code matches the current step");
	sodium_memzero(secret, sizeof(secret));
}

/* ---- otpauth:// URI ---------------------------------------------------- */

static void
test_otpauth_uri(void)
{
	const char	*secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	const char	*expected;
	char		 uri[512], small[64];
	int		 rc;

	rc = totp_otpauth_uri("SSCN", "alice@example.com", secret, uri,
	    sizeof(uri));
	expected = "otpauth://totp/SSCN:alice%40example.com"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=SSCN"
	    "&algorithm=SHA1&digits=6&period=30";
	is_str(uri, expected, "otpauth URI: plain issuer and e-mail");
	is_int(rc, (long long)strlen(expected), "otpauth URI: length returned");

	rc = totp_otpauth_uri("ACME Sourcing: EU", "b+o&b=1?#/%\xc3\xbc",
	    secret, uri, sizeof(uri));
	is_str(uri, "otpauth://totp/ACME%20Sourcing%3A%20EU:"
	    "b%2Bo%26b%3D1%3F%23%2F%25%C3%BC"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	    "&issuer=ACME%20Sourcing%3A%20EU"
	    "&algorithm=SHA1&digits=6&period=30",
	    "otpauth URI: reserved, space and UTF-8 bytes are escaped");

	rc = totp_otpauth_uri("A-b_c.d~e", "Z09", secret, uri, sizeof(uri));
	is_str(uri, "otpauth://totp/A-b_c.d~e:Z09?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A-b_c.d~e"
	    "&algorithm=SHA1&digits=6&period=30",
	    "otpauth URI: unreserved characters are kept");

	is_int(totp_otpauth_uri("", "a", secret, uri, sizeof(uri)), -1,
	    "otpauth URI rejects an empty issuer");
	is_int(totp_otpauth_uri("SSCN", NULL, secret, uri, sizeof(uri)), -1,
	    "otpauth URI rejects a NULL account");
	is_int(totp_otpauth_uri("SSCN", "a", "gezdgnbv", uri, sizeof(uri)),
	    -1, "otpauth URI rejects a lower-case secret");
	is_int(totp_otpauth_uri("SSCN", "a", "GEZDGNBV====", uri,
	    sizeof(uri)), -1, "otpauth URI rejects a padded secret");
	is_int(totp_otpauth_uri("SSCN", "a", "GE&x=1", uri, sizeof(uri)), -1,
	    "otpauth URI rejects a secret that would inject a parameter");

	is_int(totp_otpauth_uri("SSCN", "alice@example.com", secret, small,
	    sizeof(small)), -1, "otpauth URI rejects a too small buffer");
	is_int(small[0], 0, "otpauth URI wipes a too small buffer");

	rc = totp_otpauth_uri("SSCN", "alice@example.com", secret, uri,
	    strlen(expected) + 1);
	is_int(rc, (long long)strlen(expected),
	    "otpauth URI fits a buffer of exact size");
	is_int(totp_otpauth_uri("SSCN", "alice@example.com", secret, uri,
	    strlen(expected)), -1, "otpauth URI needs room for the NUL");

	ok(TOTP_OTPAUTH_URI_SIZE(4, 17) >= strlen(expected) + 1,
	    "otpauth URI size macro covers the plain case");
	ok(TOTP_OTPAUTH_URI_SIZE(17, 14) >= sizeof("otpauth://totp/"
	    "ACME%20Sourcing%3A%20EU:b%2Bo%26b%3D1%3F%23%2F%25%C3%BC"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	    "&issuer=ACME%20Sourcing%3A%20EU"
	    "&algorithm=SHA1&digits=6&period=30"),
	    "otpauth URI size macro covers the escaped case");
}

/* ---- QR code SVG ------------------------------------------------------- */

/*
 * Paint the rectangles of the path in "svg" into "grid" (side "size"
 * modules, including the quiet zone).  Returns 0, or -1 when the path is
 * not a sequence of "Mx yhNv1h-Nz" inside the grid.
 */
static int
svg_paint(const char *svg, unsigned char *grid, int size)
{
	const char	*p;
	int		 x, y, w, back, used, i;

	if ((p = strstr(svg, " d=\"")) == NULL)
		return -1;
	p += 4;
	while (*p == 'M') {
		if (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &w, &back,
		    &used) != 4 || w != back || w < 1 || x < 0 || y < 0 ||
		    x + w > size || y >= size)
			return -1;
		for (i = 0; i < w; i++)
			grid[y * size + x + i]++;
		p += used;
	}
	return *p == '"' ? 0 : -1;
}

static void
test_qr_svg(void)
{
	const char	*text = "otpauth://totp/SSCN:alice%40example.com"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=SSCN"
	    "&algorithm=SHA1&digits=6&period=30";
	QRcode		*qr;
	unsigned char	*grid = NULL;
	char		*svg = NULL, *big, *p;
	int		 size = 0, x, y, mismatches = 0, rc;
	size_t		 paths = 0;

	rc = qr_svg(text, &svg);
	is_int(rc, 0, "QR: qr_svg succeeds for an otpauth URI");
	if (svg == NULL)
		bail_out("qr_svg returned no SVG");

	ok(strncmp(svg, "<svg", 4) == 0, "QR: output starts with <svg");
	ok(strstr(svg, "viewBox=\"0 0 ") != NULL, "QR: output has a viewBox");
	ok(strstr(svg, "shape-rendering=\"crispEdges\"") != NULL,
	    "QR: output asks for crisp edges");
	ok(strstr(svg, "<script") == NULL, "QR: output has no <script");
	ok(strstr(svg, "href") == NULL && strstr(svg, "url(") == NULL,
	    "QR: output has no external reference");
	ok(strstr(svg, "<style") == NULL && strstr(svg, " on") == NULL,
	    "QR: output has no style sheet or event attribute");
	for (p = svg; (p = strstr(p, "<path")) != NULL; p++)
		paths++;
	is_int((long long)paths, 1, "QR: output has exactly one <path>");
	ok(strcmp(svg + strlen(svg) - 6, "</svg>") == 0,
	    "QR: output ends with </svg>");

	/* Rebuild the module grid from the path and compare with libqrencode. */
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		bail_out("QRcode_encodeString failed");
	if (sscanf(strstr(svg, "viewBox=\"0 0 "), "viewBox=\"0 0 %d", &size)
	    != 1)
		size = 0;
	is_int(size, qr->width + 2 * QR_QUIET_ZONE,
	    "QR: viewBox is the symbol plus a 4-module quiet zone each side");
	ok(strstr(svg, "d=\"M4 4h7v1h-7z") != NULL,
	    "QR: first run is the top-left finder pattern at (4, 4)");

	if (size == qr->width + 2 * QR_QUIET_ZONE) {
		grid = calloc((size_t)size * (size_t)size, 1);
		if (grid == NULL)
			bail_out("out of memory");
		is_int(svg_paint(svg, grid, size), 0,
		    "QR: path is a list of one-row rectangles");
		for (y = 0; y < size; y++) {
			for (x = 0; x < size; x++) {
				int dark = 0;

				if (x >= QR_QUIET_ZONE && y >= QR_QUIET_ZONE &&
				    x < size - QR_QUIET_ZONE &&
				    y < size - QR_QUIET_ZONE)
					dark = qr->data[(y - QR_QUIET_ZONE) *
					    qr->width + x - QR_QUIET_ZONE] & 1;
				if (grid[y * size + x] != dark)
					mismatches++;
			}
		}
		is_int(mismatches, 0,
		    "QR: path paints exactly the dark modules, each once");
		free(grid);
	} else {
		ok(0, "QR: path is a list of one-row rectangles");
		ok(0, "QR: path paints exactly the dark modules, each once");
	}
	QRcode_free(qr);
	free(svg);

	/* Version 40 at level M fits at most 2331 bytes of lower-case text. */
	if ((big = malloc(2400)) == NULL)
		bail_out("out of memory");
	memset(big, 'x', 2331);
	big[2331] = '\0';
	svg = NULL;
	is_int(qr_svg(big, &svg), 0, "QR: 2331 bytes fit in version 40");
	free(svg);
	memset(big, 'x', 2332);
	big[2332] = '\0';
	errno = 0;
	svg = (char *)1;
	is_int(qr_svg(big, &svg), -1, "QR: 2332 bytes are rejected");
	is_int(errno, ERANGE, "QR: too long text sets ERANGE");
	ok(svg == NULL, "QR: failure sets the output to NULL");
	free(big);

	errno = 0;
	is_int(qr_svg("", &svg), -1, "QR: empty text is rejected");
	is_int(errno, EINVAL, "QR: empty text sets EINVAL");
	is_int(qr_svg(NULL, &svg), -1, "QR: NULL text is rejected");
}

/*
 * Render "svg" to PNG with rsvg-convert, scan it with zbarimg and store
 * the decoded text in "out".  Returns 0, or -1 when a step failed.
 */
static int
qr_scan(const char *svg, char *out, size_t outsize)
{
	char	 dir[] = "/tmp/test_totp.XXXXXX";
	char	 svg_path[64], png_path[64], command[512];
	FILE	*f;
	size_t	 len;
	int	 rc = -1;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(svg_path, sizeof(svg_path), "%s/qr.svg", dir);
	snprintf(png_path, sizeof(png_path), "%s/qr.png", dir);
	if ((f = fopen(svg_path, "w")) == NULL)
		goto out;
	fputs(svg, f);
	if (fclose(f) != 0)
		goto out;

	snprintf(command, sizeof(command), RSVG_CONVERT " -w 400 -o %s %s "
	    "&& " ZBARIMG " -q --raw %s 2>/dev/null", png_path, svg_path,
	    png_path);
	if ((f = popen(command, "r")) == NULL)
		goto out;
	len = fread(out, 1, outsize - 1, f);
	out[len] = '\0';
	if (pclose(f) == 0 && len > 0 && out[len - 1] == '\n') {
		out[len - 1] = '\0';
		rc = 0;
	}

out:
	unlink(png_path);
	unlink(svg_path);
	rmdir(dir);
	return rc;
}

static void
test_qr_scan(void)
{
	const char	*text = "otpauth://totp/ACME%20Sourcing:b%2Bo%40example.com"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Sourcing"
	    "&algorithm=SHA1&digits=6&period=30";
	char		*svg = NULL, scanned[512];

	if (access(RSVG_CONVERT, X_OK) != 0 || access(ZBARIMG, X_OK) != 0) {
		printf("ok %d # skip " RSVG_CONVERT " or " ZBARIMG " not "
		    "installed (Debian packages librsvg2-bin, zbar-tools)\n",
		    ++tap_run);
		return;
	}
	if (qr_svg(text, &svg) != 0)
		bail_out("qr_svg failed");
	if (qr_scan(svg, scanned, sizeof(scanned)) != 0)
		scanned[0] = '\0';
	is_str(scanned, text, "QR: zbarimg reads the URI back from the SVG");
	free(svg);
}

/* ---- recovery codes ---------------------------------------------------- */

static bool
recovery_format_ok(const char *code)
{
	static const char	 alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	size_t			 i;

	if (strlen(code) != RECOVERY_CODE_SIZE - 1)
		return false;
	for (i = 0; i < RECOVERY_CODE_SIZE - 1; i++) {
		if (i == 4 || i == 9) {
			if (code[i] != '-')
				return false;
		} else if (strchr(alphabet, code[i]) == NULL ||
		    code[i] == '\0')
			return false;
	}
	return true;
}

static void
test_recovery_generate(void)
{
	char	 codes[RECOVERY_CODE_COUNT][RECOVERY_CODE_SIZE];
	char	 seen[256] = { 0 };
	int	 i, j, bad_format = 0, repeats = 0, round, letters = 0;

	recovery_code_generate(codes);
	for (i = 0; i < RECOVERY_CODE_COUNT; i++) {
		if (!recovery_format_ok(codes[i])) {
			bad_format++;
			diag("bad code: %s", codes[i]);
		}
		for (j = 0; j < i; j++)
			if (strcmp(codes[i], codes[j]) == 0)
				repeats++;
	}
	is_int(RECOVERY_CODE_COUNT, 10, "recovery: a set has 10 codes");
	is_int(bad_format, 0, "recovery: every code is xxxx-xxxx-xxxx");
	is_int(repeats, 0, "recovery: the codes of a set are distinct");

	/* 100 sets use every one of the 32 characters, and nothing else. */
	for (round = 0; round < 100; round++) {
		recovery_code_generate(codes);
		for (i = 0; i < RECOVERY_CODE_COUNT; i++)
			for (j = 0; codes[i][j] != '\0'; j++)
				seen[(unsigned char)codes[i][j]] = 1;
	}
	for (i = 0; i < 256; i++)
		letters += seen[i];
	is_int(letters, 33, "recovery: 32 characters and '-' are used");
	ok(!seen['l'] && !seen['o'] && !seen['0'] && !seen['1'],
	    "recovery: l, o, 0 and 1 never appear");
}

static void
test_recovery_normalize(void)
{
	static const char *const bad[] = {
		"abcd-efgh-jkm", "abcd-efgh-jkmnp", "abcd-efgh-jkm0",
		"abcd-efgh-jklm", "abcd-efgh-jkm1", "abcd-efgh-jkmo",
		"abcd_efgh_jkmn", "abcd\tefgh\tjkmn", "abcd-efgh-jkm\xc3\xa9",
		"", "----",
	};
	unsigned char	 h1[RECOVERY_CODE_HASH_LEN], h2[RECOVERY_CODE_HASH_LEN];
	unsigned char	 h3[RECOVERY_CODE_HASH_LEN], sha[RECOVERY_CODE_HASH_LEN];
	unsigned char	 salt1[RECOVERY_CODE_SALT_LEN], salt2[RECOVERY_CODE_SALT_LEN];
	unsigned char	 zero[RECOVERY_CODE_HASH_LEN] = { 0 };
	char		 out[RECOVERY_CODE_NORMALIZED_SIZE];
	size_t		 i;

	memset(salt1, 0x11, sizeof(salt1));
	memset(salt2, 0x22, sizeof(salt2));

	is_int(recovery_code_normalize("ABCD-EFGH-JKMN", out), 0,
	    "recovery: upper-case code normalizes");
	is_str(out, "abcdefghjkmn", "recovery: normal form is lower-case");
	is_int(recovery_code_normalize(" abcd efgh - jkmn ", out), 0,
	    "recovery: spaces and dashes are removed");
	is_str(out, "abcdefghjkmn", "recovery: spaced code normal form");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(recovery_code_normalize(bad[i], out), -1,
		    "recovery: normalize rejects bad code #%zu", i);
	is_int(recovery_code_normalize(NULL, out), -1,
	    "recovery: normalize rejects NULL");

	is_int(recovery_code_hash("ABCD-EFGH-JKMN", salt1, h1), 0,
	    "recovery: hash of the upper-case form");
	is_int(recovery_code_hash("abcdefghjkmn", salt1, h2), 0,
	    "recovery: hash of the bare form");
	ok(memcmp(h1, h2, sizeof(h1)) == 0,
	    "recovery: ABCD-EFGH-JKMN and abcdefghjkmn hash alike");

	crypto_generichash(sha, sizeof(sha), (const unsigned char *)
	    "abcdefghjkmn", 12, salt1, sizeof(salt1));
	ok(memcmp(h2, sha, sizeof(sha)) == 0,
	    "recovery: hash is keyed BLAKE2b of the normal form");

	is_int(recovery_code_hash("abcdefghjkmn", salt2, h3), 0,
	    "recovery: hash with another salt");
	ok(memcmp(h2, h3, sizeof(h2)) != 0,
	    "recovery: another salt gives another hash");

	is_int(recovery_code_hash("abcd-efgh-jkmp", salt1, h3), 0,
	    "recovery: hash of another code");
	ok(memcmp(h1, h3, sizeof(h1)) != 0,
	    "recovery: different codes hash differently");

	memset(h3, 0xaa, sizeof(h3));
	is_int(recovery_code_hash("abcd-efgh-jkm", salt1, h3), -1,
	    "recovery: hash rejects a short code");
	ok(memcmp(h3, zero, sizeof(h3)) == 0,
	    "recovery: a rejected hash output is wiped");
}

int
main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init failed");

	test_base32_vectors();
	test_base32_invalid();
	test_base32_round_trip();
	test_hotp_rfc4226();
	test_hotp_invalid();
	test_totp_rfc6238();
	test_verify_drift();
	test_verify_replay();
	test_verify_malformed();
	test_secret_generate();
	test_oathtool();
	test_otpauth_uri();
	test_qr_svg();
	test_qr_scan();
	test_recovery_generate();
	test_recovery_normalize();
	return done_testing();
}
