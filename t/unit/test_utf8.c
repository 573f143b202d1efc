/*
 * test_utf8.c - utf8_valid() against the UTF-8 syntax of RFC 3629, section 4:
 *
 *   UTF8-1 = %x00-7F
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *            %xF4 %x80-8F 2( UTF8-tail )
 *   UTF8-tail = %x80-BF
 *
 * Every input is copied into a heap buffer of exactly its length, so that a
 * read past "len" shows up under AddressSanitizer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "tap.h"

/* Run utf8_valid() on an exact-size copy of "len" bytes at "bytes". */
static bool
valid_copy(const void *bytes, size_t len)
{
	unsigned char	*copy;
	bool		 result;

	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		bail_out("out of memory");
	memcpy(copy, bytes, len);
	result = utf8_valid(copy, len);
	free(copy);
	return result;
}

/* Encode "cp" the way RFC 3629 does, without refusing surrogates. */
static size_t
encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

struct utf8_case {
	const char	*name;
	const char	*bytes;
	size_t		 len;
	bool		 valid;
};

#define CASE(name, lit, valid) { name, lit, sizeof(lit) - 1, valid }

static const struct utf8_case cases[] = {
	/* Boundaries of each sequence length. */
	CASE("utf8: empty input is valid", "", true),
	CASE("utf8: U+0000 is valid", "\x00", true),
	CASE("utf8: U+007F is valid", "\x7f", true),
	CASE("utf8: U+0080 is valid", "\xc2\x80", true),
	CASE("utf8: U+07FF is valid", "\xdf\xbf", true),
	CASE("utf8: U+0800 is valid", "\xe0\xa0\x80", true),
	CASE("utf8: U+0FFF is valid", "\xe0\xbf\xbf", true),
	CASE("utf8: U+1000 is valid", "\xe1\x80\x80", true),
	CASE("utf8: U+CFFF is valid", "\xec\xbf\xbf", true),
	CASE("utf8: U+D000 is valid", "\xed\x80\x80", true),
	CASE("utf8: U+D7FF is valid", "\xed\x9f\xbf", true),
	CASE("utf8: U+E000 is valid", "\xee\x80\x80", true),
	CASE("utf8: U+FFFD is valid", "\xef\xbf\xbd", true),
	CASE("utf8: U+FFFE noncharacter is valid", "\xef\xbf\xbe", true),
	CASE("utf8: U+FFFF is valid", "\xef\xbf\xbf", true),
	CASE("utf8: U+10000 is valid", "\xf0\x90\x80\x80", true),
	CASE("utf8: U+3FFFF is valid", "\xf0\xbf\xbf\xbf", true),
	CASE("utf8: U+40000 is valid", "\xf1\x80\x80\x80", true),
	CASE("utf8: U+FFFFF is valid", "\xf3\xbf\xbf\xbf", true),
	CASE("utf8: U+100000 is valid", "\xf4\x80\x80\x80", true),
	CASE("utf8: U+10FFFF is valid", "\xf4\x8f\xbf\xbf", true),
	CASE("utf8: mixed text is valid",
	    "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z",
	    true),
	CASE("utf8: NUL inside text is valid", "a\x00" "b", true),

	/* Overlong forms. */
	CASE("utf8: overlong NUL C0 80 is invalid", "\xc0\x80", false),
	CASE("utf8: overlong C0 AF is invalid", "\xc0\xaf", false),
	CASE("utf8: overlong C1 BF is invalid", "\xc1\xbf", false),
	CASE("utf8: overlong E0 80 80 is invalid", "\xe0\x80\x80", false),
	CASE("utf8: overlong E0 80 AF is invalid", "\xe0\x80\xaf", false),
	CASE("utf8: overlong E0 9F BF is invalid", "\xe0\x9f\xbf", false),
	CASE("utf8: overlong F0 80 80 80 is invalid", "\xf0\x80\x80\x80",
	    false),
	CASE("utf8: overlong F0 80 80 AF is invalid", "\xf0\x80\x80\xaf",
	    false),
	CASE("utf8: overlong F0 8F BF BF is invalid", "\xf0\x8f\xbf\xbf",
	    false),
	CASE("utf8: five-byte overlong F8 is invalid", "\xf8\x80\x80\x80\xaf",
	    false),
	CASE("utf8: six-byte overlong FC is invalid",
	    "\xfc\x80\x80\x80\x80\xaf", false),

	/* UTF-16 surrogates encoded as UTF-8 (CESU-8 style). */
	CASE("utf8: surrogate U+D800 is invalid", "\xed\xa0\x80", false),
	CASE("utf8: surrogate U+DB7F is invalid", "\xed\xad\xbf", false),
	CASE("utf8: surrogate U+DB80 is invalid", "\xed\xae\x80", false),
	CASE("utf8: surrogate U+DBFF is invalid", "\xed\xaf\xbf", false),
	CASE("utf8: surrogate U+DC00 is invalid", "\xed\xb0\x80", false),
	CASE("utf8: surrogate U+DFFF is invalid", "\xed\xbf\xbf", false),
	CASE("utf8: surrogate pair D83D DE00 is invalid",
	    "\xed\xa0\xbd\xed\xb8\x80", false),

	/* Beyond U+10FFFF and bytes that never occur. */
	CASE("utf8: U+110000 is invalid", "\xf4\x90\x80\x80", false),
	CASE("utf8: F4 BF BF BF is invalid", "\xf4\xbf\xbf\xbf", false),
	CASE("utf8: lead byte F5 is invalid", "\xf5\x80\x80\x80", false),
	CASE("utf8: lead byte F7 is invalid", "\xf7\xbf\xbf\xbf", false),
	CASE("utf8: five-byte form of U+200000 is invalid",
	    "\xf8\x88\x80\x80\x80", false),
	CASE("utf8: six-byte form of U+7FFFFFFF is invalid",
	    "\xfd\xbf\xbf\xbf\xbf\xbf", false),
	CASE("utf8: byte FE is invalid", "\xfe", false),
	CASE("utf8: byte FF is invalid", "\xff", false),
	CASE("utf8: byte order mark FE FF is invalid", "\xfe\xff", false),

	/* Continuation bytes without a lead byte. */
	CASE("utf8: lone continuation 80 is invalid", "\x80", false),
	CASE("utf8: lone continuation BF is invalid", "\xbf", false),
	CASE("utf8: continuation after ASCII is invalid", "a\x80", false),
	CASE("utf8: extra continuation after U+00E9 is invalid",
	    "\xc3\xa9\xa9", false),
	CASE("utf8: extra continuation after U+10FFFF is invalid",
	    "\xf4\x8f\xbf\xbf\x80", false),

	/* Truncated sequences, at the end and followed by other bytes. */
	CASE("utf8: two-byte lead alone is invalid", "\xc3", false),
	CASE("utf8: three-byte lead alone is invalid", "\xe2", false),
	CASE("utf8: three-byte sequence cut after 2 is invalid", "\xe2\x82",
	    false),
	CASE("utf8: four-byte lead alone is invalid", "\xf0", false),
	CASE("utf8: four-byte sequence cut after 2 is invalid", "\xf0\x9f",
	    false),
	CASE("utf8: four-byte sequence cut after 3 is invalid",
	    "\xf0\x9f\x98", false),
	CASE("utf8: two-byte lead then ASCII is invalid", "\xc3" "a", false),
	CASE("utf8: three-byte cut then ASCII is invalid", "\xe2\x82" "a",
	    false),
	CASE("utf8: four-byte cut then ASCII is invalid", "\xf0\x9f\x98" "a",
	    false),
	CASE("utf8: two-byte lead then NUL is invalid", "\xc3\x00", false),
	CASE("utf8: lead byte then a new lead is invalid", "\xc3\xc3\xa9",
	    false),
	CASE("utf8: invalid byte after valid text is invalid",
	    "valid text \xff", false),
};

