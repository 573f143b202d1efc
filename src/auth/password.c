/*
 * password.c - password policy, strength estimate, common-password list
 * and password hashing; the contracts are in password.h.
 *
 * Libraries: libunistring for NFC normalisation, case folding and
 * character properties, zxcvbn-c for the strength estimate, libsodium for
 * Argon2id, and libxcrypt for legacy bcrypt hashes.
 *
 * Secrets: every copy of a password made here (NFC form, case-folded form,
 * crypt_rn() work area) is wiped with sodium_memzero() before it is freed.
 * NOTE: libunistring and zxcvbn-c free their own scratch buffers without
 * wiping them, so fragments of a password can remain in freed heap memory.
 *
 * Error handling: functions return a status and set errno; nothing here
 * logs, because the caller knows the request and decides what to record.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <crypt.h>
#include <sodium.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include <zxcvbn.h>

#include "sscn.h"
#include "auth/password.h"

_Static_assert(PASSWORD_HASH_SIZE == crypto_pwhash_STRBYTES,
    "PASSWORD_HASH_SIZE must equal crypto_pwhash_STRBYTES");

/* A bcrypt hash: "$2b$", two cost digits, "$", 22 salt and 31 hash characters. */
#define BCRYPT_HASH_LEN		60

/*
 * Largest common-password list loaded.  The shipped one is 2.4 MB; a list
 * of ten million entries would still fit.
 */
#define COMMON_LIST_MAX_SIZE	(256 * 1024 * 1024)

/* Local parts and name words shorter than this are not looked for. */
#define USER_WORD_MIN		3

/* ---- NFC and case-folded copies ------------------------------------- */

/* A heap copy of a password or of text derived from one. */
struct password_text {
	uint8_t	*s;	/* NUL-terminated */
	size_t	 len;	/* bytes, without the NUL */
};

enum password_form {
	PASSWORD_FORM_NFC,
	PASSWORD_FORM_FOLDED	/* case-folded, then NFC */
};

static void
password_text_wipe(struct password_text *t)
{
	if (t->s != NULL) {
		sodium_memzero(t->s, t->len + 1);
		free(t->s);
	}
	t->s = NULL;
	t->len = 0;
}

/*
 * Store in "*out" the "form" of the "n" bytes of valid UTF-8 at "s".
 * Returns 0, or -1 with errno ENOMEM.  Every intermediate buffer made here
 * is wiped.
 */
static int
password_text_convert(enum password_form form, const uint8_t *s, size_t n,
    struct password_text *out)
{
	uint8_t	*buf, *result;
	size_t	 cap, len;

	out->s = NULL;
	out->len = 0;

	/*
	 * Output is rarely longer than the input, so offer libunistring a
	 * buffer of that size with a little slack.  It allocates its own when
	 * the result does not fit.  One more byte is kept for the NUL.
	 */
	cap = n + 16;
	buf = malloc(cap + 1);
	if (buf == NULL)
		return -1;
	len = cap;
	if (form == PASSWORD_FORM_NFC)
		result = u8_normalize(UNINORM_NFC, s, n, buf, &len);
	else
		result = u8_casefold(s, n, NULL, UNINORM_NFC, buf, &len);
	if (result == NULL) {
		sodium_memzero(buf, cap + 1);
		free(buf);
		errno = ENOMEM;
		return -1;
	}

	if (result != buf) {
		/* libunistring may have filled "buf" before outgrowing it. */
		sodium_memzero(buf, cap + 1);
		free(buf);
		buf = malloc(len + 1);
		if (buf == NULL) {
			sodium_memzero(result, len);
			free(result);
			errno = ENOMEM;
			return -1;
		}
		memcpy(buf, result, len);
		sodium_memzero(result, len);
		free(result);
	}

	buf[len] = '\0';
	out->s = buf;
	out->len = len;
	return 0;
}

