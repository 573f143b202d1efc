/*
 * pii_columns.c - every encrypted personal data column, in one list.
 *
 * "sscnctl keys rotate" re-encrypts each column listed here and "sscnctl
 * keys status" counts its rows per key version, so a new encrypted column
 * is added here and nowhere else.  The AAD prefix must match the one that
 * the code sealing the column uses.
 */
#include "config.h"

#include <string.h>

#include "crypto/pii.h"

const struct pii_column pii_columns[] = {
	{ "sscn.users", "id", "email", "users.email:" },
	{ "sscn.users", "id", "full_name", "users.full_name:" },
	{ "sscn.users", "id", "phone", "users.phone:" },
	{ "sscn.mail_outbox", "seal_id", "recipient",
	    "mail_outbox.recipient:" },
	{ "sscn.mail_outbox", "seal_id", "body", "mail_outbox.body:" },
	{ "sscn.mail_outbox", "seal_id", "headers_sealed",
	    "mail_outbox.headers_sealed:" },
	{ "sscn.org_invitations", "id", "email", "org_invitations.email:" },
	{ "sscn.sessions", "id", "address", "sessions.address:" },
	{ "sscn.legal_acceptances", PII_LEGAL_ACCEPTANCE_KEY, "address",
	    "legal_acceptances.address:" },
	{ "sscn.nda_acceptances", PII_NDA_ACCEPTANCE_KEY, "address",
	    "nda_acceptances.address:" },
	{ "sscn.consents", "id", "address", "consents.address:" },
	{ "sscn.oidc_identities", "id", "sub", "oidc_identities.sub:" },
	{ "sscn.oidc_pending_links", "encode(link_hash, 'hex')", "sub",
	    "oidc_pending_links.sub:" },
	/* Binary TOTP secrets, sealed by auth_mfa.c under its own prefix. */
	{ "sscn.users", "id", "totp_secret", "sscn.users.totp_secret:" },
	{ "sscn.users", "id", "totp_pending_secret",
	    "sscn.users.totp_pending_secret:" },
	/* API key secrets (api/apikeys.c), needed in clear for the HMAC. */
	{ "sscn.api_keys", "id", "secret", "api_keys.secret:" },
	/* Stored answers of idempotent requests (idempotency.c). */
	{ "sscn.idempotency_keys", "id", "response",
	    "idempotency_keys.response:" },
};

const size_t pii_ncolumns = sizeof(pii_columns) / sizeof(pii_columns[0]);

const struct pii_column *
pii_column_find(const char *aad_prefix)
{
	size_t i;

	for (i = 0; i < pii_ncolumns; i++)
		if (strcmp(pii_columns[i].aad_prefix, aad_prefix) == 0)
			return &pii_columns[i];
	return NULL;
}