/* Every two-byte and three-byte lead with every possible second byte. */
static void
test_second_byte_ranges(void)
{
	unsigned	lead, second;
	unsigned	wrong = 0;
	unsigned char	seq[4];

	for (lead = 0xc0; lead <= 0xf7; lead++) {
		for (second = 0x00; second <= 0xff; second++) {
			bool	expected;
			size_t	len;

			seq[0] = (unsigned char)lead;
			seq[1] = (unsigned char)second;
			seq[2] = 0x80;
			seq[3] = 0x80;
			if (lead < 0xe0)
				len = 2;
			else if (lead < 0xf0)
				len = 3;
			else
				len = 4;

			if (lead < 0xc2 || lead > 0xf4)
				expected = false;
			else if (second < 0x80 || second > 0xbf)
				expected = false;
			else if (lead == 0xe0)
				expected = second >= 0xa0;
			else if (lead == 0xed)
				expected = second <= 0x9f;
			else if (lead == 0xf0)
				expected = second >= 0x90;
			else if (lead == 0xf4)
				expected = second <= 0x8f;
			else
				expected = true;

			if (valid_copy(seq, len) != expected) {
				if (wrong < 10)
					diag("%02X %02X: expected %s",
					    lead, second,
					    expected ? "valid" : "invalid");
				wrong++;
			}
		}
	}
	is_int(wrong, 0,
	    "utf8: every lead and second byte pair matches RFC 3629");
}

