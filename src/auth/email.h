/*
 * email.h - e-mail address checks and normalization.
 */
#ifndef SSCN_AUTH_EMAIL_H
#define SSCN_AUTH_EMAIL_H

#include <stddef.h>

#define EMAIL_MAX 254	/* RFC 5321 path limit, less the angle brackets */

/*
 * Check "input" and write its normalized form (trimmed, NFC, case-folded)
 * into "out".  Returns 0, or -1 when the address is invalid or "out" is
 * too small (EMAIL_MAX * 3 + 1 bytes is always enough).
 */
int	email_normalize(const char *input, char *out, size_t outlen);

/* Copy the part before "@" into "out"; returns "out". */
const char *email_local_part(const char *email, char *out, size_t outlen);

#endif /* SSCN_AUTH_EMAIL_H */
