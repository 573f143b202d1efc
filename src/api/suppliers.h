/*
 * suppliers.h - handlers of the category list, supplier profiles, certifications and the supplier directory.
 */
#ifndef SSCN_API_SUPPLIERS_H
#define SSCN_API_SUPPLIERS_H

#include <stdbool.h>

#include "sscn.h"

struct http_request;
struct json_object;

/* GET /api/v1/categories, no authentication. */
enum sscn_err	supplier_categories(struct http_request *);

/* GET /api/v1/suppliers: the directory, for logged-in users. */
enum sscn_err	supplier_directory(struct http_request *);

/* GET /api/v1/suppliers/{org_id}, for logged-in users. */
enum sscn_err	supplier_get(struct http_request *);

/* PUT /api/v1/suppliers/{org_id}/profile, for its owners and admins. */
enum sscn_err	supplier_profile_put(struct http_request *);

/*
 * Read supplier "org_id" in the open transaction and return its JSON
 * (caller puts it), or NULL with "*err" set: SSCN_ERR_NOT_FOUND for an
 * unknown or buyer organization.  Shared by GET and PUT.
 */
struct json_object *supplier_read(struct http_request *, const char *org_id,
	    enum sscn_err *err);

/* Size of a field name such as "certifications[49].document_id". */
#define SUPPLIER_FIELD_NAME_SIZE 64

/*
 * Add every problem of "sub" (consumed) to "fields" under the name
 * "prefix.key", e.g. "certifications[2].valid_until".
 */
void		supplier_merge_problems(struct json_object *fields,
	    struct json_object *sub, const char *prefix);

/*
 * Check the "certifications" array of the profile body and write it as
 * the organization's certifications (see supplier_certifications.c).
 * supplier_certifications_check() adds problems to "fields" and, when
 * there are none, leaves in "*rows" (caller puts it) the rows to store,
 * each with an id.  supplier_certifications_store() replaces the stored
 * set by "rows" in the open transaction and sets "*changed" when a row
 * was added, removed or changed.
 */
enum sscn_err	supplier_certifications_check(struct http_request *,
	    struct json_object *list, struct json_object **rows,
	    struct json_object *fields) SSCN_WARN_UNUSED;
enum sscn_err	supplier_certifications_store(struct http_request *,
	    struct json_object *rows, struct json_object *details,
	    bool *changed) SSCN_WARN_UNUSED;

/*
 * Render the profile's Markdown "markdown" to HTML in cmark's safe mode,
 * which drops raw HTML and unsafe links.  Returns a string to free(), or
 * NULL when out of memory.
 */
char		*supplier_markdown_html(const char *markdown);

#endif
