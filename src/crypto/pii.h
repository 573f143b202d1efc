/*
 * pii.h - personal data fields in the database: AES-256-GCM ciphertexts
 * (fieldcrypt.h) exchanged with PostgreSQL as bytea text, and blind
 * indexes.
 *
 * Every encrypted column binds its ciphertext to the column and the row.
 * The authenticated data is the column's prefix (such as "users.email:")
 * followed by the row's key (such as the user id), so a ciphertext copied
 * to another row or column fails to decrypt.  pii_columns.c lists every
 * such column.
 *
 * A blind index is HMAC-SHA256 under the key file's "index" key over a
 * domain label and a normalized value ("email:" and the address from
 * email_normalize()).  The database stores it to find a row and to keep a
 * value unique without holding the value in clear.
 */
#ifndef SSCN_CRYPTO_PII_H
#define SSCN_CRYPTO_PII_H

#include <stddef.h>

#include "crypto/fieldcrypt.h"

struct sscn_keys;

/* Bytes of a blind index, and of its bytea text ("\x" and hex) with NUL. */
#define PII_INDEX_LEN		32
#define PII_INDEX_HEX_SIZE	(2 + 2 * PII_INDEX_LEN + 1)

/* One encrypted column, as listed in pii_columns.c. */
struct pii_column {
	const char	*table;		/* schema-qualified, e.g. "sscn.users" */
	const char	*key_column;	/* SQL of the row key in the AAD */
	const char	*column;	/* bytea ciphertext, may be NULL */
	const char	*aad_prefix;	/* e.g. "users.email:" */
};

/*
 * Row keys of the tables with a composite primary key, as SQL over the
 * row.  The C code that seals their columns joins the same values with ":".
 */
#define PII_LEGAL_ACCEPTANCE_KEY \
	"user_id::text || ':' || kind || ':' || version"
#define PII_NDA_ACCEPTANCE_KEY \
	"rfq_id::text || ':' || supplier_org_id::text || ':' || nda_version"

extern const struct pii_column pii_columns[];
extern const size_t pii_ncolumns;

/* The entry of "aad_prefix", or NULL. */
const struct pii_column *pii_column_find(const char *aad_prefix);

/*
 * Encrypt the NUL-terminated "plain" for the column "aad_prefix" and the
 * row "row_key" under the current field key.  Returns the ciphertext as
 * bytea hex input text, which the caller frees with free(), or NULL when
 * encryption fails or memory runs out.
 */
char	*pii_seal(const struct sscn_keys *keys, const char *aad_prefix,
	    const char *row_key, const char *plain);

/*
 * Decrypt "stored", a bytea column in hex output form, of the column
 * "aad_prefix" and the row "row_key".  On FIELDCRYPT_OK "*out" is the
 * NUL-terminated plaintext, released with pii_free().  On any other status
 * "*out" is NULL, and FIELDCRYPT_SHORT also covers text that is not bytea
 * hex.
 */
enum fieldcrypt_status pii_open(const struct sscn_keys *keys,
	    const char *aad_prefix, const char *row_key, const char *stored,
	    char **out) __attribute__((warn_unused_result));

/* Wipe and free a plaintext from pii_open(); NULL is allowed. */
void	pii_free(char *plain);

/*
 * Write the blind index of the normalized e-mail address "normalized" as
 * bytea hex text into "out" (PII_INDEX_HEX_SIZE bytes).  Returns 0, or -1
 * when "outlen" is too small.
 */
int	pii_email_index(const struct sscn_keys *keys, const char *normalized,
	    char *out, size_t outlen);

/*
 * Write the blind index of "value" in the domain "label" (such as
 * "email:"), as pii_email_index() does.  Labels keep the indexes of
 * different kinds of value apart.
 */
int	pii_blind_index(const struct sscn_keys *keys, const char *label,
	    const char *value, char *out, size_t outlen);

#endif /* SSCN_CRYPTO_PII_H */