/* Return the number of code points in "s" after collapsing runs of U+0020. */
static size_t
password_length(const uint8_t *s, size_t n)
{
	size_t	 count = 0, i = 0;
	bool	 after_space = false;

	while (i < n) {
		ucs4_t	c;

		i += (size_t)u8_mbtouc(&c, s + i, n - i);
		if (c == ' ' && after_space)
			continue;
		after_space = c == ' ';
		count++;
	}
	return count;
}

/* ---- policy ----------------------------------------------------------- */

void
password_policy_defaults(struct password_policy *policy)
{
	policy->min_length = 8;
	policy->max_length = 128;
	policy->require_upper = true;
	policy->require_lower = true;
	policy->require_digit = true;
	policy->min_score = 3;
	policy->check_common = true;
	policy->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	policy->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

const char *
password_policy_validate(const struct password_policy *policy)
{
	if (policy->min_length < 1)
		return "password_min_length must be at least 1";
	if (policy->max_length > PASSWORD_MAX_LENGTH_LIMIT)
		return "password_max_length must be at most 1024";
	if (policy->min_length > policy->max_length)
		return "password_min_length must not exceed password_max_length";
	if (policy->min_score < 0 || policy->min_score > 4)
		return "password_min_score must be between 0 and 4";
	if (policy->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    policy->opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return "argon2_opslimit is outside libsodium's Argon2id range";
	if (policy->memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    policy->memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX)
		return "argon2_memlimit is outside libsodium's Argon2id range";
	return NULL;
}

/* ---- strength check ---------------------------------------------------- */

static void
password_report_add(struct password_report *report, const char *problem)
{
	if (report->nproblems < PASSWORD_PROBLEMS_MAX)
		report->problems[report->nproblems++] = problem;
}

int
password_score_from_entropy(double entropy_bits)
{
	double	guesses;

	/*
	 * zxcvbn 4.4's guesses_to_score() adds DELTA = 5 to each threshold so
	 * that a guess count sitting exactly on a power of ten scores low.
	 */
	guesses = exp2(entropy_bits);
	if (guesses < 1e3 + 5)
		return 0;
	if (guesses < 1e6 + 5)
		return 1;
	if (guesses < 1e8 + 5)
		return 2;
	if (guesses < 1e10 + 5)
		return 3;
	return 4;
}

/* Whether "c" is part of a word of a name: a letter, mark or number. */
static bool
password_is_word_char(ucs4_t c)
{
	return uc_is_general_category(c, UC_CATEGORY_L) ||
	    uc_is_general_category(c, UC_CATEGORY_M) ||
	    uc_is_general_category(c, UC_CATEGORY_N);
}

/*
 * Words of the user's e-mail and name, case-folded, each of USER_WORD_MIN
 * or more code points: what the password must not contain, and the user
 * inputs for zxcvbn.
 */
struct password_user_words {
	char		*store;		/* the words, each NUL-terminated */
	const char	**list;		/* pointers into "store", NULL last */
	size_t		 count;
	const char	*local_part;	/* NULL, or the first entry of "list" */
};

static void
password_user_words_free(struct password_user_words *words)
{
	free(words->store);
	free(words->list);
	memset(words, 0, sizeof *words);
}

/* Append the "len" bytes at "word" to "words" as one NUL-terminated entry. */
static const char *
password_user_words_add(struct password_user_words *words, size_t *used,
    const uint8_t *word, size_t len)
{
	char	*copy = words->store + *used;

	memcpy(copy, word, len);
	copy[len] = '\0';
	*used += len + 1;
	words->list[words->count++] = copy;
	words->list[words->count] = NULL;
	return copy;
}

/*
 * Collect the words of "email" (its local part) and "full_name" into
 * "words".  Text that is not valid UTF-8 is skipped, because the request
 * layer has already rejected such input.  Returns 0, or -1 with errno
 * ENOMEM.
 */
static int
password_user_words_collect(const char *email, const char *full_name,
    struct password_user_words *words)
{
	struct password_text	 local = { NULL, 0 }, name = { NULL, 0 };
	const char		*at;
	size_t			 local_len = 0, name_len = 0, used = 0, i;
	int			 rc = -1;

	memset(words, 0, sizeof *words);

	if (email != NULL) {
		at = strrchr(email, '@');
		local_len = at != NULL ? (size_t)(at - email) : strlen(email);
		if (utf8_valid((const unsigned char *)email, local_len) &&
		    password_text_convert(PASSWORD_FORM_FOLDED,
		    (const uint8_t *)email, local_len, &local) == -1)
			goto out;
	}
	if (full_name != NULL) {
		name_len = strlen(full_name);
		if (utf8_valid((const unsigned char *)full_name, name_len) &&
		    password_text_convert(PASSWORD_FORM_FOLDED,
		    (const uint8_t *)full_name, name_len, &name) == -1)
			goto out;
	}

	/*
	 * A stored word needs its bytes and a NUL.  The NUL takes the place of
	 * the separator after the word, or of the extra byte after the last
	 * word.  The list needs at most one slot per byte of the name, one
	 * for the local part and one for the final NULL.
	 */
	words->store = malloc(local.len + 1 + name.len + 1);
	words->list = calloc(name.len + 2, sizeof *words->list);
	if (words->store == NULL || words->list == NULL) {
		errno = ENOMEM;
		goto out;
	}

	if (local.s != NULL && u8_mbsnlen(local.s, local.len) >= USER_WORD_MIN)
		words->local_part = password_user_words_add(words, &used,
		    local.s, local.len);

	i = 0;
	while (i < name.len) {
		size_t	start = i, end = i, points = 0;
		ucs4_t	c;

		while (i < name.len) {
			i += (size_t)u8_mbtouc(&c, name.s + i, name.len - i);
			if (!password_is_word_char(c))
				break;
			end = i;
			points++;
		}
		if (points >= USER_WORD_MIN)
			(void)password_user_words_add(words, &used,
			    name.s + start, end - start);
	}
	rc = 0;

out:
	password_text_wipe(&local);
	password_text_wipe(&name);
	if (rc == -1)
		password_user_words_free(words);
	return rc;
}

static bool
common_list_search(const struct common_list *, const uint8_t *,
    size_t);
static void
common_list_release(const struct common_list *);

/*
 * The shared libraries whose read-only data the strength estimate reads:
 * zxcvbn's dictionaries (1.4 MB) and libm's tables.
 */
static const char *const password_estimate_libraries[] = { "/libzxcvbn.",
	"/libm.", NULL };

/*
 * dl_iterate_phdr() callback: drop the pages of each read-only, not
 * executable segment of a library named in password_estimate_libraries.
 * Such a segment is clean file data that relocation never writes (RELRO
 * data lies in writable segments), so a later read faults it back in
 * from the page cache unchanged.
 */
static int
password_release_library(struct dl_phdr_info *info, size_t size, void *arg)
{
	long	page = sysconf(_SC_PAGESIZE);
	size_t	i;
	bool	named = false;

	(void)size;
	(void)arg;
	for (i = 0; password_estimate_libraries[i] != NULL; i++)
		if (info->dlpi_name != NULL && strstr(info->dlpi_name,
		    password_estimate_libraries[i]) != NULL)
			named = true;
	if (!named || page <= 0)
		return 0;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr)	*ph = &info->dlpi_phdr[i];
		uintptr_t		 start, end;

		if (ph->p_type != PT_LOAD || ph->p_flags != PF_R)
			continue;
		start = info->dlpi_addr + ph->p_vaddr;
		end = start + ph->p_memsz;
		start = (start + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
		end &= ~((uintptr_t)page - 1);
		if (end > start)
			(void)madvise((void *)start, end - start, MADV_DONTNEED);
	}
	return 0;
}

/*
 * Drop from the resident set what a password check touched and a worker
 * rarely needs again: the dictionaries of the strength estimate and the
 * pages of the common-password list.  Workers live long and check
 * passwords only at registration and password changes, so without this
 * each of them would keep about 2 MB of those pages resident for good.
 */
static void
password_release_pages(const struct common_list *list)
{
	if (list != NULL)
		common_list_release(list);
	(void)dl_iterate_phdr(password_release_library, NULL);
}

int
password_check(const struct password_policy *policy,
    const struct common_list *list, const char *password, const char *email,
    const char *full_name, struct password_report *report)
{
	struct password_text		 nfc = { NULL, 0 }, folded = { NULL, 0 };
	struct password_user_words	 words;
	size_t				 len, i;
	bool				 upper = false, lower = false;
	bool				 digit = false, named = false;
	int				 rc = -1;

	memset(report, 0, sizeof *report);
	memset(&words, 0, sizeof words);
	report->score = -1;
	len = strlen(password);

	if (!utf8_valid((const unsigned char *)password, len)) {
		password_report_add(report, "invalid_utf8");
		return 0;
	}
	if (len > PASSWORD_INPUT_MAX) {
		password_report_add(report, "too_long");
		return 0;
	}

	if (password_text_convert(PASSWORD_FORM_NFC, (const uint8_t *)password,
	    len, &nfc) == -1 ||
	    password_text_convert(PASSWORD_FORM_FOLDED, nfc.s, nfc.len,
	    &folded) == -1 ||
	    password_user_words_collect(email, full_name, &words) == -1)
		goto out;

	report->length = password_length(nfc.s, nfc.len);
	if (report->length < policy->min_length)
		password_report_add(report, "too_short");
	if (report->length > policy->max_length)
		password_report_add(report, "too_long");

	i = 0;
	while (i < nfc.len) {
		ucs4_t	c;

		i += (size_t)u8_mbtouc(&c, nfc.s + i, nfc.len - i);
		upper = upper || uc_is_property_uppercase(c);
		lower = lower || uc_is_property_lowercase(c);
		digit = digit ||
		    uc_is_general_category(c, UC_DECIMAL_DIGIT_NUMBER);
	}
	if (policy->require_upper && !upper)
		password_report_add(report, "missing_upper");
	if (policy->require_lower && !lower)
		password_report_add(report, "missing_lower");
	if (policy->require_digit && !digit)
		password_report_add(report, "missing_digit");

	if (policy->check_common && list != NULL &&
	    common_list_search(list, folded.s, folded.len))
		password_report_add(report, "common_password");

	if (words.local_part != NULL && memmem(folded.s, folded.len,
	    words.local_part, strlen(words.local_part)) != NULL)
		password_report_add(report, "contains_email");
	for (i = words.local_part != NULL ? 1 : 0; i < words.count; i++)
		if (memmem(folded.s, folded.len, words.list[i],
		    strlen(words.list[i])) != NULL)
			named = true;
	if (named)
		password_report_add(report, "contains_name");

	report->entropy = ZxcvbnMatch((const char *)nfc.s, words.list, NULL);
	report->score = password_score_from_entropy(report->entropy);
	if (report->score < policy->min_score)
		password_report_add(report, "too_weak");
	rc = 0;

out:
	report->acceptable = rc == 0 && report->nproblems == 0;
	password_text_wipe(&nfc);
	password_text_wipe(&folded);
	password_user_words_free(&words);
	password_release_pages(list);
	return rc;
}

/* ---- common-password list ---------------------------------------------- */

struct common_list {
	const char	*text;	/* the mapped file */
	size_t		 size;	/* bytes */
	size_t		 count;	/* entries */
};

/* Compare two entries in byte order, as "LC_ALL=C sort" orders lines. */
static int
common_list_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	int	cmp;

	cmp = memcmp(a, b, alen < blen ? alen : blen);
	if (cmp != 0)
		return cmp;
	return alen < blen ? -1 : alen > blen;
}

