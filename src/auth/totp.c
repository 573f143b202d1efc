/*
 * totp.c - HOTP (RFC 4226), TOTP (RFC 6238), base32 (RFC 4648) and the
 * otpauth:// key URI that authenticator apps read.
 *
 * HOTP(K, C) = Truncate(HMAC(K, C)) mod 10^digits, where C is the 8-byte
 * big-endian counter and Truncate takes 4 bytes at the offset given by the
 * low 4 bits of the last MAC byte, with the top bit cleared (RFC 4226,
 * section 5.3).  TOTP uses C = floor(unix_time / step) (RFC 6238, section
 * 4.2).
 *
 * Error handling: every function returns a status and logs nothing.  Key
 * material, MACs and expected codes on the stack are wiped before return.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "auth/totp.h"

/* totp_otpauth_uri() writes these two parameters as literals. */
_Static_assert(TOTP_DIGITS == 6 && TOTP_STEP == 30,
    "the otpauth:// URI must match TOTP_DIGITS and TOTP_STEP");

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/*
 * Return the value 0-31 of one base32 character of either case, or -1.
 * '=' is not a value and returns -1 too.
 */
static int
base32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
totp_base32_encode(const unsigned char *in, size_t inlen, char *out,
    size_t outsize)
{
	uint32_t	 bits = 0;	/* pending bits, at most 12 */
	int		 nbits = 0;
	size_t		 need, n = 0, i;

	if (inlen > (SIZE_MAX - 4) / 8)
		return -1;
	need = (inlen * 8 + 4) / 5;
	if (need > INT_MAX || outsize < need + 1)
		return -1;

	for (i = 0; i < inlen; i++) {
		bits = ((bits << 8) | in[i]) & 0xfff;
		nbits += 8;
		while (nbits >= 5) {
			nbits -= 5;
			out[n++] = base32_alphabet[(bits >> nbits) & 0x1f];
		}
	}

	/* The last group is filled up with zero bits (RFC 4648, section 6). */
	if (nbits > 0)
		out[n++] = base32_alphabet[(bits << (5 - nbits)) & 0x1f];
	out[n] = '\0';
	return (int)n;
}

int
totp_base32_decode(const char *in, unsigned char *out, size_t outsize,
    size_t *outlen)
{
	uint32_t	 bits = 0;	/* pending bits, at most 12 */
	int		 nbits = 0, value;
	size_t		 len, end, n = 0, i;

	if (in == NULL || outlen == NULL)
		return -1;
	len = strlen(in);

	/*
	 * Padding, when present, fills the last group of 8 characters, so
	 * there are 8 - (end % 8) of them, and none after a full group.
	 */
	end = len;
	while (end > 0 && in[end - 1] == '=')
		end--;
	if (end < len && (len % 8 != 0 || end % 8 == 0))
		return -1;

	/* A last group of 1, 3 or 6 characters is no whole number of bytes. */
	switch (end % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	default:
		break;
	}
	if (end / 8 * 5 + (end % 8) * 5 / 8 > outsize)
		return -1;

	for (i = 0; i < end; i++) {
		if ((value = base32_value(in[i])) < 0)
			return -1;
		bits = ((bits << 5) | (uint32_t)value) & 0xfff;
		nbits += 5;
		if (nbits >= 8) {
			nbits -= 8;
			out[n++] = (unsigned char)(bits >> nbits);
		}
	}

	/*
	 * RFC 4648, section 3.5 lets a decoder reject non-zero bits after the
	 * last byte, so that each byte string has exactly one text.
	 */
	if ((bits & ((1u << nbits) - 1)) != 0)
		return -1;

	*outlen = n;
	return 0;
}

void
totp_secret_generate(unsigned char out[TOTP_SECRET_LEN])
{
	randombytes_buf(out, TOTP_SECRET_LEN);
}

