/*
 * token.h - random single-use tokens and their stored hashes.
 *
 * A token is 32 bytes from libsodium's CSPRNG in base64url without
 * padding (43 characters).  The database keeps only SHA-256 of the token
 * text; with 256 bits of entropy a fast hash is enough, and a leaked
 * table gives no usable token.
 */
#ifndef SSCN_AUTH_TOKEN_H
#define SSCN_AUTH_TOKEN_H

#include <stddef.h>

#define TOKEN_TEXT_LEN	43
#define TOKEN_HASH_HEX	(2 + 64 + 1)	/* "\\x" + hex + NUL, bytea input */

/* Make a new token in "text" (TOKEN_TEXT_LEN + 1 bytes) and its hash. */
void	token_generate(char *text, char *hash_hex);

/*
 * Hash "text" as the database stores it: "\x" followed by 64 hex digits,
 * PostgreSQL's bytea input form.  Returns -1 when "text" is not a
 * well-formed token, so junk never reaches a query.
 */
int	token_hash(const char *text, char *hash_hex);

/* A random id: an RFC 9562 version 4 UUID, 122 bits from libsodium. */
void	token_random_uuid(char out[37]);

#endif /* SSCN_AUTH_TOKEN_H */
