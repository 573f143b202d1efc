/*
 * supplier_statements.c - statements of the category list, supplier
 * profiles, certifications and the supplier directory.
 *
 * Every statement runs as the runtime role inside the request's
 * transaction, so row-level security decides what a caller reads and
 * writes.  The handlers' own checks come on top.  Lists and arrays travel
 * as JSON text parameters and are unpacked here, so no SQL text is ever
 * built from input.
 */
#include "config.h"

#include "sscn.h"

#define SUPPLIER_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * The columns of a directory entry: id, name, country, categories and
 * regions (JSON arrays of codes), website and updated_at.
 */
#define SUPPLIER_ENTRY_COLUMNS \
	"SELECT o.id, o.name, o.country, to_json(p.categories), " \
	"  to_json(p.regions), p.website, " SUPPLIER_TIME("p.updated_at")

/*
 * Directory filters: parameter number "cat" a category code and "country"
 * a country code, each NULL for no filter.
 */
#define SUPPLIER_ENTRY_FILTERS(cat, country) \
	"  AND ($" cat "::text IS NULL OR " \
	"    p.categories @> ARRAY[$" cat "::text]) " \
	"  AND ($" country "::text IS NULL OR o.country = $" country "::text) "

const struct db_statement supplier_statements[] = {
	{ "category_list",
	  "SELECT code, name FROM sscn.categories ORDER BY position",
	  0, true },

	/*
	 * One supplier organization with its profile, which may not exist
	 * yet: name, country, description_md, description_html, categories
	 * ([{code, name}] in list order), regions, capacities, identifiers,
	 * website, certifications, updated_at (NULL without a profile) and
	 * the id.  A certification whose valid_until has passed reads as
	 * expired.
	 */
	{ "supplier_get",
	  "SELECT o.name, o.country, coalesce(p.description_md, ''), "
	  "  coalesce(p.description_html, ''), "
	  "  (SELECT coalesce(json_agg(json_build_object('code', c.code, "
	  "     'name', c.name) ORDER BY c.position), '[]') "
	  "   FROM sscn.categories c WHERE c.code = ANY (p.categories)), "
	  "  to_json(coalesce(p.regions, '{}')), "
	  "  coalesce(p.capacities, '[]'), coalesce(p.identifiers, '[]'), "
	  "  p.website, "
	  "  (SELECT coalesce(json_agg(json_build_object('id', ct.id, "
	  "     'scheme', ct.scheme, 'certificate_no', ct.certificate_no, "
	  "     'issuer', ct.issuer, 'valid_from', ct.valid_from, "
	  "     'valid_until', ct.valid_until, 'document_id', ct.document_id, "
	  "     'status', CASE WHEN ct.valid_until < current_date "
	  "       THEN 'expired' ELSE ct.status END, "
	  "     'verified_at', " SUPPLIER_TIME("ct.verified_at") ") "
	  "     ORDER BY ct.valid_until DESC, ct.id), '[]') "
	  "   FROM sscn.certifications ct WHERE ct.organization_id = o.id), "
	  "  " SUPPLIER_TIME("p.updated_at") ", o.id "
	  "FROM sscn.organizations o "
	  "LEFT JOIN sscn.supplier_profiles p ON p.organization_id = o.id "
	  "WHERE o.id = $1::uuid AND o.kind = 'supplier'",
	  1, true },

	/*
	 * Insert or update the profile of $1.  A NULL parameter keeps the
	 * stored value (or the default of a new profile): $2 description_md,
	 * $3 description_html, $4 categories and $5 regions (JSON arrays of
	 * codes), $6 capacities, $7 identifiers; $8 true sets website to $9
	 * (NULL removes it).  Returns whether the profile is new, then for
	 * description, categories, regions, capacities, identifiers and
	 * website whether the value changed.  Both CTEs see the snapshot
	 * from before the statement, so "prior" contains the old values.
	 */
	{ "supplier_profile_upsert",
	  "WITH prior AS ("
	  "  SELECT description_md, categories, regions, capacities, "
	  "    identifiers, website FROM sscn.supplier_profiles "
	  "  WHERE organization_id = $1::uuid), "
	  "saved AS ("
	  "  INSERT INTO sscn.supplier_profiles AS p (organization_id, "
	  "    description_md, description_html, categories, regions, "
	  "    capacities, identifiers, website) "
	  "  VALUES ($1::uuid, coalesce($2, ''), coalesce($3, ''), "
	  "    coalesce(ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
	  "      '{}'), "
	  "    coalesce(ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), "
	  "      '{}'), "
	  "    coalesce($6::jsonb, '[]'), coalesce($7::jsonb, '[]'), "
	  "    CASE WHEN $8::boolean THEN $9 END) "
	  "  ON CONFLICT (organization_id) DO UPDATE SET "
	  "    description_md = coalesce($2, p.description_md), "
	  "    description_html = coalesce($3, p.description_html), "
	  "    categories = CASE WHEN $4 IS NULL THEN p.categories ELSE "
	  "      ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END, "
	  "    regions = CASE WHEN $5 IS NULL THEN p.regions ELSE "
	  "      ARRAY(SELECT jsonb_array_elements_text($5::jsonb)) END, "
	  "    capacities = coalesce($6::jsonb, p.capacities), "
	  "    identifiers = coalesce($7::jsonb, p.identifiers), "
	  "    website = CASE WHEN $8::boolean THEN $9 ELSE p.website END "
	  "  RETURNING description_md, categories, regions, capacities, "
	  "    identifiers, website) "
	  "SELECT NOT EXISTS (SELECT 1 FROM prior), "
	  "  saved.description_md IS DISTINCT FROM prior.description_md, "
	  "  saved.categories IS DISTINCT FROM prior.categories, "
	  "  saved.regions IS DISTINCT FROM prior.regions, "
	  "  saved.capacities IS DISTINCT FROM prior.capacities, "
	  "  saved.identifiers IS DISTINCT FROM prior.identifiers, "
	  "  saved.website IS DISTINCT FROM prior.website "
	  "FROM saved LEFT JOIN prior ON true",
	  9, false },

	/* The ids of the certifications of organization $1. */
	{ "supplier_certification_ids",
	  "SELECT id FROM sscn.certifications WHERE organization_id = $1::uuid",
	  1, true },

	/*
	 * Of the ids in the JSON array $1, those of documents of
	 * organization $2 uploaded as certificates.
	 */
	{ "supplier_certificate_documents",
	  "SELECT id FROM sscn.documents "
	  "WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid) "
	  "  AND organization_id = $2::uuid AND purpose = 'certificate'",
	  2, true },

	/*
	 * Make the certifications of organization $1 the JSON array $2
	 * ([{id, scheme, certificate_no, issuer, valid_from, valid_until,
	 * document_id}], every id new or one of supplier_certification_ids)
	 * as user $3: delete those left out, insert the new ones and update
	 * those whose content differs.  Returns the number deleted, inserted
	 * and updated.
	 */
	{ "supplier_certifications_replace",
	  "WITH input AS ("
	  "  SELECT * FROM jsonb_to_recordset($2::jsonb) AS c(id uuid, "
	  "    scheme text, certificate_no text, issuer text, valid_from date, "
	  "    valid_until date, document_id uuid)), "
	  "removed AS ("
	  "  DELETE FROM sscn.certifications "
	  "  WHERE organization_id = $1::uuid "
	  "    AND id NOT IN (SELECT id FROM input) RETURNING id), "
	  "written AS ("
	  "  INSERT INTO sscn.certifications AS ct (id, organization_id, "
	  "    scheme, certificate_no, issuer, valid_from, valid_until, "
	  "    document_id, created_by) "
	  "  SELECT id, $1::uuid, scheme, certificate_no, issuer, valid_from, "
	  "    valid_until, document_id, $3::uuid FROM input "
	  "  ON CONFLICT (id) DO UPDATE SET scheme = EXCLUDED.scheme, "
	  "    certificate_no = EXCLUDED.certificate_no, "
	  "    issuer = EXCLUDED.issuer, valid_from = EXCLUDED.valid_from, "
	  "    valid_until = EXCLUDED.valid_until, "
	  "    document_id = EXCLUDED.document_id, updated_at = now() "
	  "  WHERE (ct.scheme, ct.certificate_no, ct.issuer, ct.valid_from, "
	  "    ct.valid_until, ct.document_id) IS DISTINCT FROM "
	  "    (EXCLUDED.scheme, EXCLUDED.certificate_no, EXCLUDED.issuer, "
	  "    EXCLUDED.valid_from, EXCLUDED.valid_until, "
	  "    EXCLUDED.document_id) "
	  "  RETURNING xmax = 0 AS inserted) "
	  "SELECT (SELECT count(*) FROM removed), "
	  "  (SELECT count(*) FROM written WHERE inserted), "
	  "  (SELECT count(*) FROM written WHERE NOT inserted)",
	  3, false },

	/*
	 * Directory search: profiles matching the websearch query $1,
	 * ranked by ts_rank_cd, ties by id, filtered by category $2 and
	 * country $3.  $4 and $5 are the rank and id of the last entry of
	 * the previous page (both NULL for the first), $6 the number of
	 * rows.  Adds the rank as the last column.  The function finds the
	 * page with the GIN index, and sql/0004_sourcing.sql says why it
	 * must run as the owner.  The rows themselves are read here under
	 * row-level security.
	 */
	{ "supplier_search",
	  SUPPLIER_ENTRY_COLUMNS ", s.rank::text "
	  "FROM sscn.supplier_search_page($1, $2, $3, $4::real, $5::uuid, "
	  "  $6::int) s "
	  "JOIN sscn.supplier_profiles p ON p.organization_id = s.organization_id "
	  "JOIN sscn.organizations o ON o.id = s.organization_id "
	  "ORDER BY s.rank DESC, s.organization_id",
	  6, true },

	/*
	 * The directory by name, ties by id: $1 category and $2 country
	 * filters, $3 the id of the last entry of the previous page (NULL
	 * for the first), $4 the number of rows.  The page goes on after the
	 * current name of supplier $3, because a name of up to 200
	 * characters does not fit into a cursor.
	 * NOTE: when supplier $3 was deleted meanwhile, the page is empty.
	 */
	{ "supplier_list",
	  SUPPLIER_ENTRY_COLUMNS " "
	  "FROM sscn.supplier_profiles p "
	  "JOIN sscn.organizations o ON o.id = p.organization_id "
	  "WHERE o.kind = 'supplier' " SUPPLIER_ENTRY_FILTERS("1", "2")
	  "  AND ($3::uuid IS NULL OR (o.name, o.id) > "
	  "    (SELECT c.name, c.id FROM sscn.organizations c "
	  "     WHERE c.id = $3::uuid)) "
	  "ORDER BY o.name, o.id LIMIT $4::int",
	  4, true },

	/*
	 * supplier_list restricted to the profiles that match the websearch
	 * query $1: $2 category, $3 country, $4 cursor id, $5 rows.
	 */
	{ "supplier_search_by_name",
	  SUPPLIER_ENTRY_COLUMNS " "
	  "FROM sscn.supplier_profiles p "
	  "JOIN sscn.organizations o ON o.id = p.organization_id "
	  "WHERE p.search @@ (SELECT websearch_to_tsquery('simple', $1)) "
	  "  AND o.kind = 'supplier' " SUPPLIER_ENTRY_FILTERS("2", "3")
	  "  AND ($4::uuid IS NULL OR (o.name, o.id) > "
	  "    (SELECT c.name, c.id FROM sscn.organizations c "
	  "     WHERE c.id = $4::uuid)) "
	  "ORDER BY o.name, o.id LIMIT $5::int",
	  5, true },
};

const size_t supplier_nstatements =
    sizeof(supplier_statements) / sizeof(supplier_statements[0]);
