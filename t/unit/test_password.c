/*
 * test_password.c - password policy, zxcvbn score, common-password list
 * and hashing (src/auth/password.c).
 *
 * Argon2id runs at libsodium's minimum cost (1 pass over 8 KiB) so that the
 * program stays fast; password_policy_defaults() is checked on its own.
 * The common-password list is the shipped data/common-passwords.txt; the
 * loader's error cases use small files written under $TMPDIR.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crypt.h>
#include <sodium.h>

#include "sscn.h"
#include "auth/password.h"
#include "tap.h"

#define COMMON_LIST_PATH SRCDIR "/data/common-passwords.txt"

/* "Ünïcödé-Pässwörd-42" with precomposed letters (NFC). */
#define UNICODE_NFC \
	"\xc3\x9cn\xc3\xaf""c\xc3\xb6""d\xc3\xa9-P\xc3\xa4ssw\xc3\xb6rd-42"
/* The same password with base letters and combining marks (NFD). */
#define UNICODE_NFD \
	"U\xcc\x88ni\xcc\x88""co\xcc\x88""de\xcc\x81-Pa\xcc\x88ssw" \
	"o\xcc\x88rd-42"

static struct common_list *common;

/* The default policy at the cheapest Argon2id cost. */
static void
fast_policy(struct password_policy *policy)
{
	password_policy_defaults(policy);
	policy->opslimit = crypto_pwhash_OPSLIMIT_MIN;
	policy->memlimit = crypto_pwhash_MEMLIMIT_MIN;
}

/* A policy with every rule off, for testing one rule at a time. */
static void
bare_policy(struct password_policy *policy)
{
	fast_policy(policy);
	policy->min_length = 1;
	policy->max_length = PASSWORD_MAX_LENGTH_LIMIT;
	policy->require_upper = false;
	policy->require_lower = false;
	policy->require_digit = false;
	policy->min_score = 0;
	policy->check_common = false;
}

/*
 * Run password_check() and compare its problems, joined with ",", with
 * "expected" ("" for none).  "acceptable" must be true exactly when
 * "expected" is empty.
 */
static void
expect_problems(const struct password_policy *policy, const char *password,
    const char *email, const char *name, const char *expected,
    const char *case_name)
{
	struct password_report	report;
	char			joined[256];
	size_t			i, used = 0;

	if (!is_int(password_check(policy, common, password, email, name,
	    &report), 0, "check: %s runs", case_name))
		return;

	joined[0] = '\0';
	for (i = 0; i < report.nproblems && used < sizeof joined; i++)
		used += (size_t)snprintf(joined + used, sizeof joined - used,
		    "%s%s", i > 0 ? "," : "", report.problems[i]);
	is_str(joined, expected, "check: %s problems", case_name);
	is_int(report.acceptable, expected[0] == '\0',
	    "check: %s acceptable", case_name);
}

/* Return the code-point length that password_check() reports. */
static long long
checked_length(const struct password_policy *policy, const char *password)
{
	struct password_report	report;

	if (password_check(policy, NULL, password, NULL, NULL, &report) != 0)
		return -1;
	return (long long)report.length;
}

/* Return the zxcvbn score that password_check() reports. */
static int
checked_score(const char *password)
{
	struct password_policy	policy;
	struct password_report	report;

	bare_policy(&policy);
	if (password_check(&policy, NULL, password, NULL, NULL, &report) != 0)
		return -2;
	return report.score;
}

