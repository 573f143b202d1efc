/*
 * password.h - password policy, strength estimate, common-password list
 * and password hashing.
 *
 * Passwords are NUL-terminated UTF-8, as the JSON layer delivers them (it
 * rejects \u0000, so no password is cut short at an embedded NUL).  Every
 * function here normalises the password to Unicode NFC itself, so callers
 * pass what the client sent, and the NFC and NFD spellings of a password
 * are the same password.  Nothing is ever truncated.
 *
 * Hashes are Argon2id strings from libsodium ("$argon2id$v=19$..."); bcrypt
 * strings ("$2a$", "$2b$", "$2y$") imported from the former platform still
 * verify and ask to be re-hashed.
 *
 * Nothing here logs or touches the database.  Copies of passwords are wiped
 * with sodium_memzero() before they are freed.  The caller must have called
 * sodium_init().  password_dummy_init() and password_dummy_verify(), and
 * password_verify() for an unsupported hash, update one static dummy hash,
 * so they must not run concurrently in several threads.
 */
#ifndef SSCN_AUTH_PASSWORD_H
#define SSCN_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Size of a hash string buffer, NUL included: crypto_pwhash_STRBYTES. */
#define PASSWORD_HASH_SIZE	128

/*
 * Inputs longer than this many bytes are reported as "too_long" without
 * further checks, which bounds the work one request can cause.  It is far
 * above what PASSWORD_MAX_LENGTH_LIMIT code points need, even in NFD.
 */
#define PASSWORD_INPUT_MAX	16384

/* Largest max_length that password_policy_validate() accepts. */
#define PASSWORD_MAX_LENGTH_LIMIT 1024

/* Number of distinct problem codes, so the size of password_report's list. */
#define PASSWORD_PROBLEMS_MAX	10

/* Rules for new passwords and the Argon2id cost of their hashes. */
struct password_policy {
	size_t	min_length;	/* code points, counted as password_check() says */
	size_t	max_length;	/* code points, at most PASSWORD_MAX_LENGTH_LIMIT */
	bool	require_upper;	/* a code point with the Unicode Uppercase property */
	bool	require_lower;	/* a code point with the Unicode Lowercase property */
	bool	require_digit;	/* a decimal digit (general category Nd) */
	int	min_score;	/* lowest zxcvbn score accepted, 0-4 (0: no check) */
	bool	check_common;	/* reject passwords on the common-password list */
	unsigned long long opslimit;	/* Argon2id passes over memory */
	size_t	memlimit;	/* Argon2id memory, bytes */
};

/*
 * Result of password_check().  "problems" contains problem codes, in this
 * order: "invalid_utf8" (alone, since no other rule can be applied then),
 * "too_short", "too_long", "missing_upper", "missing_lower",
 * "missing_digit", "common_password", "contains_email", "contains_name",
 * "too_weak".  The strings are static.
 */
struct password_report {
	int	 score;		/* zxcvbn score 0-4, or -1 when not estimated */
	double	 entropy;	/* bits, as ZxcvbnMatch() returns them */
	size_t	 length;	/* code points that the length rules counted, or 0
				   when the input was not measured (invalid_utf8,
				   or above PASSWORD_INPUT_MAX bytes) */
	bool	 acceptable;	/* true when "problems" is empty */
	size_t	 nproblems;
	const char *problems[PASSWORD_PROBLEMS_MAX];
};

/* Outcome of password_verify(). */
enum password_verify_result {
	PASSWORD_MATCH = 0,
	PASSWORD_MISMATCH,	/* wrong password */
	PASSWORD_UNSUPPORTED,	/* not an Argon2id or bcrypt hash, or malformed */
	PASSWORD_ERROR		/* out of memory */
};

/* A loaded common-password list; see common_list_load(). */
struct common_list;

/*
 * Fill "policy" with the defaults: 8 to 128 code points, an upper-case
 * letter, a lower-case letter and a digit, zxcvbn score 3 or more, the
 * common-password check on, and libsodium's interactive Argon2id limits
 * (crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE:
 * 2 passes over 64 MiB).
 */
void	password_policy_defaults(struct password_policy *policy);

/*
 * Check that "policy" is usable: 1 <= min_length <= max_length <=
 * PASSWORD_MAX_LENGTH_LIMIT, min_score 0-4, and opslimit and memlimit
 * within libsodium's Argon2id bounds.  Returns NULL, or a static message
 * naming the sscn.conf setting at fault.
 */
const char *password_policy_validate(const struct password_policy *policy);