static const EVP_MD *
totp_md(enum totp_alg alg)
{
	switch (alg) {
	case TOTP_SHA1:
		return EVP_sha1();
	case TOTP_SHA256:
		return EVP_sha256();
	case TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int
totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
    int digits, enum totp_alg alg, uint32_t *code)
{
	static const uint32_t	 modulus[] = { 1000000, 10000000, 100000000 };
	const EVP_MD		*md;
	unsigned char		 message[8], mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, offset;
	uint32_t		 truncated;
	int			 i, rc = -1;

	if (key == NULL || keylen == 0 || keylen > INT_MAX || code == NULL)
		return -1;
	if (digits < 6 || digits > 8)
		return -1;
	if ((md = totp_md(alg)) == NULL)
		return -1;

	for (i = 7; i >= 0; i--) {
		message[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}

	if (HMAC(md, key, (int)keylen, message, sizeof(message), mac,
	    &maclen) == NULL || maclen < 20)
		goto out;

	/* The offset is at most 15, so 4 bytes from it fit in any MAC here. */
	offset = mac[maclen - 1] & 0x0f;
	truncated = (uint32_t)(mac[offset] & 0x7f) << 24 |
	    (uint32_t)mac[offset + 1] << 16 |
	    (uint32_t)mac[offset + 2] << 8 |
	    (uint32_t)mac[offset + 3];
	*code = truncated % modulus[digits - 6];
	rc = 0;

out:
	sodium_memzero(mac, sizeof(mac));
	sodium_memzero(&truncated, sizeof(truncated));
	return rc;
}

int
totp_at(const unsigned char *key, size_t keylen, int64_t unix_time,
    unsigned int step, int digits, enum totp_alg alg, uint32_t *code)
{
	if (unix_time < 0 || step == 0)
		return -1;
	return totp_hotp(key, keylen, (uint64_t)unix_time / step, digits, alg,
	    code);
}

/* True when "code" is exactly TOTP_DIGITS ASCII digits. */
static bool
totp_code_well_formed(const char *code)
{
	int	 i;

	if (code == NULL)
		return false;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[TOTP_DIGITS] == '\0';
}

enum totp_result
totp_verify(const unsigned char *key, size_t keylen, const char *code,
    int64_t unix_time, int64_t last_accepted_step, int64_t *matched_step)
{
	char			 expected[TOTP_CODE_SIZE];
	enum totp_result	 result = TOTP_INVALID;
	int64_t			 current, step;
	uint32_t		 value = 0;
	int			 i;

	if (!totp_code_well_formed(code))
		return TOTP_MALFORMED;
	if (unix_time < 0 || matched_step == NULL)
		return TOTP_ERROR;

	/*
	 * Steps are tried oldest first, and the first match after
	 * "last_accepted_step" wins.  A match on a used step only turns
	 * TOTP_INVALID into TOTP_REPLAY.  Step -1 does not exist.
	 */
	current = unix_time / TOTP_STEP;
	for (step = current - 1; step <= current + 1; step++) {
		if (step < 0)
			continue;
		if (totp_hotp(key, keylen, (uint64_t)step, TOTP_DIGITS,
		    TOTP_SHA1, &value) == -1) {
			result = TOTP_ERROR;
			break;
		}
		for (i = TOTP_DIGITS - 1; i >= 0; i--) {
			expected[i] = (char)('0' + value % 10);
			value /= 10;
		}
		expected[TOTP_DIGITS] = '\0';

		if (sodium_memcmp(expected, code, TOTP_DIGITS) != 0)
			continue;
		if (step <= last_accepted_step) {
			if (result == TOTP_INVALID)
				result = TOTP_REPLAY;
		} else if (result != TOTP_OK) {
			result = TOTP_OK;
			*matched_step = step;
		}
	}

	sodium_memzero(expected, sizeof(expected));
	sodium_memzero(&value, sizeof(value));
	return result;
}

/* Output buffer of totp_otpauth_uri(), whose "len" counts past "size". */
struct uri_buf {
	char	*data;
	size_t	 size;
	size_t	 len;
};

static void
uri_append_char(struct uri_buf *b, char c)
{
	if (b->len + 1 < b->size)
		b->data[b->len] = c;
	b->len++;
}

static void
uri_append(struct uri_buf *b, const char *s)
{
	while (*s != '\0')
		uri_append_char(b, *s++);
}

/* Append "s" with every byte but the RFC 3986 unreserved ones as %XX. */
static void
uri_append_encoded(struct uri_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			uri_append_char(b, (char)c);
			continue;
		}
		uri_append_char(b, '%');
		uri_append_char(b, hex[c >> 4]);
		uri_append_char(b, hex[c & 0x0f]);
	}
}

int
totp_otpauth_uri(const char *issuer, const char *account,
    const char *secret_b32, char *out, size_t outsize)
{
	struct uri_buf	 b = { out, outsize, 0 };
	const char	*p;

	if (issuer == NULL || *issuer == '\0' || account == NULL ||
	    *account == '\0' || secret_b32 == NULL || *secret_b32 == '\0' ||
	    out == NULL || outsize == 0)
		return -1;
	for (p = secret_b32; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
			return -1;

	/*
	 * The label is "issuer:account" with a literal colon.  The issuer
	 * parameter repeats the issuer for apps that ignore the label prefix.
	 */
	uri_append(&b, "otpauth://totp/");
	uri_append_encoded(&b, issuer);
	uri_append_char(&b, ':');
	uri_append_encoded(&b, account);
	uri_append(&b, "?secret=");
	uri_append(&b, secret_b32);
	uri_append(&b, "&issuer=");
	uri_append_encoded(&b, issuer);
	uri_append(&b, "&algorithm=SHA1&digits=6&period=30");

	if (b.len >= outsize || b.len > INT_MAX) {
		sodium_memzero(out, outsize);
		return -1;
	}
	out[b.len] = '\0';
	return (int)b.len;
}