/*
 * Check that the "len" bytes at "entry" form a usable entry: not empty, no
 * CR or NUL, valid UTF-8, and equal to its own NFC case-folded form.
 * Returns 1 when it is, 0 when not, or -1 with errno ENOMEM.
 */
static int
common_list_entry_valid(const char *entry, size_t len)
{
	struct password_text	 folded;
	bool			 ascii = true;
	size_t			 i;
	int			 equal;

	if (len == 0 || !utf8_valid((const unsigned char *)entry, len))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)entry[i];

		if (c == '\r' || c == '\0' || (c >= 'A' && c <= 'Z'))
			return 0;
		if (c >= 0x80)
			ascii = false;
	}
	if (ascii)
		return 1;

	if (password_text_convert(PASSWORD_FORM_FOLDED,
	    (const uint8_t *)entry, len, &folded) == -1)
		return -1;
	equal = folded.len == len && memcmp(folded.s, entry, len) == 0;
	password_text_wipe(&folded);
	return equal;
}

/*
 * Check every line of "list" and count them.  Returns 0, or -1 with errno
 * EINVAL and "*error_line" set, or with errno ENOMEM.
 */
static int
common_list_validate(struct common_list *list, size_t *error_line)
{
	const char	*prev = NULL;
	size_t		 prev_len = 0, pos = 0, line = 0;

	while (pos < list->size) {
		const char	*entry = list->text + pos, *newline;
		size_t		 len;
		int		 valid;

		newline = memchr(entry, '\n', list->size - pos);
		len = newline != NULL ? (size_t)(newline - entry) :
		    list->size - pos;
		line++;

		valid = common_list_entry_valid(entry, len);
		if (valid == -1)
			return -1;
		if (valid == 0 || (prev != NULL &&
		    common_list_compare(prev, prev_len, entry, len) >= 0)) {
			*error_line = line;
			errno = EINVAL;
			return -1;
		}
		prev = entry;
		prev_len = len;
		pos += len + 1;
	}
	list->count = line;
	return 0;
}