/*
 * Every code point, encoded: valid except the surrogates.  One test per
 * range keeps the output short; the first mismatches are shown.
 */
static void
test_every_code_point(void)
{
	static const struct {
		const char	*name;
		uint32_t	 first, last;
		bool		 valid;
	} ranges[] = {
		{ "utf8: every one-byte code point is valid", 0x0, 0x7f, true },
		{ "utf8: every two-byte code point is valid", 0x80, 0x7ff,
		    true },
		{ "utf8: code points U+0800-U+D7FF are valid", 0x800, 0xd7ff,
		    true },
		{ "utf8: every encoded surrogate is invalid", 0xd800, 0xdfff,
		    false },
		{ "utf8: code points U+E000-U+FFFF are valid", 0xe000, 0xffff,
		    true },
		{ "utf8: every four-byte code point is valid", 0x10000,
		    0x10ffff, true },
		{ "utf8: four-byte forms past U+10FFFF are invalid", 0x110000,
		    0x1fffff, false },
	};
	size_t		i;
	unsigned char	seq[4];

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		unsigned	wrong = 0;
		uint32_t	cp;

		for (cp = ranges[i].first; cp <= ranges[i].last; cp++) {
			size_t len = encode(cp, seq);

			if (utf8_valid(seq, len) != ranges[i].valid) {
				if (wrong < 5)
					diag("U+%04X gave the wrong answer",
					    (unsigned)cp);
				wrong++;
			}
		}
		is_int(wrong, 0, "%s", ranges[i].name);
	}
}

/* Overlong encodings of every code point that has a shorter form. */
static void
test_every_overlong(void)
{
	unsigned	wrong = 0;
	uint32_t	cp;
	unsigned char	seq[4];

	for (cp = 0; cp < 0x10000; cp++) {
		/* Two-byte form of U+0000-U+007F. */
		if (cp < 0x80) {
			seq[0] = (unsigned char)(0xc0 | (cp >> 6));
			seq[1] = (unsigned char)(0x80 | (cp & 0x3f));
			if (valid_copy(seq, 2))
				wrong++;
		}
		/* Three-byte form of U+0000-U+07FF. */
		if (cp < 0x800) {
			seq[0] = 0xe0;
			seq[1] = (unsigned char)(0x80 | (cp >> 6));
			seq[2] = (unsigned char)(0x80 | (cp & 0x3f));
			if (valid_copy(seq, 3))
				wrong++;
		}
		/* Four-byte form of U+0000-U+FFFF. */
		seq[0] = 0xf0;
		seq[1] = (unsigned char)(0x80 | (cp >> 12));
		seq[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		seq[3] = (unsigned char)(0x80 | (cp & 0x3f));
		if (valid_copy(seq, 4))
			wrong++;
	}
	is_int(wrong, 0, "utf8: every overlong form is invalid");
}

/* "len" is the whole input: bytes after it do not count. */
static void
test_length_is_respected(void)
{
	const unsigned char	 text[] = "ab\xff";
	const unsigned char	 cut[] = "\xe2\x82\xac";

	ok(utf8_valid(text, 2), "utf8: invalid byte past len is ignored");
	ok(!utf8_valid(cut, 2), "utf8: sequence cut by len is invalid");
	ok(!utf8_valid(cut, 1), "utf8: lead byte cut by len is invalid");
	ok(utf8_valid(cut, 0), "utf8: zero length is valid");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = valid_copy(cases[i].bytes, cases[i].len);

		if (!ok(got == cases[i].valid, "%s", cases[i].name))
			diag("utf8_valid returned %s", got ? "true" : "false");
	}

	test_second_byte_ranges();
	test_every_code_point();
	test_every_overlong();
	test_length_is_respected();

	return done_testing();
}
