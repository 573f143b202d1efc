/*
 * quote_statements.c - statements of quotes, their revisions and the
 * message threads of an RFQ.
 *
 * Row-level security decides what each caller reads and changes.  A
 * supplier reaches only its own quotes and its own thread.  A buyer
 * reaches the quotes of its RFQs (those of a sealed RFQ once it has
 * closed) and every thread of them.  The statements add the caller's organization to their
 * conditions on top of that, never in place of it.
 */
#include "config.h"

#include "sscn.h"

/* RFC 3339 in UTC, to the second. */
#define QUOTE_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Microseconds since the epoch: the exact time part of a list cursor. */
#define QUOTE_MICROS(col) \
	"((extract(epoch FROM " col ") * 1000000)::numeric(20, 0))::text"

/* The inverse of QUOTE_MICROS for the parameter "param". */
#define QUOTE_FROM_MICROS(param) \
	"(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

/* Today's date in UTC, the calendar of valid_until. */
#define QUOTE_TODAY "(now() AT TIME ZONE 'UTC')::date"

/*
 * A quote with its current revision, in the column order of enum
 * quote_column (quotes.h).  The RFQ is joined on the left: a quote stays
 * readable to its supplier even where the RFQ is not.
 */
#define QUOTE_COLUMNS \
	"q.id::text, q.rfq_id::text, q.supplier_org_id::text, " \
	"  o.name, " \
	"  CASE WHEN q.status IN ('submitted', 'needs_reconfirmation') " \
	"    AND v.valid_until < " QUOTE_TODAY " THEN 'expired' " \
	"    ELSE q.status END, " \
	"  q.current_revision, v.unit_price::text, v.currency, " \
	"  v.lead_time_days, to_char(v.valid_until, 'YYYY-MM-DD'), v.notes, " \
	"  " QUOTE_TS("q.submitted_at") ", " QUOTE_TS("v.created_at") ", " \
	"  " QUOTE_TS("q.withdrawn_at") ", " QUOTE_TS("q.decided_at") ", " \
	"  NOT (q.status IN ('submitted', 'needs_reconfirmation') AND " \
	"    coalesce(sscn.rfq_effective_status(r.status, r.quote_deadline) " \
	"      = 'published', false)), " \
	"  " QUOTE_MICROS("q.submitted_at") ", q.status, r.currency, " \
	"  q.buyer_org_id::text, " \
	"  coalesce(sscn.rfq_effective_status(r.status, r.quote_deadline), ''), " \
	"  v.valid_until < " QUOTE_TODAY " "
#define QUOTE_JOINS \
	"LEFT JOIN sscn.organizations o ON o.id = q.supplier_org_id " \
	"LEFT JOIN sscn.rfqs r ON r.id = q.rfq_id "
#define QUOTE_SELECT \
	"SELECT " QUOTE_COLUMNS \
	"FROM sscn.quotes q " \
	"JOIN sscn.quote_revisions v ON v.quote_id = q.id " \
	"  AND v.revision = q.current_revision " \
	QUOTE_JOINS