struct common_list *
common_list_load(const char *path, size_t *error_line)
{
	struct common_list	*list = NULL;
	struct stat		 st;
	void			*map = MAP_FAILED;
	size_t			 bad_line = 0;
	int			 fd, saved_errno;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		errno = EINVAL;
		goto fail;
	}
	if (st.st_size > COMMON_LIST_MAX_SIZE) {
		errno = EFBIG;
		goto fail;
	}

	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	(void)close(fd);
	fd = -1;

	list = calloc(1, sizeof *list);
	if (list == NULL)
		goto fail;
	list->text = map;
	list->size = (size_t)st.st_size;
	if (common_list_validate(list, &bad_line) == -1)
		goto fail;

	/* Validation read every page; drop them from this process again. */
	common_list_release(list);

	if (error_line != NULL)
		*error_line = 0;
	return list;

fail:
	saved_errno = errno;
	if (map != MAP_FAILED)
		(void)munmap(map, (size_t)st.st_size);
	if (fd != -1)
		(void)close(fd);
	free(list);
	if (error_line != NULL)
		*error_line = bad_line;
	errno = saved_errno;
	return NULL;
}

size_t
common_list_size(const struct common_list *list)
{
	return list->count;
}

/*
 * Binary-search "list" for the "len" bytes at "key".  The search runs over
 * byte offsets: each step finds the line around the middle offset, so the
 * file needs no index.  "lo" is always at the start of a line, and "hi" at
 * the start of a line or the end of the file.
 */
