/*
 * account_deletion_statements.c - statements of account deletion
 * (api/account_deletion.c).  sscn.users has no row-level security; each
 * statement names the authenticated user's id itself.
 */
#include "config.h"

#include "sscn.h"
#include "api/account_deletion.h"

const struct db_statement account_deletion_statements[] = {
	/*
	 * The columns of "mfa_user", then whether a deletion is scheduled.
	 * The row lock orders two requests of one user.
	 */
	{ "deletion_account",
	  "SELECT id::text, email, full_name, is_admin, totp_secret, "
	  "totp_last_step, email_index, password_hash, "
	  "totp_enabled_at IS NOT NULL, totp_pending_secret, "
	  "deletion_scheduled_for IS NOT NULL "
	  "FROM sscn.users WHERE id = $1::uuid FOR UPDATE",
	  1, false },
	/* Platform admins who would remain if user $1 left. */
	{ "deletion_other_admins",
	  "SELECT count(*) FROM sscn.users WHERE is_admin AND id <> $1::uuid "
	  "AND admin_locked_at IS NULL AND purged_at IS NULL "
	  "AND deletion_scheduled_for IS NULL",
	  1, false },
	{ "deletion_blocking_orgs",
	  "SELECT id::text FROM sscn.deletion_blocking_orgs() AS id",
	  0, false },
	/* Parameters: user id, grace in seconds. */
	{ "deletion_schedule",
	  "UPDATE sscn.users SET deletion_requested_at = now(), "
	  "deletion_scheduled_for = now() + make_interval(secs => $2::int) "
	  "WHERE id = $1::uuid AND deletion_scheduled_for IS NULL "
	  "RETURNING to_char(deletion_scheduled_for AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
	  2, false },
	/* Only before the date: from then on the account is the purge's. */
	{ "deletion_cancel",
	  "UPDATE sscn.users SET deletion_requested_at = NULL, "
	  "deletion_scheduled_for = NULL "
	  "WHERE id = $1::uuid AND deletion_scheduled_for > now() "
	  "RETURNING email",
	  1, false },
};

const size_t account_deletion_nstatements =
    sizeof(account_deletion_statements) /
    sizeof(account_deletion_statements[0]);
