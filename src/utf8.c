/*
 * utf8.c - UTF-8 validation as RFC 3629 defines it.
 *
 * Well-formed sequences (RFC 3629, section 4):
 *
 *	00-7F
 *	C2-DF 80-BF
 *	E0 A0-BF 80-BF | E1-EC 80-BF 80-BF | ED 80-9F 80-BF | EE-EF 80-BF 80-BF
 *	F0 90-BF 80-BF 80-BF | F1-F3 80-BF 80-BF 80-BF | F4 80-8F 80-BF 80-BF
 *
 * So overlong forms, UTF-16 surrogates (ED A0-BF) and code points above
 * U+10FFFF are all rejected.
 */
#include "config.h"

#include "sscn.h"

bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char	 c = s[i];
		unsigned char	 lo = 0x80, hi = 0xbf;
		size_t		 need, k;

		if (c < 0x80) {
			i++;
			continue;
		}

		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;

		if (len - i - 1 < need)
			return false;

		/* Only the first continuation byte has a narrowed range. */
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += need + 1;
	}
	return true;
}