/* Write "len" bytes of "text" to a new file under $TMPDIR and return its path. */
static char *
write_temp(const char *text, size_t len)
{
	const char	*tmpdir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (asprintf(&path, "%s/test_password.XXXXXX", tmpdir) == -1)
		bail_out("out of memory");
	if ((fd = mkstemp(path)) == -1)
		bail_out("mkstemp %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		bail_out("write %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

/*
 * Load "text" as a common-password list and expect failure with "error"
 * and "line" (0: no line).
 */
static void
expect_load_error(const char *text, int error, size_t line,
    const char *case_name)
{
	struct common_list	*list;
	char			*path = write_temp(text, strlen(text));
	size_t			 bad_line = 12345;

	errno = 0;
	list = common_list_load(path, &bad_line);
	ok(list == NULL, "load: %s is rejected", case_name);
	is_int(errno, error, "load: %s errno", case_name);
	is_int((long long)bad_line, (long long)line, "load: %s line",
	    case_name);
	common_list_free(list);
	unlink(path);
	free(path);
}

/* Fill "out" with "len" pseudo-random letters and digits, then a NUL. */
static void
random_password(char *out, size_t len, unsigned seed)
{
	static const char	alphabet[] =
	    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	uint32_t		state = seed;
	size_t			i;

	for (i = 0; i < len; i++) {
		state = state * 1103515245u + 12345u;
		out[i] = alphabet[(state >> 16) % (sizeof alphabet - 1)];
	}
	/* Make sure every class is there, whatever the generator produced. */
	if (len >= 3) {
		out[0] = 'K';
		out[1] = 'q';
		out[2] = '7';
	}
	out[len] = '\0';
}

static void
test_policy_defaults(void)
{
	struct password_policy	policy, bad;

	password_policy_defaults(&policy);
	is_int((long long)policy.min_length, 8, "defaults: min_length");
	is_int((long long)policy.max_length, 128, "defaults: max_length");
	ok(policy.require_upper, "defaults: require_upper");
	ok(policy.require_lower, "defaults: require_lower");
	ok(policy.require_digit, "defaults: require_digit");
	is_int(policy.min_score, 3, "defaults: min_score");
	ok(policy.check_common, "defaults: check_common");
	is_int((long long)policy.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    "defaults: opslimit");
	is_int((long long)policy.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    "defaults: memlimit");
	ok(password_policy_validate(&policy) == NULL, "validate: defaults");

	bad = policy;
	bad.min_length = 0;
	ok(password_policy_validate(&bad) != NULL, "validate: min_length 0");
	bad = policy;
	bad.min_length = 129;
	ok(password_policy_validate(&bad) != NULL,
	    "validate: min_length above max_length");
	bad = policy;
	bad.max_length = PASSWORD_MAX_LENGTH_LIMIT + 1;
	ok(password_policy_validate(&bad) != NULL,
	    "validate: max_length above limit");
	bad = policy;
	bad.min_score = 5;
	ok(password_policy_validate(&bad) != NULL, "validate: min_score 5");
	bad = policy;
	bad.min_score = -1;
	ok(password_policy_validate(&bad) != NULL, "validate: min_score -1");
	bad = policy;
	bad.opslimit = 0;
	ok(password_policy_validate(&bad) != NULL, "validate: opslimit 0");
	bad = policy;
	bad.memlimit = 1024;
	ok(password_policy_validate(&bad) != NULL, "validate: memlimit 1 KiB");
}

/* Each rule enabled alone, on a password that fails only that rule. */
static void
test_rules_alone(void)
{
	struct password_policy	policy;

	bare_policy(&policy);
	expect_problems(&policy, "x", NULL, NULL, "", "bare policy, 1 char");

	bare_policy(&policy);
	policy.min_length = 8;
	expect_problems(&policy, "Ab1xyz7", NULL, NULL, "too_short",
	    "7 code points");
	expect_problems(&policy, "Ab1xyz7q", NULL, NULL, "",
	    "8 code points");

	bare_policy(&policy);
	policy.max_length = 10;
	expect_problems(&policy, "Ab1xyz7qrs", NULL, NULL, "",
	    "10 of max 10");
	expect_problems(&policy, "Ab1xyz7qrst", NULL, NULL, "too_long",
	    "11 of max 10");

	bare_policy(&policy);
	policy.require_upper = true;
	expect_problems(&policy, "abcdefg1", NULL, NULL, "missing_upper",
	    "no upper-case");
	expect_problems(&policy, "\xc3\x89tude", NULL, NULL, "",
	    "non-ASCII upper-case");

	bare_policy(&policy);
	policy.require_lower = true;
	expect_problems(&policy, "ABCDEFG1", NULL, NULL, "missing_lower",
	    "no lower-case");
	expect_problems(&policy, "ABC\xc3\x9f", NULL, NULL, "",
	    "non-ASCII lower-case");

	bare_policy(&policy);
	policy.require_digit = true;
	expect_problems(&policy, "Abcdefgh", NULL, NULL, "missing_digit",
	    "no digit");
	/* U+0663 ARABIC-INDIC DIGIT THREE is a decimal digit (Nd). */
	expect_problems(&policy, "Abcdefg\xd9\xa3", NULL, NULL, "",
	    "non-ASCII digit");

	bare_policy(&policy);
	policy.check_common = true;
	expect_problems(&policy, "password123456", NULL, NULL,
	    "common_password", "password123456");
	expect_problems(&policy, "Password1", NULL, NULL, "common_password",
	    "Password1");
	expect_problems(&policy, "PaSsWoRd123456", NULL, NULL,
	    "common_password", "mixed-case common password");
	expect_problems(&policy, "Vx7-glacier-umbra-93", NULL, NULL, "",
	    "uncommon password");

	bare_policy(&policy);
	policy.min_score = 3;
	expect_problems(&policy, "aaaaaaaa", NULL, NULL, "too_weak",
	    "aaaaaaaa under min_score 3");
	expect_problems(&policy, "Vx7-glacier-umbra-93", NULL, NULL, "",
	    "strong password under min_score 3");
}

static void
test_user_words(void)
{
	struct password_policy	policy;

	bare_policy(&policy);
	expect_problems(&policy, "xxjdoe99", "jdoe@example.com", NULL,
	    "contains_email", "local part inside");
	expect_problems(&policy, "xxJDoe99", "JDOE@Example.com", NULL,
	    "contains_email", "local part in other case");
	expect_problems(&policy, "xxjdoe99", "jd@example.com", NULL, "",
	    "2-character local part ignored");
	expect_problems(&policy, "xxjd.oe99", "jdoe@example.com", NULL, "",
	    "local part split up");
	expect_problems(&policy, "xxexample99", "jdoe@example.com", NULL, "",
	    "domain not checked");

	expect_problems(&policy, "qqDubois77", NULL, "Marie-Claire Dubois",
	    "contains_name", "last name inside");
	expect_problems(&policy, "qqCLAIRE77", NULL, "Marie-Claire Dubois",
	    "contains_name", "hyphenated part in upper case");
	expect_problems(&policy, "xxliwu77", NULL, "Li Wu", "",
	    "2-character words ignored");
	/* "ß" case-folds to "ss", so GROSS contains Groß. */
	expect_problems(&policy, "Kx-GROSS-77", NULL, "J\xc3\xbcrgen Gro\xc3\x9f",
	    "contains_name", "case folding of sharp s");

	expect_problems(&policy, "dubois-jdoe-1", "jdoe@example.com",
	    "Marie Dubois", "contains_email,contains_name", "both");
	ok(checked_score("Marie") >= 0, "score: name alone has a score");
}

static void
test_rules_combined(void)
{
	struct password_policy	policy;
	struct password_report	report;
	char			*big;

	fast_policy(&policy);
	expect_problems(&policy, "Vx7-glacier-umbra-93", NULL, NULL, "",
	    "default policy, strong password");
	expect_problems(&policy, "password", NULL, NULL,
	    "missing_upper,missing_digit,common_password,too_weak",
	    "default policy, password");
	expect_problems(&policy, "abc", NULL, NULL,
	    "too_short,missing_upper,missing_digit,common_password,too_weak",
	    "default policy, abc");
	expect_problems(&policy, "aaaaaaaa", NULL, NULL,
	    "missing_upper,missing_digit,common_password,too_weak",
	    "default policy, aaaaaaaa");
	expect_problems(&policy, "Jdoe-Dubois-1", "jdoe@example.com",
	    "Marie Dubois", "contains_email,contains_name,too_weak",
	    "default policy, e-mail and name");
	expect_problems(&policy, "ab", "ab@example.com", "Al",
	    "too_short,missing_upper,missing_digit,too_weak",
	    "default policy, short e-mail and name");

	expect_problems(&policy, "\xff\xfe" "abc", NULL, NULL, "invalid_utf8",
	    "invalid UTF-8");
	expect_problems(&policy, "Abcdefg1\xed\xa0\x80", NULL, NULL,
	    "invalid_utf8", "UTF-8 surrogate");
	if (password_check(&policy, common, "\xc0\xaf", NULL, NULL,
	    &report) == 0)
		is_int(report.score, -1, "check: invalid UTF-8 has no score");
	else
		ok(0, "check: invalid UTF-8 has no score");

	big = malloc(PASSWORD_INPUT_MAX + 2);
	if (big == NULL)
		bail_out("out of memory");
	memset(big, 'a', PASSWORD_INPUT_MAX + 1);
	big[PASSWORD_INPUT_MAX + 1] = '\0';
	expect_problems(&policy, big, NULL, NULL, "too_long",
	    "input above PASSWORD_INPUT_MAX");
	free(big);
}

static void
test_length_counting(void)
{
	struct password_policy	policy;
	char			pw[PASSWORD_MAX_LENGTH_LIMIT * 2 + 1];
	size_t			i;

	fast_policy(&policy);
	random_password(pw, 128, 1);
	expect_problems(&policy, pw, NULL, NULL, "",
	    "default policy, 128 characters");
	random_password(pw, 129, 1);
	expect_problems(&policy, pw, NULL, NULL, "too_long",
	    "default policy, 129 characters");
	random_password(pw, 7, 2);
	is_int(checked_length(&policy, pw), 7, "length: 7 ASCII");

	/* 128 two-byte letters are 128 code points, not 256 bytes. */
	bare_policy(&policy);
	policy.max_length = 128;
	for (i = 0; i < 128; i++)
		memcpy(pw + 2 * i, "\xc3\xa9", 2);
	pw[256] = '\0';
	is_int(checked_length(&policy, pw), 128, "length: 128 two-byte letters");
	expect_problems(&policy, pw, NULL, NULL, "",
	    "128 two-byte letters within max 128");

	/* NFD input is counted after composition: 7 code points, not 11. */
	fast_policy(&policy);
	is_int(checked_length(&policy, "Ab1e\xcc\x81""e\xcc\x81""e\xcc\x81"
	    "e\xcc\x81"), 7, "length: NFD counted as NFC");
	bare_policy(&policy);
	policy.min_length = 8;
	expect_problems(&policy, "Ab1e\xcc\x81""e\xcc\x81""e\xcc\x81"
	    "e\xcc\x81", NULL, NULL, "too_short", "7 NFC code points in NFD");

	/* Runs of spaces count as one for length only. */
	is_int(checked_length(&policy, "Ab1      xy"), 6,
	    "length: run of six spaces counts once");
	is_int(checked_length(&policy, "a b c d"), 7,
	    "length: single spaces all count");
	is_int(checked_length(&policy, "  ab  "), 4,
	    "length: leading and trailing runs count once each");
	expect_problems(&policy, "Ab1      xy", NULL, NULL, "too_short",
	    "spaces collapsed below min_length");
}

static void
test_score(void)
{
	is_int(password_score_from_entropy(0), 0, "score: 0 bits");
	is_int(password_score_from_entropy(9.97), 0,
	    "score: 2^9.97 < 10^3 + 5");
	is_int(password_score_from_entropy(9.98), 1,
	    "score: 2^9.98 >= 10^3 + 5");
	is_int(password_score_from_entropy(19.9), 1, "score: 2^19.9 < 10^6");
	is_int(password_score_from_entropy(20), 2, "score: 2^20 > 10^6");
	is_int(password_score_from_entropy(26.5), 2, "score: 2^26.5 < 10^8");
	is_int(password_score_from_entropy(26.6), 3, "score: 2^26.6 > 10^8");
	is_int(password_score_from_entropy(33.2), 3, "score: 2^33.2 < 10^10");
	is_int(password_score_from_entropy(33.3), 4, "score: 2^33.3 > 10^10");
	is_int(password_score_from_entropy(200), 4, "score: 200 bits");

	ok(checked_score("aaaaaaaa") <= 1, "zxcvbn: aaaaaaaa scores 0 or 1");
	is_int(checked_score("password"), 0, "zxcvbn: password scores 0");
	is_int(checked_score("q7#Vx9!mLp2$Wz4&Rt8K"), 4,
	    "zxcvbn: random 20 characters score 4");
}

static void
test_common_list(void)
{
	struct common_list	*list;
	const char		*small;
	char			*path, first[256], last[256], line[256];
	FILE			*fp;
	size_t			 bad_line = 99;

	ok(common != NULL, "list: shipped list loads");
	ok(common_list_size(common) >= 100000,
	    "list: at least 100,000 entries (%zu)", common_list_size(common));
	is_int(common_list_contains(common, "password123456"), 1,
	    "list: password123456");
	is_int(common_list_contains(common, "Password1"), 1,
	    "list: Password1");
	is_int(common_list_contains(common, "PASSWORD123456"), 1,
	    "list: PASSWORD123456");
	is_int(common_list_contains(common, "Vx7-glacier-umbra-93"), 0,
	    "list: uncommon password");
	is_int(common_list_contains(common, "\xff"), -1,
	    "list: invalid UTF-8");

	/* The first and last lines sit at the ends of the binary search. */
	fp = fopen(COMMON_LIST_PATH, "r");
	if (fp == NULL)
		bail_out("open %s: %s", COMMON_LIST_PATH, strerror(errno));
	first[0] = last[0] = '\0';
	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (first[0] == '\0')
			snprintf(first, sizeof first, "%s", line);
		snprintf(last, sizeof last, "%s", line);
	}
	fclose(fp);
	is_int(common_list_contains(common, first), 1,
	    "list: first line '%s'", first);
	is_int(common_list_contains(common, last), 1,
	    "list: last line '%s'", last);

	/* A small list, every entry and the gaps between them. */
	small = "a\nab\nabc\nb\nba\nj\xc3\xbcrgen\nzz";
	path = write_temp(small, strlen(small));
	list = common_list_load(path, &bad_line);
	if (ok(list != NULL, "load: small list without final newline")) {
		is_int((long long)bad_line, 0, "load: no error line");
		is_int((long long)common_list_size(list), 7,
		    "load: small list size");
		is_int(common_list_contains(list, "a"), 1, "small: a");
		is_int(common_list_contains(list, "AB"), 1, "small: AB");
		is_int(common_list_contains(list, "abc"), 1, "small: abc");
		is_int(common_list_contains(list, "b"), 1, "small: b");
		is_int(common_list_contains(list, "ba"), 1, "small: ba");
		is_int(common_list_contains(list, "J\xc3\x9cRGEN"), 1,
		    "small: J\xc3\x9cRGEN");
		is_int(common_list_contains(list, "JU\xcc\x88RGEN"), 1,
		    "small: NFD JU\xcc\x88RGEN");
		is_int(common_list_contains(list, "zz"), 1, "small: zz");
		is_int(common_list_contains(list, ""), 0, "small: empty");
		is_int(common_list_contains(list, "aa"), 0, "small: aa");
		is_int(common_list_contains(list, "abcd"), 0, "small: abcd");
		is_int(common_list_contains(list, "c"), 0, "small: c");
		is_int(common_list_contains(list, "zzz"), 0, "small: zzz");
		is_int(common_list_contains(list, "0"), 0, "small: 0");
	}
	common_list_free(list);
	unlink(path);
	free(path);

	expect_load_error("", EINVAL, 0, "empty file");
	expect_load_error("abc\nabb\n", EINVAL, 2, "unsorted lines");
	expect_load_error("abc\nabc\n", EINVAL, 2, "duplicate line");
	expect_load_error("abc\n\nabd\n", EINVAL, 2, "empty line");
	expect_load_error("abc\nAbd\n", EINVAL, 2, "upper-case entry");
	expect_load_error("abc\r\nabd\r\n", EINVAL, 1, "CRLF line ends");
	expect_load_error("abc\n\xff\n", EINVAL, 2, "invalid UTF-8");
	expect_load_error("abc\nstra\xc3\x9f" "e\n", EINVAL, 2,
	    "entry not case-folded");

	errno = 0;
	list = common_list_load(SRCDIR "/data/no-such-file.txt", &bad_line);
	ok(list == NULL && errno == ENOENT, "load: missing file is ENOENT");
	is_int((long long)bad_line, 0, "load: missing file has no line");
	common_list_free(NULL);
	ok(1, "list: common_list_free(NULL) is a no-op");
}

static void
test_hash(void)
{
	struct password_policy	policy, stronger;
	char			hash1[PASSWORD_HASH_SIZE];
	char			hash2[PASSWORD_HASH_SIZE];
	char			pw[65];
	bool			rehash;

	fast_policy(&policy);
	if (password_hash(&policy, "Vx7-glacier-umbra-93", hash1) != 0 ||
	    password_hash(&policy, "Vx7-glacier-umbra-93", hash2) != 0)
		bail_out("password_hash failed: %s", strerror(errno));
	ok(strncmp(hash1, "$argon2id$v=19$", 15) == 0,
	    "hash: first is $argon2id$v=19$ (%s)", hash1);
	ok(strncmp(hash2, "$argon2id$v=19$", 15) == 0,
	    "hash: second is $argon2id$v=19$");
	ok(strcmp(hash1, hash2) != 0, "hash: two hashes differ (salt)");

	rehash = true;
	is_int(password_verify(&policy, hash1, "Vx7-glacier-umbra-93",
	    &rehash), PASSWORD_MATCH, "verify: right password");
	ok(!rehash, "verify: same parameters need no rehash");
	is_int(password_verify(&policy, hash2, "Vx7-glacier-umbra-93",
	    &rehash), PASSWORD_MATCH, "verify: right password, second hash");
	rehash = true;
	is_int(password_verify(&policy, hash1, "vx7-glacier-umbra-93",
	    &rehash), PASSWORD_MISMATCH, "verify: case changed");
	ok(!rehash, "verify: mismatch never asks for rehash");
	is_int(password_verify(&policy, hash1, "\xff\xfe", &rehash),
	    PASSWORD_MISMATCH, "verify: invalid UTF-8 mismatches");

	/* No truncation: the 63-character prefix of a 64-character password. */
	random_password(pw, 64, 3);
	if (password_hash(&policy, pw, hash1) != 0)
		bail_out("password_hash failed: %s", strerror(errno));
	is_int(password_verify(&policy, hash1, pw, &rehash), PASSWORD_MATCH,
	    "verify: 64-character password");
	pw[63] = '\0';
	is_int(password_verify(&policy, hash1, pw, &rehash), PASSWORD_MISMATCH,
	    "verify: 63-character prefix fails");

	/* NFC and NFD spellings are the same password. */
	if (password_hash(&policy, UNICODE_NFC, hash1) != 0 ||
	    password_hash(&policy, UNICODE_NFD, hash2) != 0)
		bail_out("password_hash failed: %s", strerror(errno));
	is_int(password_verify(&policy, hash1, UNICODE_NFD, &rehash),
	    PASSWORD_MATCH, "verify: NFD against hash of NFC");
	is_int(password_verify(&policy, hash2, UNICODE_NFC, &rehash),
	    PASSWORD_MATCH, "verify: NFC against hash of NFD");

	/* Parameters other than the policy's ask for a rehash. */
	if (password_hash(&policy, "Vx7-glacier-umbra-93", hash1) != 0)
		bail_out("password_hash failed: %s", strerror(errno));
	stronger = policy;
	stronger.opslimit = policy.opslimit + 1;
	rehash = false;
	is_int(password_verify(&stronger, hash1, "Vx7-glacier-umbra-93",
	    &rehash), PASSWORD_MATCH, "verify: under higher opslimit");
	ok(rehash, "verify: lower opslimit than policy needs rehash");
	stronger = policy;
	stronger.memlimit = policy.memlimit * 2;
	rehash = false;
	is_int(password_verify(&stronger, hash1, "Vx7-glacier-umbra-93",
	    &rehash), PASSWORD_MATCH, "verify: under higher memlimit");
	ok(rehash, "verify: lower memlimit than policy needs rehash");

	errno = 0;
	is_int(password_hash(&policy, "ab\xc3", hash1), -1,
	    "hash: invalid UTF-8 fails");
	is_int(errno, EILSEQ, "hash: invalid UTF-8 is EILSEQ");
	is_str(hash1, "", "hash: output wiped on error");
}

/* Make a bcrypt hash of "password" with "prefix" ("$2b$" etc.), cost 4. */
static void
bcrypt_hash(const char *prefix, const char *password, char *out, size_t size)
{
	struct crypt_data	*data;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*hash;

	if (crypt_gensalt_rn(prefix, 4, NULL, 0, setting,
	    (int)sizeof setting) == NULL)
		bail_out("crypt_gensalt_rn %s: %s", prefix, strerror(errno));
	data = calloc(1, sizeof *data);
	if (data == NULL)
		bail_out("out of memory");
	hash = crypt_rn(password, setting, data, (int)sizeof *data);
	if (hash == NULL)
		bail_out("crypt_rn %s: %s", setting, strerror(errno));
	snprintf(out, size, "%s", hash);
	free(data);
}

static void
test_bcrypt(void)
{
	static const char	*const prefixes[] = { "$2b$", "$2a$", "$2y$" };
	struct password_policy	 policy;
	char			 hash[128];
	bool			 rehash;
	size_t			 i;

	fast_policy(&policy);
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		bcrypt_hash(prefixes[i], "Legacy-Pass-2019", hash,
		    sizeof hash);
		ok(strncmp(hash, prefixes[i], 4) == 0 && strlen(hash) == 60,
		    "bcrypt %s: hash made (%s)", prefixes[i], hash);
		rehash = false;
		is_int(password_verify(&policy, hash, "Legacy-Pass-2019",
		    &rehash), PASSWORD_MATCH, "bcrypt %s: right password",
		    prefixes[i]);
		ok(rehash, "bcrypt %s: match asks for rehash", prefixes[i]);
		rehash = true;
		is_int(password_verify(&policy, hash, "Legacy-Pass-2018",
		    &rehash), PASSWORD_MISMATCH, "bcrypt %s: wrong password",
		    prefixes[i]);
		ok(!rehash, "bcrypt %s: mismatch needs no rehash",
		    prefixes[i]);
	}

	/* A legacy hash of NFD bytes still verifies with the NFD input. */
	bcrypt_hash("$2b$", UNICODE_NFD, hash, sizeof hash);
	is_int(password_verify(&policy, hash, UNICODE_NFD, &rehash),
	    PASSWORD_MATCH, "bcrypt: hash of NFD bytes, NFD input");
	bcrypt_hash("$2b$", UNICODE_NFC, hash, sizeof hash);
	is_int(password_verify(&policy, hash, UNICODE_NFD, &rehash),
	    PASSWORD_MATCH, "bcrypt: hash of NFC bytes, NFD input");

	/* A corrupted bcrypt hash of the right length. */
	bcrypt_hash("$2b$", "Legacy-Pass-2019", hash, sizeof hash);
	hash[4] = 'x';
	is_int(password_verify(&policy, hash, "Legacy-Pass-2019", &rehash),
	    PASSWORD_UNSUPPORTED, "bcrypt: malformed cost is unsupported");
	ok(!rehash, "bcrypt: malformed hash needs no rehash");
}