/*
 * Check "password" against every rule of "policy" and fill "report" with
 * all the rules it fails, not only the first.
 *
 * Length rules count code points of the NFC form after each run of spaces
 * (U+0020) has been collapsed to one space.  Every other rule looks at the
 * NFC form as it is.  Matches against the common-password list, the e-mail
 * and the name ignore case (Unicode case folding).  "contains_email" means
 * the password contains the local part of "email" (the text before its
 * last '@', or all of it without one) when that part has 3 or more code
 * points.  "contains_name" means it contains a word of "full_name" of 3 or
 * more code points, where words are runs of letters, marks and digits.
 * "email", "full_name" and "list" may be NULL, and their rules are then
 * skipped; so is the common-password rule when "list" is NULL.
 *
 * The score is zxcvbn's: ZxcvbnMatch() (zxcvbn-c) returns an entropy e in
 * bits, the guesses 2^e are mapped to 0-4 with the thresholds of Dropbox's
 * zxcvbn 4.4 (guesses_to_score() in src/time_estimates.coffee): below
 * 10^3 + 5 is 0, below 10^6 + 5 is 1, below 10^8 + 5 is 2, below 10^10 + 5
 * is 3, else 4.  The e-mail's local part and the name's words are passed
 * to zxcvbn as user inputs.
 *
 * Returns 0, or -1 with errno ENOMEM, in which case "report" is not
 * acceptable and may be incomplete.
 */
int	password_check(const struct password_policy *policy,
	    const struct common_list *list, const char *password,
	    const char *email, const char *full_name,
	    struct password_report *report) __attribute__((warn_unused_result));

/*
 * Write the report's problem codes into "out" as one string separated by
 * ", " (for an error's fields.password).  Cut to fit; returns "out".
 */
char	*password_report_join(const struct password_report *report, char *out,
	    size_t outlen);

/*
 * Map a zxcvbn entropy in bits to the score 0-4 as password_check() does.
 */
int	password_score_from_entropy(double entropy_bits);

/*
 * Load the common-password list at "path": one entry a line, each in NFC
 * case-folded form, the lines sorted in byte order with no duplicates, as
 * tools/common-passwords writes them.  The file is mapped read-only and
 * shared with every process forked after the load.  Returns the list, or
 * NULL with errno set: the open(2), fstat(2) or mmap(2) error, ENOMEM,
 * EFBIG above 256 MiB, or EINVAL when the file is not a regular file, is
 * empty, or has a line that is empty, not valid UTF-8, not case-folded, or
 * not after the line before it.  For EINVAL, "*error_line"
 * (when not NULL) is set to the 1-based number of that line, else to 0.
 */
struct common_list *common_list_load(const char *path, size_t *error_line)
	    __attribute__((warn_unused_result));

/* Return the number of entries in "list". */
size_t	common_list_size(const struct common_list *list);

/*
 * Look up "password" in "list", ignoring case.  Returns 1 when it is
 * listed, 0 when not, or -1 when it is not valid UTF-8 or memory ran out.
 */
int	common_list_contains(const struct common_list *list,
	    const char *password) __attribute__((warn_unused_result));

/* Unmap and free "list"; NULL is allowed. */
void	common_list_free(struct common_list *list);

/*
 * Hash the NFC form of "password" with Argon2id at the policy's opslimit
 * and memlimit and a random salt, and write the NUL-terminated hash string
 * to "out".  Returns 0, or -1 with errno EILSEQ when the password is not
 * valid UTF-8, ENOMEM when memory ran out, or EINVAL when the parameters
 * are outside libsodium's bounds.  On error, "out" is wiped.
 */
int	password_hash(const struct password_policy *policy,
	    const char *password, char out[PASSWORD_HASH_SIZE])
	    __attribute__((warn_unused_result));

/*
 * Verify "password" against the hash string "stored_hash".
 *
 * "$argon2id$" hashes are checked with crypto_pwhash_str_verify() on the
 * NFC form of "password".  On a match, "*needs_rehash" is set when the hash
 * was made with an opslimit or memlimit other than the policy's.
 *
 * "$2a$", "$2b$" and "$2y$" bcrypt hashes are checked with libxcrypt's
 * crypt_rn(), the result compared in constant time.  The NFC form is tried
 * first and then, when it differs, the password as sent, because the
 * former platform's normalisation is unknown.  A match always sets
 * "*needs_rehash".  NOTE: bcrypt reads only the first 72 bytes of a
 * password, so a legacy hash accepts any password with the same first 72
 * bytes until it is re-hashed.
 *
 * Any other "stored_hash" spends one dummy verification (see
 * password_dummy_verify()) and returns PASSWORD_UNSUPPORTED.  A password
 * that is not valid UTF-8 is checked as the bytes sent, so it costs the
 * same time and matches no hash that password_hash() made.
 * "*needs_rehash" is false unless the result is PASSWORD_MATCH.
 */
enum password_verify_result password_verify(
	    const struct password_policy *policy, const char *stored_hash,
	    const char *password, bool *needs_rehash)
	    __attribute__((warn_unused_result));

/*
 * Compute the dummy hash that password_dummy_verify() checks against: an
 * Argon2id hash of a random password at the policy's parameters.  Call it
 * once per process at start-up so that no request pays for it.  Returns 0,
 * or -1 with errno ENOMEM.  Not thread-safe.
 */
int	password_dummy_init(const struct password_policy *policy)
	    __attribute__((warn_unused_result));

/*
 * Spend one Argon2id verification at the policy's parameters, which always
 * fails, so that a login for an unknown e-mail takes as long as one with a
 * wrong password.  Computes the dummy hash first when password_dummy_init()
 * was not called or used other parameters.  Returns 0, or -1 with errno
 * ENOMEM.  Not thread-safe.
 */
int	password_dummy_verify(const struct password_policy *policy);

#endif /* SSCN_AUTH_PASSWORD_H */