static bool
common_list_search(const struct common_list *list,
    const uint8_t *key, size_t len)
{
	const char	*text = list->text;
	size_t		 lo = 0, hi = list->size;

	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2, start = mid, end = mid;
		int	cmp;

		while (start > lo && text[start - 1] != '\n')
			start--;
		while (end < hi && text[end] != '\n')
			end++;

		cmp = common_list_compare((const char *)key, len, text + start,
		    end - start);
		if (cmp == 0)
			return true;
		if (cmp < 0)
			hi = start;
		else
			lo = end + 1;
	}
	return false;
}

/*
 * Drop the list's pages from this process.  A lookup visits about 20
 * lines, but each page fault maps the pages around it too, so without
 * this every lookup would leave several hundred kilobytes resident.
 */
static void
common_list_release(const struct common_list *list)
{
	(void)madvise((void *)(uintptr_t)list->text, list->size,
	    MADV_DONTNEED);
}

int
common_list_contains(const struct common_list *list, const char *password)
{
	struct password_text	 nfc, folded;
	size_t			 len = strlen(password);
	bool			 found;

	if (!utf8_valid((const unsigned char *)password, len)) {
		errno = EILSEQ;
		return -1;
	}
	if (password_text_convert(PASSWORD_FORM_NFC, (const uint8_t *)password,
	    len, &nfc) == -1)
		return -1;
	if (password_text_convert(PASSWORD_FORM_FOLDED, nfc.s, nfc.len,
	    &folded) == -1) {
		password_text_wipe(&nfc);
		return -1;
	}
	found = common_list_search(list, folded.s, folded.len);
	common_list_release(list);
	password_text_wipe(&nfc);
	password_text_wipe(&folded);
	return found ? 1 : 0;
}

