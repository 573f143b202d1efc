/*
 * rfq_statements.c - statements of RFQs, their supplier invitations and
 * NDA acceptances.
 *
 * Row-level security decides which RFQs a caller can read.  Statements
 * that change an RFQ also name the caller's organization as its buyer,
 * so a supplier that can read an RFQ still cannot write it.  Column positions
 * are enum rfq_column in api/rfqs.h.  Changes to the fields of an RFQ
 * arrive as one JSON object built by the handler from validated values,
 * and each column is set only when its key is present.
 */
#include "config.h"

#include "sscn.h"

#define RFQ_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * Columns of a list item; "r" is the RFQ.  Values go out in their plain
 * text form (timestamps as "2026-12-05 00:34:26+00", quantities with
 * their scale) and rfqs.c formats them: formatting here cost the RFQ read
 * a measurable share of PostgreSQL's time.  The NDA check is skipped for
 * the buyer, who is never gated.
 */
#define RFQ_SUMMARY_COLUMNS \
	"r.id, r.buyer_org_id, r.buyer_name, r.title, r.category, " \
	"r.quantity, r.unit, r.currency, r.delivery_country, r.need_by, " \
	"r.quote_deadline, r.visibility, r.nda_required, r.nda_version, " \
	"r.sealed, sscn.rfq_effective_status(r.status, r.quote_deadline), " \
	"r.published_at, r.closed_at, r.created_at, " \
	"r.buyer_org_id = sscn.current_org_id(), " \
	"CASE WHEN r.buyer_org_id = sscn.current_org_id() THEN false " \
	"ELSE EXISTS (SELECT 1 FROM sscn.nda_acceptances a " \
	"  WHERE a.rfq_id = r.id AND a.supplier_org_id = sscn.current_org_id() " \
	"  AND a.nda_version = r.nda_version) END"

/* A whole RFQ: the summary, then what only GET /rfqs/{id} shows. */
#define RFQ_DETAIL_COLUMNS \
	RFQ_SUMMARY_COLUMNS ", r.description_md, r.awarded_at, " \
	"r.awarded_quote_id, r.cancelled_at, r.cancel_reason, r.created_by, " \
	"r.updated_at, r.version"

/*
 * The sort key of a list.  Drafts have no deadline yet and sort after
 * every dated RFQ.
 */
#define RFQ_KEY_CREATED(a)	a ".created_at"
#define RFQ_KEY_DEADLINE(a) \
	"coalesce(" a ".quote_deadline, 'infinity'::timestamptz)"

/*
 * One page of RFQs: $1 effective status or NULL, $2 only the caller's own
 * (created by the user, or for a supplier invited), $3 the cursor (the
 * last id of the previous page) or NULL, $4 the number of rows.  A cursor
 * that names no visible RFQ gives an empty page.
 */
#define RFQ_LIST(key, cmp, dir) \
	"SELECT " RFQ_SUMMARY_COLUMNS " FROM sscn.rfqs r" \
	" WHERE ($1::text IS NULL OR " \
	"  sscn.rfq_effective_status(r.status, r.quote_deadline) = $1) " \
	"AND (NOT $2::boolean OR r.created_by = sscn.current_user_id() OR " \
	"  EXISTS (SELECT 1 FROM sscn.rfq_invitations i " \
	"    WHERE i.rfq_id = r.id " \
	"    AND i.supplier_org_id = sscn.current_org_id())) " \
	"AND ($3::uuid IS NULL OR (" key("r") ", r.id) " cmp " (" \
	"  SELECT " key("c") ", c.id FROM sscn.rfqs c WHERE c.id = $3::uuid)) " \
	"ORDER BY " key("r") " " dir ", r.id " dir " LIMIT $4::int"

/* Column values of a change: set when the key is present, NULL clears. */
#define RFQ_SET_TEXT(col, key) \
	col " = CASE WHEN f ? '" key "' THEN f->>'" key "' ELSE r." col " END"
