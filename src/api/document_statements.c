/*
 * document_statements.c - statements of document metadata, content
 * upload and download.
 *
 * Every statement runs inside the transaction that authn_require() opened,
 * so row-level security (sql/0004_sourcing.sql, documents_own and
 * documents_owner_select) decides which documents a caller reaches.  The
 * conditions on sscn.current_org_id() below narrow that further where a
 * statement is about the caller's own organization only.
 */
#include "config.h"

#include "sscn.h"

/*
 * The metadata columns, in the order document_json() reads them: id,
 * purpose, owner_id, filename, content_type, status, size, sha256 (hex),
 * created_at, stored_at, organization_id.
 */
#define DOCUMENT_COLUMNS \
	"d.id::text, d.purpose, d.owner_id::text, d.filename, " \
	"d.content_type, d.status, d.size, encode(d.sha256, 'hex'), " \
	"to_char(d.created_at AT TIME ZONE 'UTC', " \
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
	"to_char(d.stored_at AT TIME ZONE 'UTC', " \
	"  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
	"d.organization_id::text"

const struct db_statement document_statements[] = {
	/*
	 * Owner checks of an upload: one row when the caller's organization
	 * owns the object, with the state the handler checks.
	 */
	{ "document_owner_certificate",
	  "SELECT 'certification' FROM sscn.certifications c "
	  "WHERE c.id = $1::uuid AND c.organization_id = sscn.current_org_id() "
	  "UNION ALL "
	  "SELECT 'profile' FROM sscn.supplier_profiles p "
	  "WHERE p.organization_id = $1::uuid "
	  "  AND p.organization_id = sscn.current_org_id()",
	  1, false },
	{ "document_owner_rfq",
	  "SELECT sscn.rfq_effective_status(r.status, r.quote_deadline) "
	  "FROM sscn.rfqs r "
	  "WHERE r.id = $1::uuid AND r.buyer_org_id = sscn.current_org_id()",
	  1, false },
	/* A quote takes attachments while it and its RFQ are open. */
	{ "document_owner_quote",
	  "SELECT CASE WHEN q.status IN ('submitted', 'needs_reconfirmation') "
	  "  AND sscn.rfq_effective_status(r.status, r.quote_deadline) = "
	  "    'published' THEN 'open' ELSE 'locked' END "
	  "FROM sscn.quotes q JOIN sscn.rfqs r ON r.id = q.rfq_id "
	  "WHERE q.id = $1::uuid AND q.supplier_org_id = sscn.current_org_id()",
	  1, false },

	/* Parameters: id, organization, purpose, owner, filename, type, user. */
	{ "document_insert",
	  "INSERT INTO sscn.documents AS d (id, organization_id, purpose, "
	  "owner_id, filename, content_type, created_by) "
	  "VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5, $6, $7::uuid) "
	  "RETURNING " DOCUMENT_COLUMNS,
	  7, false },

	/*
	 * A document the caller may read, and whether the NDA gate withholds
	 * it: an RFQ attachment of an RFQ with nda_required, requested by
	 * an organization other than the RFQ's buyer that has not accepted
	 * the RFQ's pinned NDA version.
	 */
	{ "document_select",
	  "SELECT " DOCUMENT_COLUMNS ", "
	  "  d.purpose = 'rfq_attachment' AND EXISTS (SELECT 1 "
	  "    FROM sscn.rfqs r WHERE r.id = d.owner_id AND r.nda_required "
	  "      AND r.buyer_org_id IS DISTINCT FROM sscn.current_org_id() "
	  "      AND NOT EXISTS (SELECT 1 FROM sscn.nda_acceptances a "
	  "        WHERE a.rfq_id = r.id "
	  "          AND a.supplier_org_id = sscn.current_org_id() "
	  "          AND a.nda_version = r.nda_version)) "
	  "FROM sscn.documents d WHERE d.id = $1::uuid",
	  1, true },

	/*
	 * The caller's own document, locked for the upload: its status,
	 * purpose, owner, declared type and whether the caller created it.
	 */
	{ "document_lock",
	  "SELECT d.status, d.purpose, d.owner_id::text, d.content_type, "
	  "  d.created_by IS NOT DISTINCT FROM sscn.current_user_id() "
	  "FROM sscn.documents d "
	  "WHERE d.id = $1::uuid AND d.organization_id = sscn.current_org_id() "
	  "FOR UPDATE",
	  1, false },

	/*
	 * Store the content.  Parameters: id (text), content (binary bytea),
	 * size (text), SHA-256 (binary bytea, 32 bytes).
	 */
	{ "document_store",
	  "UPDATE sscn.documents AS d SET status = 'stored', "
	  "content = $2::bytea, size = $3::int, sha256 = $4::bytea, "
	  "stored_at = now() "
	  "WHERE d.id = $1::uuid AND d.status = 'pending' "
	  "RETURNING " DOCUMENT_COLUMNS,
	  4, false },

	/* The bytes alone, read with a binary result. */
	{ "document_content",
	  "SELECT d.content FROM sscn.documents d "
	  "WHERE d.id = $1::uuid AND d.status = 'stored'",
	  1, true },
};

const size_t document_nstatements =
    sizeof(document_statements) / sizeof(document_statements[0]);