static void
test_unsupported(void)
{
	static const char	*const hashes[] = {
		"",
		"Legacy-Pass-2019",
		"$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0",
		"$5$saltsalt$zKXyV8ZTP0hPFCJUy4s7IUfuobbrg0/R3v6fYTL2u/5",
		"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$not-a-hash",
		"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
		"$2b$04$short",
		"$2x$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE",
	};
	struct password_policy	 policy;
	bool			 rehash;
	size_t			 i;

	fast_policy(&policy);
	for (i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		rehash = true;
		is_int(password_verify(&policy, hashes[i], "Legacy-Pass-2019",
		    &rehash), PASSWORD_UNSUPPORTED, "unsupported: '%s'",
		    hashes[i]);
		ok(!rehash, "unsupported: '%s' needs no rehash", hashes[i]);
	}
}

static void
test_dummy(void)
{
	struct password_policy	policy;

	fast_policy(&policy);
	is_int(password_dummy_init(&policy), 0, "dummy: init");
	is_int(password_dummy_verify(&policy), 0, "dummy: verify");
	policy.opslimit++;
	is_int(password_dummy_verify(&policy), 0,
	    "dummy: verify after the parameters changed");
}

int
main(void)
{
	size_t	bad_line = 0;

	if (sodium_init() < 0)
		bail_out("sodium_init failed");
	common = common_list_load(COMMON_LIST_PATH, &bad_line);
	if (common == NULL)
		bail_out("load %s: %s (line %zu)", COMMON_LIST_PATH,
		    strerror(errno), bad_line);

	test_policy_defaults();
	test_rules_alone();
	test_user_words();
	test_rules_combined();
	test_length_counting();
	test_score();
	test_common_list();
	test_hash();
	test_bcrypt();
	test_unsupported();
	test_dummy();

	common_list_free(common);
	return done_testing();
}