const struct db_statement quote_statements[] = {
	/*
	 * The RFQ as the caller sees it: its buyer, effective status,
	 * currency, whether the caller's organization still has to accept
	 * the pinned NDA version (meaningful for suppliers only), title and
	 * visibility.
	 */
	{ "quote_rfq_access",
	  "SELECT r.buyer_org_id::text, "
	  "sscn.rfq_effective_status(r.status, r.quote_deadline), "
	  "coalesce(r.currency, ''), "
	  "r.nda_required AND NOT EXISTS (SELECT 1 FROM sscn.nda_acceptances a "
	  "  WHERE a.rfq_id = r.id AND a.supplier_org_id = sscn.current_org_id() "
	  "  AND a.nda_version = r.nda_version), "
	  "r.title, r.visibility "
	  "FROM sscn.rfqs r WHERE r.id = $1::uuid",
	  1, false },

	/* ---- quotes ---- */
	/*
	 * Submit a quote: the quote, its first revision and the invitation's
	 * response in one statement.  It returns the quote as quote_select
	 * reads it, built from the rows it wrote.  The revision's foreign keys
	 * see the new quote, because they are checked at the end of the
	 * statement, but its SELECT policy does not, so a RETURNING clause on
	 * the revision would fail.  "v" therefore repeats the values with the
	 * column types.  Parameters: quote id, RFQ id, buyer organization,
	 * supplier organization, then the revision's unit price, currency,
	 * lead time, validity, notes and author.
	 */
	{ "quote_submit",
	  "WITH q AS ("
	  "  INSERT INTO sscn.quotes (id, rfq_id, buyer_org_id, "
	  "    supplier_org_id)"
	  "  VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid) RETURNING *), "
	  "v AS ("
	  "  SELECT $5::numeric(18, 4) AS unit_price, $6::text AS currency, "
	  "    $7::int AS lead_time_days, $8::date AS valid_until, "
	  "    $9::text AS notes, now() AS created_at), "
	  "revision AS ("
	  "  INSERT INTO sscn.quote_revisions (quote_id, buyer_org_id, "
	  "    supplier_org_id, revision, unit_price, currency, "
	  "    lead_time_days, valid_until, notes, created_by)"
	  "  SELECT $1::uuid, $3::uuid, $4::uuid, 1, v.unit_price, "
	  "    v.currency, v.lead_time_days, v.valid_until, v.notes, "
	  "    $10::uuid FROM v), "
	  "invited AS ("
	  "  UPDATE sscn.rfq_invitations SET response = 'quoted'"
	  "  WHERE rfq_id = $2::uuid AND supplier_org_id = $4::uuid) "
	  "SELECT " QUOTE_COLUMNS "FROM q CROSS JOIN v " QUOTE_JOINS,
	  10, false },
	{ "quote_revision_insert",
	  "INSERT INTO sscn.quote_revisions (quote_id, buyer_org_id, "
	  "supplier_org_id, revision, unit_price, currency, lead_time_days, "
	  "valid_until, notes, created_by) VALUES ($1::uuid, $2::uuid, "
	  "$3::uuid, $4::int, $5::numeric, $6, $7::int, $8::date, $9, "
	  "$10::uuid)",
	  10, false },
	{ "quote_select",
	  QUOTE_SELECT "WHERE q.id = $1::uuid",
	  1, false },
	/*
	 * One page of an RFQ's quotes after the cursor ($2 microseconds, $3
	 * id), for a supplier ($5) only its own.
	 */
	{ "quote_list",
	  QUOTE_SELECT "WHERE q.rfq_id = $1::uuid "
	  "AND ($2::text IS NULL OR (q.submitted_at, q.id) > "
	  "  (" QUOTE_FROM_MICROS("$2") ", $3::uuid)) "
	  "AND ($5::uuid IS NULL OR q.supplier_org_id = $5::uuid) "
	  "ORDER BY q.submitted_at, q.id LIMIT $4::int",
	  5, false },
	{ "quote_revisions",
	  "SELECT revision, unit_price::text, currency, lead_time_days, "
	  "to_char(valid_until, 'YYYY-MM-DD'), notes, "
	  QUOTE_TS("created_at") " FROM sscn.quote_revisions "
	  "WHERE quote_id = $1::uuid ORDER BY revision",
	  1, false },
	/*
	 * A new revision number, only while the quote is open and its RFQ
	 * takes quotes; $2 is the revision the caller read, so two revisions
	 * at once cannot both build on it.
	 */
	{ "quote_revise",
	  "UPDATE sscn.quotes q SET current_revision = current_revision + 1, "
	  "status = 'submitted' WHERE q.id = $1::uuid "
	  "AND q.supplier_org_id = sscn.current_org_id() "
	  "AND q.current_revision = $2::int "
	  "AND q.status IN ('submitted', 'needs_reconfirmation') "
	  "AND EXISTS (SELECT 1 FROM sscn.rfqs r WHERE r.id = q.rfq_id AND "
	  "  sscn.rfq_effective_status(r.status, r.quote_deadline) = "
	  "  'published') "
	  "RETURNING current_revision",
	  2, false },
	{ "quote_withdraw",
	  "UPDATE sscn.quotes q SET status = 'withdrawn', withdrawn_at = now() "
	  "WHERE q.id = $1::uuid AND q.supplier_org_id = sscn.current_org_id() "
	  "AND q.status IN ('submitted', 'needs_reconfirmation') "
	  "AND EXISTS (SELECT 1 FROM sscn.rfqs r WHERE r.id = q.rfq_id AND "
	  "  sscn.rfq_effective_status(r.status, r.quote_deadline) = "
	  "  'published') "
	  "RETURNING 1",
	  1, false },

	/* ---- award ---- */
	/*
	 * The quote to award with its RFQ locked, so that no second award,
	 * close or cancel runs at once: the RFQ id, the quote's status,
	 * whether its valid_until has passed, the RFQ's effective status and
	 * title.  Only the RFQ's buyer gets a row.
	 */
	{ "quote_award_lock",
	  "SELECT q.rfq_id::text, q.status, v.valid_until < " QUOTE_TODAY ", "
	  "sscn.rfq_effective_status(r.status, r.quote_deadline), r.title "
	  "FROM sscn.quotes q JOIN sscn.rfqs r ON r.id = q.rfq_id "
	  "JOIN sscn.quote_revisions v ON v.quote_id = q.id "
	  "  AND v.revision = q.current_revision "
	  "WHERE q.id = $1::uuid AND r.buyer_org_id = sscn.current_org_id() "
	  "FOR UPDATE OF r, q",
	  1, false },
	{ "quote_award",
	  "UPDATE sscn.quotes SET status = 'awarded', decided_at = now() "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND status = 'submitted' RETURNING supplier_org_id::text",
	  1, false },
	{ "quote_reject_others",
	  "UPDATE sscn.quotes SET status = 'rejected', decided_at = now() "
	  "WHERE rfq_id = $1::uuid AND id <> $2::uuid "
	  "AND buyer_org_id = sscn.current_org_id() "
	  "AND status IN ('submitted', 'needs_reconfirmation') "
	  "RETURNING id::text, supplier_org_id::text",
	  2, false },
	/*
	 * An RFQ that closed at its deadline has no closed_at yet; the
	 * deadline is when it closed.
	 */
	{ "quote_rfq_award",
	  "UPDATE sscn.rfqs SET status = 'awarded', awarded_quote_id = $2::uuid, "
	  "awarded_at = now(), "
	  "closed_at = coalesce(closed_at, least(quote_deadline, now())), "
	  "version = version + 1, updated_at = now() "
	  "WHERE id = $1::uuid AND buyer_org_id = sscn.current_org_id() "
	  "AND sscn.rfq_effective_status(status, quote_deadline) = 'closed' "
	  "RETURNING version",
	  2, false },
	{ "quote_award_recipients",
	  "SELECT supplier_org_id::text, user_id::text, email, awarded "
	  "FROM sscn.quote_award_recipients($1::uuid)",
	  1, false },

	/* ---- messages ---- */
	/*
	 * Whether the buyer may open or continue the thread of organization
	 * $2 on RFQ $1: a supplier organization that can see the RFQ (public,
	 * or invited) or that already wrote in it.
	 */
	{ "message_thread_open",
	  "SELECT EXISTS (SELECT 1 FROM sscn.organizations o "
	  "  WHERE o.id = $2::uuid AND o.kind = 'supplier') "
	  "AND (r.visibility = 'public' OR EXISTS (SELECT 1 "
	  "  FROM sscn.rfq_invitations i WHERE i.rfq_id = r.id "
	  "  AND i.supplier_org_id = $2::uuid) OR EXISTS (SELECT 1 "
	  "  FROM sscn.messages m WHERE m.rfq_id = r.id "
	  "  AND m.supplier_org_id = $2::uuid)) "
	  "FROM sscn.rfqs r WHERE r.id = $1::uuid "
	  "AND r.buyer_org_id = sscn.current_org_id()",
	  2, false },
	{ "message_insert",
	  "INSERT INTO sscn.messages (id, rfq_id, buyer_org_id, "
	  "supplier_org_id, author_id, author_org_id, body) VALUES ($1::uuid, "
	  "$2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7) "
	  "RETURNING " QUOTE_TS("created_at"),
	  7, false },
	/*
	 * One page of the threads of RFQ $1 after the cursor ($3
	 * microseconds, $4 id), of one supplier organization when $2 is set.
	 * The columns follow enum message_column (quotes.h).
	 */
	{ "message_list",
	  "SELECT m.id::text, m.supplier_org_id::text, o.name, "
	  "m.author_id::text, u.full_name, "
	  "CASE WHEN m.author_org_id = m.buyer_org_id THEN 'buyer' "
	  "  ELSE 'supplier' END, m.body, " QUOTE_TS("m.created_at") ", "
	  QUOTE_MICROS("m.created_at") " "
	  "FROM sscn.messages m "
	  "LEFT JOIN sscn.organizations o ON o.id = m.supplier_org_id "
	  "LEFT JOIN sscn.users u ON u.id = m.author_id "
	  "WHERE m.rfq_id = $1::uuid "
	  "AND ($2::uuid IS NULL OR m.supplier_org_id = $2::uuid) "
	  "AND ($3::text IS NULL OR (m.created_at, m.id) > "
	  "  (" QUOTE_FROM_MICROS("$3") ", $4::uuid)) "
	  "ORDER BY m.created_at, m.id LIMIT $5::int",
	  5, false },
};

const size_t quote_nstatements =
    sizeof(quote_statements) / sizeof(quote_statements[0]);