#define RFQ_SET_CAST(col, key, type) \
	col " = CASE WHEN f ? '" key "' THEN (f->>'" key "')::" type \
	" ELSE r." col " END"

const struct db_statement rfq_statements[] = {
	{ "rfq_exists",
	  "SELECT 1 FROM sscn.rfqs WHERE id = $1::uuid",
	  1, true },

	/* $1 id, $2 creating user, $3 the fields as JSON. */
	{ "rfq_insert",
	  "WITH r AS (INSERT INTO sscn.rfqs (id, buyer_org_id, title, "
	  "  description_md, category, quantity, unit, currency, "
	  "  delivery_country, need_by, quote_deadline, visibility, "
	  "  nda_required, sealed, created_by) "
	  "SELECT $1::uuid, sscn.current_org_id(), f->>'title', "
	  "  coalesce(f->>'description', ''), f->>'category', "
	  "  (f->>'quantity')::numeric, f->>'unit', f->>'currency', "
	  "  f->>'delivery_country', (f->>'need_by')::date, "
	  "  (f->>'quote_deadline')::timestamptz, "
	  "  coalesce(f->>'visibility', 'public'), "
	  "  coalesce((f->>'nda_required')::boolean, false), "
	  "  coalesce((f->>'sealed')::boolean, false), $2::uuid "
	  "FROM (SELECT $3::jsonb AS f) AS body RETURNING *) "
	  "SELECT " RFQ_DETAIL_COLUMNS " FROM r",
	  3, false },

	{ "rfq_select",
	  "SELECT " RFQ_DETAIL_COLUMNS " FROM sscn.rfqs r"
	  " WHERE r.id = $1::uuid",
	  1, true },

	{ "rfq_list_created_desc", RFQ_LIST(RFQ_KEY_CREATED, "<", "DESC"),
	  4, true },
	{ "rfq_list_created_asc", RFQ_LIST(RFQ_KEY_CREATED, ">", "ASC"),
	  4, true },
	{ "rfq_list_deadline_desc", RFQ_LIST(RFQ_KEY_DEADLINE, "<", "DESC"),
	  4, true },
	{ "rfq_list_deadline_asc", RFQ_LIST(RFQ_KEY_DEADLINE, ">", "ASC"),
	  4, true },

	/*
	 * The buyer's RFQ, locked for a change: stored and effective status,
	 * version, need_by, the deadline in Unix time, the number of
	 * invitations and whether each field that publishing needs is set.
	 */
	{ "rfq_lock",
	  "SELECT r.status, sscn.rfq_effective_status(r.status, "
	  "  r.quote_deadline), r.version, to_char(r.need_by, 'YYYY-MM-DD'), "
	  "  extract(epoch FROM r.quote_deadline)::bigint, r.visibility, "
	  "  (SELECT count(*) FROM sscn.rfq_invitations i "
	  "    WHERE i.rfq_id = r.id), "
	  "  r.category IS NOT NULL, r.quantity IS NOT NULL, "
	  "  r.unit IS NOT NULL, r.currency IS NOT NULL, "
	  "  r.delivery_country IS NOT NULL, r.title "
	  "FROM sscn.rfqs r WHERE r.id = $1::uuid "
	  "AND r.buyer_org_id = sscn.current_org_id() FOR UPDATE",
	  1, false },

	/* A published RFQ past its deadline is written down as closed then. */
	{ "rfq_close_at_deadline",
	  "UPDATE sscn.rfqs SET status = 'closed', closed_at = quote_deadline, "
	  "updated_at = now(), version = version + 1 "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND status = 'published' AND quote_deadline <= now() RETURNING 1",
	  1, false },

	/*
	 * $1 id, $2 the changed fields as JSON.  The last column is true
	 * when the terms that quotes respond to (quantity, unit, currency,
	 * description) changed.  "old" reads the row as it was before.
	 */
	{ "rfq_update",
	  "WITH old AS (SELECT quantity, unit, currency, description_md "
	  "  FROM sscn.rfqs WHERE id = $1::uuid), "
	  "r AS (UPDATE sscn.rfqs r SET "
	  RFQ_SET_TEXT("title", "title") ", "
	  "description_md = CASE WHEN f ? 'description' THEN "
	  "  coalesce(f->>'description', '') ELSE r.description_md END, "
	  RFQ_SET_TEXT("category", "category") ", "
	  RFQ_SET_CAST("quantity", "quantity", "numeric") ", "
	  RFQ_SET_TEXT("unit", "unit") ", "
	  RFQ_SET_TEXT("currency", "currency") ", "
	  RFQ_SET_TEXT("delivery_country", "delivery_country") ", "
	  RFQ_SET_CAST("need_by", "need_by", "date") ", "
	  RFQ_SET_CAST("quote_deadline", "quote_deadline", "timestamptz") ", "
	  RFQ_SET_TEXT("visibility", "visibility") ", "
	  RFQ_SET_CAST("nda_required", "nda_required", "boolean") ", "
	  RFQ_SET_CAST("sealed", "sealed", "boolean") ", "
	  "version = r.version + 1, updated_at = now() "
	  "FROM (SELECT $2::jsonb AS f) AS body "
	  "WHERE r.id = $1::uuid AND r.buyer_org_id = sscn.current_org_id() "
	  "RETURNING r.*) "
	  "SELECT " RFQ_DETAIL_COLUMNS ", (r.quantity, r.unit, r.currency, "
	  "  r.description_md) IS DISTINCT FROM (old.quantity, old.unit, "
	  "  old.currency, old.description_md) "
	  "FROM r CROSS JOIN old",
	  2, false },

	/* Publish a draft, pinning the current NDA version when it needs one. */
	{ "rfq_publish",
	  "UPDATE sscn.rfqs SET status = 'published', published_at = now(), "
	  "nda_version = CASE WHEN nda_required THEN (SELECT d.version "
	  "  FROM sscn.legal_documents d WHERE d.kind = 'nda' "
	  "  ORDER BY d.published_at DESC LIMIT 1) END, "
	  "updated_at = now(), version = version + 1 "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND status = 'draft' RETURNING coalesce(nda_version, '')",
	  1, false },
	{ "rfq_close",
	  "UPDATE sscn.rfqs SET status = 'closed', closed_at = now(), "
	  "updated_at = now(), version = version + 1 "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND status = 'published' AND quote_deadline > now() RETURNING 1",
	  1, false },
	/* $1 id, $2 reason. */
	{ "rfq_cancel",
	  "UPDATE sscn.rfqs SET status = 'cancelled', cancelled_at = now(), "
	  "cancel_reason = $2, updated_at = now(), version = version + 1 "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND status IN ('draft', 'published', 'closed') RETURNING 1",
	  2, false },
	/* $1 id, $2 'needs_reconfirmation' or 'rejected'. */
	{ "rfq_move_quotes",
	  "SELECT sscn.rfq_move_quotes($1::uuid, $2)",
	  2, false },
	/* $1 id, $2 only these supplier organizations, or NULL for all. */
	{ "rfq_supplier_contacts",
	  "SELECT user_id::text, email, full_name, organization_id::text "
	  "FROM sscn.rfq_supplier_contacts($1::uuid, $2::uuid[])",
	  2, false },

	/* ---- invitations ---- */

	/* Which of the ids in $1 are supplier organizations. */
	{ "rfq_supplier_orgs",
	  "SELECT id::text FROM sscn.organizations "
	  "WHERE id = ANY ($1::uuid[]) AND kind = 'supplier'",
	  1, false },
	/* $1 RFQ, $2 supplier organizations, $3 inviting user. */
	{ "rfq_invite",
	  "INSERT INTO sscn.rfq_invitations (rfq_id, buyer_org_id, "
	  "supplier_org_id, invited_by) "
	  "SELECT r.id, r.buyer_org_id, s.id, $3::uuid "
	  "FROM sscn.rfqs r, sscn.organizations s "
	  "WHERE r.id = $1::uuid AND r.buyer_org_id = sscn.current_org_id() "
	  "AND s.id = ANY ($2::uuid[]) AND s.kind = 'supplier' "
	  "ON CONFLICT DO NOTHING RETURNING supplier_org_id::text",
	  3, false },
	{ "rfq_invitations",
	  "SELECT i.supplier_org_id::text, o.name, " RFQ_TIME("i.invited_at")
	  ", i.response, i.invited_by::text "
	  "FROM sscn.rfq_invitations i "
	  "LEFT JOIN sscn.organizations o ON o.id = i.supplier_org_id "
	  "WHERE i.rfq_id = $1::uuid "
	  "AND i.buyer_org_id = sscn.current_org_id() "
	  "ORDER BY i.invited_at, i.supplier_org_id",
	  1, false },
	{ "rfq_owned",
	  "SELECT 1 FROM sscn.rfqs WHERE id = $1::uuid "
	  "AND buyer_org_id = sscn.current_org_id()",
	  1, true },

	/* ---- NDA ---- */

	/*
	 * What an acceptance needs: whether the RFQ requires an NDA and its
	 * pinned version, for an RFQ the caller can see.
	 */
	{ "rfq_nda_target",
	  "SELECT r.nda_required, coalesce(r.nda_version, '') "
	  "FROM sscn.rfqs r WHERE r.id = $1::uuid",
	  1, false },
	/*
	 * Record an acceptance of version $2 by the caller's organization,
	 * with the SHA-256 of that exact text, or return the one already
	 * recorded: $1 RFQ, $2 version, $3 address ciphertext, $4 user agent.  The last
	 * column is true for a new row.  The outer SELECT reads the snapshot
	 * before the insert, so it finds only an earlier acceptance.
	 */
	{ "rfq_nda_accept",
	  "WITH ins AS (INSERT INTO sscn.nda_acceptances (rfq_id, "
	  "  buyer_org_id, supplier_org_id, user_id, nda_version, nda_sha256, "
	  "  address, user_agent) "
	  "SELECT r.id, r.buyer_org_id, sscn.current_org_id(), "
	  "  sscn.current_user_id(), r.nda_version, "
	  "  sha256(convert_to(d.body, 'UTF8')), $3::bytea, $4 "
	  "FROM sscn.rfqs r JOIN sscn.legal_documents d "
	  "  ON d.kind = 'nda' AND d.version = r.nda_version "
	  "WHERE r.id = $1::uuid AND r.nda_required AND r.nda_version = $2 "
	  "ON CONFLICT DO NOTHING "
	  "RETURNING user_id, nda_version, nda_sha256, accepted_at) "
	  "SELECT user_id::text, nda_version, encode(nda_sha256, 'hex'), "
	  "  " RFQ_TIME("accepted_at") ", true FROM ins "
	  "UNION ALL "
	  "SELECT a.user_id::text, a.nda_version, encode(a.nda_sha256, 'hex'), "
	  "  " RFQ_TIME("a.accepted_at") ", false "
	  "FROM sscn.nda_acceptances a WHERE a.rfq_id = $1::uuid "
	  "AND a.supplier_org_id = sscn.current_org_id() "
	  "AND a.nda_version = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
	  4, false },
	{ "rfq_nda_acceptances",
	  "SELECT a.supplier_org_id::text, o.name, a.user_id::text, "
	  "u.full_name, a.nda_version, encode(a.nda_sha256, 'hex'), "
	  RFQ_TIME("a.accepted_at") " "
	  "FROM sscn.nda_acceptances a "
	  "LEFT JOIN sscn.organizations o ON o.id = a.supplier_org_id "
	  "LEFT JOIN sscn.users u ON u.id = a.user_id "
	  "WHERE a.rfq_id = $1::uuid AND a.buyer_org_id = sscn.current_org_id() "
	  "ORDER BY a.accepted_at, a.supplier_org_id",
	  1, false },
};

const size_t rfq_nstatements =
    sizeof(rfq_statements) / sizeof(rfq_statements[0]);