void
common_list_free(struct common_list *list)
{
	if (list == NULL)
		return;
	(void)munmap((void *)(uintptr_t)list->text, list->size);
	free(list);
}

/* ---- hashing ------------------------------------------------------------ */

/* The dummy hash of password_dummy_verify() and the parameters it used. */
static struct {
	char			hash[PASSWORD_HASH_SIZE];
	unsigned long long	opslimit;
	size_t			memlimit;
	bool			ready;
} password_dummy;

int
password_hash(const struct password_policy *policy, const char *password,
    char out[PASSWORD_HASH_SIZE])
{
	struct password_text	 nfc;
	size_t			 len = strlen(password);
	int			 rc, saved_errno;

	if (!utf8_valid((const unsigned char *)password, len)) {
		errno = EILSEQ;
		goto fail;
	}
	if (password_text_convert(PASSWORD_FORM_NFC, (const uint8_t *)password,
	    len, &nfc) == -1)
		goto fail;

	rc = crypto_pwhash_str_alg(out, (const char *)nfc.s, nfc.len,
	    policy->opslimit, policy->memlimit, crypto_pwhash_ALG_ARGON2ID13);
	saved_errno = errno;
	password_text_wipe(&nfc);
	if (rc != 0) {
		errno = saved_errno;
		goto fail;
	}
	return 0;

fail:
	saved_errno = errno;
	sodium_memzero(out, PASSWORD_HASH_SIZE);
	errno = saved_errno;
	return -1;
}

/* Whether "stored" has the form of a bcrypt hash that libxcrypt checks. */
static bool
password_is_bcrypt(const char *stored)
{
	if (strncmp(stored, "$2a$", 4) != 0 &&
	    strncmp(stored, "$2b$", 4) != 0 &&
	    strncmp(stored, "$2y$", 4) != 0)
		return false;
	return strlen(stored) == BCRYPT_HASH_LEN;
}

/* Check "phrase" against the bcrypt hash "stored" with crypt_rn(). */
static enum password_verify_result
password_bcrypt_verify(const char *stored, const char *phrase)
{
	struct crypt_data		*data;
	const char			*computed;
	enum password_verify_result	 result;

	/* The work area is about 32 KiB and holds key material, so heap and wipe it. */
	data = calloc(1, sizeof *data);
	if (data == NULL)
		return PASSWORD_ERROR;

	computed = crypt_rn(phrase, stored, data, (int)sizeof *data);
	if (computed == NULL)
		result = PASSWORD_UNSUPPORTED;
	else if (strlen(computed) == BCRYPT_HASH_LEN &&
	    sodium_memcmp(computed, stored, BCRYPT_HASH_LEN) == 0)
		result = PASSWORD_MATCH;
	else
		result = PASSWORD_MISMATCH;

	sodium_memzero(data, sizeof *data);
	free(data);
	return result;
}

