/*
 * supplier_get.c - GET /api/v1/categories and GET /api/v1/suppliers/{org_id}.
 *
 * The category list is public.  A supplier's page is open to every
 * logged-in user; a supplier organization that has saved no profile yet
 * shows its name and country with empty profile fields and updated_at
 * null.  A buyer organization, like an unknown id, is 404.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"
#include "api/auth_session.h"
#include "api/suppliers.h"

enum sscn_err
supplier_categories(struct http_request *req)
{
	struct json_object	*root, *items;
	PGresult		*res = NULL;
	enum sscn_err		 err;
	int			 i;

	err = api_db(req, "category_list", 0, NULL, &res);
	if (err != SSCN_OK)
		return err;

	root = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "code",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(c, "name",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_array_add(items, c);
	}
	PQclear(res);
	json_object_object_add(root, "items", items);
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/*
 * Column "col" of row 0, JSON text that PostgreSQL built, as a json-c
 * value; NULL (logged) in the unexpected case that it does not parse.
 */
static struct json_object *
supplier_json(struct http_request *req, PGresult *res, int col)
{
	struct json_object *value;

	value = json_tokener_parse(PQgetvalue(res, 0, col));
	if (value == NULL)
		log_error(req->request_id, "supplier_json_invalid", "column=%d",
		    col);
	return value;
}

struct json_object *
supplier_read(struct http_request *req, const char *org_id,
    enum sscn_err *err)
{
	static const struct {
		const char	*name;
		int		 col;
		bool		 json;
	} columns[] = {
		{ "id", 11, false },
		{ "name", 0, false },
		{ "country", 1, false },
		{ "description_md", 2, false },
		{ "description_html", 3, false },
		{ "categories", 4, true },
		{ "regions", 5, true },
		{ "capacities", 6, true },
		{ "identifiers", 7, true },
		{ "website", 8, false },
		{ "certifications", 9, true },
		{ "updated_at", 10, false },
	};
	const char		*params[1] = { org_id };
	struct json_object	*root;
	PGresult		*res = NULL;
	size_t			 i;

	*err = api_db(req, "supplier_get", 1, params, &res);
	if (*err != SSCN_OK)
		return NULL;
	if (PQntuples(res) != 1) {
		PQclear(res);
		*err = SSCN_ERR_NOT_FOUND;
		return NULL;
	}

	root = json_object_new_object();
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		json_object_object_add(root, columns[i].name, columns[i].json ?
		    supplier_json(req, res, columns[i].col) :
		    api_json_text(res, 0, columns[i].col));
	PQclear(res);
	return root;
}

enum sscn_err
supplier_get(struct http_request *req)
{
	const char		*org_id = req->match.params[0];
	struct json_object	*root;
	enum sscn_err		 err;

	if ((err = authn_require(req)) != SSCN_OK)
		return err;
	if (!session_is_uuid(org_id))
		return SSCN_ERR_NOT_FOUND;
	if ((root = supplier_read(req, org_id, &err)) == NULL)
		return err;
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
