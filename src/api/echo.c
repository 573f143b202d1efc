/*
 * echo.c - POST /api/v1/echo, a test route that returns the parsed body.
 *
 * It exists so the test suite can check what the request layer accepts
 * (JSON strictness, limits, content types) without depending on a real
 * endpoint.  sscnd serves it only when enable_test_routes is set.
 */
#include "config.h"

#include <json-c/json.h>

#include "sscn.h"

enum sscn_err
test_echo(struct http_request *req)
{
	struct json_object *body = json_object_new_object();

	if (body == NULL)
		return SSCN_ERR_INTERNAL;
	json_object_object_add(body, "received", json_object_get(req->json));
	http_send_json(req, 200, body);
	json_object_put(body);
	return SSCN_OK;
}