enum password_verify_result
password_verify(const struct password_policy *policy, const char *stored_hash,
    const char *password, bool *needs_rehash)
{
	struct password_text		 nfc = { NULL, 0 };
	enum password_verify_result	 result;
	const char			*candidate = password;
	size_t				 len = strlen(password);
	size_t				 candidate_len = len;
	int				 rehash = 0;

	*needs_rehash = false;

	if (utf8_valid((const unsigned char *)password, len)) {
		if (password_text_convert(PASSWORD_FORM_NFC,
		    (const uint8_t *)password, len, &nfc) == -1)
			return PASSWORD_ERROR;
		candidate = (const char *)nfc.s;
		candidate_len = nfc.len;
	}

	if (strncmp(stored_hash, "$argon2id$", 10) == 0 &&
	    strnlen(stored_hash, PASSWORD_HASH_SIZE) < PASSWORD_HASH_SIZE &&
	    (rehash = crypto_pwhash_str_needs_rehash(stored_hash,
	    policy->opslimit, policy->memlimit)) != -1) {
		/* needs_rehash() has parsed the string: -1 means malformed. */
		if (crypto_pwhash_str_verify(stored_hash, candidate,
		    candidate_len) == 0) {
			result = PASSWORD_MATCH;
			*needs_rehash = rehash == 1;
		} else
			result = PASSWORD_MISMATCH;
	} else if (password_is_bcrypt(stored_hash)) {
		result = password_bcrypt_verify(stored_hash, candidate);
		if (result == PASSWORD_MISMATCH && candidate != password &&
		    (candidate_len != len ||
		    memcmp(candidate, password, len) != 0))
			result = password_bcrypt_verify(stored_hash, password);
		*needs_rehash = result == PASSWORD_MATCH;
	} else {
		/* Cost the same time as a real verification. */
		result = password_dummy_verify(policy) == -1 ? PASSWORD_ERROR :
		    PASSWORD_UNSUPPORTED;
	}

	password_text_wipe(&nfc);
	return result;
}

int
password_dummy_init(const struct password_policy *policy)
{
	unsigned char	secret[32];
	int		rc;

	/* A random password nobody knows, so no guess can ever match. */
	randombytes_buf(secret, sizeof secret);
	rc = crypto_pwhash_str_alg(password_dummy.hash, (const char *)secret,
	    sizeof secret, policy->opslimit, policy->memlimit,
	    crypto_pwhash_ALG_ARGON2ID13);
	sodium_memzero(secret, sizeof secret);

	password_dummy.ready = rc == 0;
	if (rc != 0)
		return -1;
	password_dummy.opslimit = policy->opslimit;
	password_dummy.memlimit = policy->memlimit;
	return 0;
}

int
password_dummy_verify(const struct password_policy *policy)
{
	static const char	guess[] = "dummy password for unknown accounts";
	int			mismatch;

	if (!password_dummy.ready ||
	    password_dummy.opslimit != policy->opslimit ||
	    password_dummy.memlimit != policy->memlimit)
		if (password_dummy_init(policy) == -1)
			return -1;

	/* Only the time spent matters: the guess never matches. */
	mismatch = crypto_pwhash_str_verify(password_dummy.hash, guess,
	    sizeof guess - 1);
	(void)mismatch;
	return 0;
}

char *
password_report_join(const struct password_report *report, char *out,
    size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	for (i = 0; i < report->nproblems; i++) {
		if (i > 0)
			strncat(out, ", ", outlen - strlen(out) - 1);
		strncat(out, report->problems[i], outlen - strlen(out) - 1);
	}
	return out;
}
