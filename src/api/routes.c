/*
 * routes.c - the route table of sscnd.
 *
 * Order matters only between templates that match the same path; the
 * first match wins.  Test-only routes live in http.c and are served only
 * when enable_test_routes is set.
 */
#include "config.h"

#include "sscn.h"
#include "api/orgs.h"
#include "api/suppliers.h"
#include "api/documents.h"
#include "api/rfqs.h"
#include "api/quotes.h"
#include "api/data_export.h"
#include "api/consent.h"
#include "api/incidents.h"
#include "api/account_deletion.h"
#include "api/oidc.h"
#include "api/apikeys.h"

const struct route api_routes[] = {
	{ "GET", "/api/health/", health_root, ROUTE_NO_RATE_LIMIT },
	{ "GET", "/api/health/live", health_live, ROUTE_NO_RATE_LIMIT },
	{ "GET", "/api/health/ready", health_ready, ROUTE_NO_RATE_LIMIT },
	{ "GET", "/metrics", metrics_get, ROUTE_NO_RATE_LIMIT },

	{ "POST", "/api/v1/auth/register", auth_register,
	    ROUTE_BODY_JSON | ROUTE_RATE_REGISTER },
	{ "POST", "/api/v1/auth/verify-email", auth_verify_email,
	    ROUTE_BODY_JSON | ROUTE_RATE_REGISTER },
	{ "POST", "/api/v1/auth/password/check", auth_password_check,
	    ROUTE_BODY_JSON },
	{ "POST", "/api/v1/auth/login", auth_login,
	    ROUTE_BODY_JSON | ROUTE_RATE_LOGIN },
	{ "POST", "/api/v1/auth/mfa/verify", auth_mfa_verify,
	    ROUTE_BODY_JSON | ROUTE_RATE_MFA },
	{ "POST", "/api/v1/auth/refresh", auth_refresh, 0 },
	{ "POST", "/api/v1/auth/logout", auth_logout,
	    ROUTE_RESTRICTED_OK | ROUTE_AUTH },
	{ "GET", "/api/v1/auth/sessions", auth_sessions_list, ROUTE_AUTH },
	{ "DELETE", "/api/v1/auth/sessions/{id}", auth_sessions_revoke,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/auth/password/change", auth_password_change,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/auth/password/forgot", auth_password_forgot,
	    ROUTE_BODY_JSON | ROUTE_RATE_PASSWORD_RESET },
	{ "POST", "/api/v1/auth/password/reset", auth_password_reset,
	    ROUTE_BODY_JSON | ROUTE_RATE_PASSWORD_RESET },
	{ "POST", "/api/v1/auth/mfa/totp/setup", auth_totp_setup,
	    ROUTE_RESTRICTED_OK | ROUTE_AUTH },
	{ "POST", "/api/v1/auth/mfa/totp/confirm", auth_totp_confirm,
	    ROUTE_BODY_JSON | ROUTE_RESTRICTED_OK | ROUTE_AUTH },
	{ "DELETE", "/api/v1/auth/mfa/totp", auth_totp_disable,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/auth/mfa/recovery-codes", auth_recovery_codes,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/me", me_get, ROUTE_RESTRICTED_OK | ROUTE_AUTH },
	{ "PATCH", "/api/v1/me", me_patch, ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/me/organizations", me_organizations, ROUTE_AUTH },
	{ "PUT", "/api/v1/me/organization", me_organization_switch,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/legal/{document}", legal_get, 0 },
	{ "GET", "/api/v1/admin/users", admin_users_list, ROUTE_AUTH },
	{ "POST", "/api/v1/admin/users/{id}/lock", admin_user_lock,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/admin/users/{id}/unlock", admin_user_unlock,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/legal/accept", legal_accept,
	    ROUTE_BODY_JSON | ROUTE_RESTRICTED_OK | ROUTE_AUTH },

	/* ---- organizations and members (api/orgs.h) ---- */
	{ "GET", "/api/v1/organizations/{id}", org_get, ROUTE_AUTH },
	{ "PATCH", "/api/v1/organizations/{id}", org_patch,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/organizations/{id}/members", org_members_list,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/organizations/{id}/members", org_members_invite,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "PATCH", "/api/v1/organizations/{id}/members/{user_id}",
	    org_member_patch, ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "DELETE", "/api/v1/organizations/{id}/members/{user_id}",
	    org_member_remove, ROUTE_AUTH },
	{ "POST", "/api/v1/invitations/accept", org_invitation_accept,
	    ROUTE_BODY_JSON | ROUTE_AUTH },

	/* ---- categories, suppliers, certifications (api/suppliers.h) ---- */
	{ "GET", "/api/v1/categories", supplier_categories, 0 },
	{ "GET", "/api/v1/suppliers", supplier_directory, ROUTE_AUTH },
	{ "GET", "/api/v1/suppliers/{org_id}", supplier_get, ROUTE_AUTH },
	{ "PUT", "/api/v1/suppliers/{org_id}/profile", supplier_profile_put,
	    ROUTE_BODY_JSON | ROUTE_AUTH },

	/* ---- documents (api/documents.h) ---- */
	{ "POST", "/api/v1/documents", documents_create,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/documents/{id}", documents_get, ROUTE_AUTH },
	{ "PUT", "/api/v1/documents/{id}/content", documents_put_content,
	    ROUTE_BODY_ANY | ROUTE_BODY_LARGE | ROUTE_AUTH },
	{ "GET", "/api/v1/documents/{id}/content", documents_get_content,
	    ROUTE_AUTH },

	/* ---- RFQs, their invitations and NDA (api/rfqs.h) ---- */
	{ "POST", "/api/v1/rfqs", rfq_create,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/rfqs", rfq_list, ROUTE_AUTH },
	{ "GET", "/api/v1/rfqs/{id}", rfq_get, ROUTE_AUTH },
	{ "PATCH", "/api/v1/rfqs/{id}", rfq_patch,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/publish", rfq_publish, ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/close", rfq_close, ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/cancel", rfq_cancel,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/invitations", rfq_invite,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/rfqs/{id}/invitations", rfq_invitations_list,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/nda/accept", rfq_nda_accept,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/rfqs/{id}/nda/acceptances", rfq_nda_acceptances,
	    ROUTE_AUTH },

	/* ---- quotes and messages (api/quotes.h) ---- */
	{ "POST", "/api/v1/rfqs/{id}/quotes", quote_submit,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/rfqs/{id}/quotes", quote_list, ROUTE_AUTH },
	{ "GET", "/api/v1/quotes/{id}", quote_get, ROUTE_AUTH },
	{ "PATCH", "/api/v1/quotes/{id}", quote_patch,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/quotes/{id}/withdraw", quote_withdraw, ROUTE_AUTH },
	{ "POST", "/api/v1/quotes/{id}/award", quote_award, ROUTE_AUTH },
	{ "GET", "/api/v1/rfqs/{id}/messages", message_list, ROUTE_AUTH },
	{ "POST", "/api/v1/rfqs/{id}/messages", message_post,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },

	/* ---- data export (api/data_export.h) ---- */
	/* Open to restricted sessions: a copy of one's data needs no new terms. */
	{ "GET", "/api/v1/data/export", data_export,
	    ROUTE_AUTH | ROUTE_RESTRICTED_OK },

	/* ---- consent, preferences, unsubscribe (api/consent.h) ---- */
	{ "POST", "/api/v1/consents", consent_post,
	    ROUTE_BODY_JSON | ROUTE_RESTRICTED_OK },
	{ "GET", "/api/v1/consents", consent_get, ROUTE_RESTRICTED_OK },
	{ "GET", "/api/v1/me/preferences", preferences_get, ROUTE_AUTH },
	{ "PUT", "/api/v1/me/preferences", preferences_put,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/unsubscribe", unsubscribe_get, 0 },
	{ "POST", "/api/v1/unsubscribe", unsubscribe_post, ROUTE_BODY_ANY },

	/* ---- incidents and audit search (api/incidents.h) ---- */
	{ "POST", "/api/v1/admin/incidents", incident_create,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/admin/incidents", incident_list, ROUTE_AUTH },
	{ "GET", "/api/v1/admin/incidents/{id}", incident_get, ROUTE_AUTH },
	{ "PATCH", "/api/v1/admin/incidents/{id}", incident_patch,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "POST", "/api/v1/admin/incidents/{id}/notify", incident_notify,
	    ROUTE_BODY_JSON | ROUTE_AUTH },
	{ "GET", "/api/v1/admin/audit", admin_audit_list, ROUTE_AUTH },
	{ "GET", "/api/v1/admin/access-review", admin_access_review,
	    ROUTE_AUTH },
	{ "POST", "/api/v1/admin/access-review/sign-off",
	    admin_access_review_sign_off, ROUTE_BODY_JSON | ROUTE_AUTH },

	/* ---- account deletion (api/account_deletion.h) ---- */
	/* Open to restricted sessions: leaving needs no new terms first. */
	{ "POST", "/api/v1/data/delete-account", account_delete_request,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_RESTRICTED_OK },
	{ "POST", "/api/v1/data/delete-account/cancel", account_delete_cancel,
	    ROUTE_AUTH | ROUTE_RESTRICTED_OK },

	/* ---- sign-in with LinkedIn (api/oidc.h) ---- */
	{ "GET", "/api/v1/auth/linkedin/start", oidc_linkedin_start, 0 },
	{ "GET", "/api/v1/auth/linkedin/callback", oidc_linkedin_callback, 0 },
	{ "POST", "/api/v1/auth/linkedin/link", oidc_linkedin_link, ROUTE_AUTH },

	/* ---- API keys (api/apikeys.h) ---- */
	{ "POST", "/api/v1/organizations/{id}/api-keys", apikeys_create,
	    ROUTE_BODY_JSON | ROUTE_AUTH | ROUTE_IDEMPOTENT },
	{ "GET", "/api/v1/organizations/{id}/api-keys", apikeys_list,
	    ROUTE_AUTH },
	{ "DELETE", "/api/v1/organizations/{id}/api-keys/{key_id}",
	    apikeys_revoke, ROUTE_AUTH },
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
