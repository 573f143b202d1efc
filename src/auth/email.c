/*
 * email.c - e-mail address checks and the normalized form used as a key.
 *
 * The normalized form is the address trimmed of surrounding blanks, in
 * Unicode NFC and case-folded (Unicode default case folding, via
 * libunistring's u8_casefold).  Uniqueness of accounts and the login lock
 * both use it, so "Anna@Example.com", "anna@example.com" and an NFD
 * spelling of an accented address all name one account.
 *
 * The syntax check is deliberately plain: one "@", a local part of 1 to
 * 64 bytes and a domain of 1 to 253 bytes with no blanks, control
 * characters, quotes or angle brackets, because an address also ends up
 * in mail headers.  Whether it can receive mail is what verification
 * shows.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>

#include "sscn.h"
#include "auth/email.h"

static bool
email_byte_allowed(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return false;
	return strchr("\"<>()[]\\,;:", c) == NULL;
}

int
email_normalize(const char *input, char *out, size_t outlen)
{
	const char	*start = input;
	const char	*end;
	const char	*at;
	uint8_t		*folded;
	size_t		 len, foldedlen, i;

	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - start);

	if (len < 3 || len > EMAIL_MAX ||
	    !utf8_valid((const unsigned char *)start, len))
		return -1;
	for (i = 0; i < len; i++)
		if (!email_byte_allowed((unsigned char)start[i]))
			return -1;

	at = memchr(start, '@', len);
	if (at == NULL || at == start || memchr(at + 1, '@',
	    (size_t)(end - at - 1)) != NULL)
		return -1;
	if ((size_t)(at - start) > 64 || end - at - 1 < 1 ||
	    end - at - 1 > 253 || at[1] == '.' || end[-1] == '.')
		return -1;

	folded = u8_casefold((const uint8_t *)start, len, NULL, UNINORM_NFC,
	    NULL, &foldedlen);
	if (folded == NULL)
		return -1;
	if (foldedlen + 1 > outlen) {
		free(folded);
		return -1;
	}
	memcpy(out, folded, foldedlen);
	out[foldedlen] = '\0';
	free(folded);
	return 0;
}

const char *
email_local_part(const char *email, char *out, size_t outlen)
{
	const char	*at = strchr(email, '@');
	size_t		 len = at ? (size_t)(at - email) : strlen(email);

	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, email, len);
	out[len] = '\0';
	return out;
}
