/*
 * fuzz_json.c - the strict JSON parser of every request body and the
 * typed field checks that the handlers run on it: json_get_string(),
 * json_get_text() (NFC normalization, control characters), json_get_int(),
 * json_get_bool() and json_reject_unknown(), applied to every key of the
 * object and to the objects in its arrays.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "sscn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A sample of the field names that handlers accept, for
 * json_reject_unknown().  The handlers' own schema checks run on
 * req->json inline, and fuzz_bodies reaches them, for every route with a
 * JSON body, up to the handler's first database statement.
 */
static const char *const allowed_fields[] = { "email", "password", "name",
	"title", "description", "quantity", "unit", "deadline", "role",
	"categories", "regions", "website", "code", NULL };

/* Run every typed check on each field of "obj", as handlers do. */
static void
check_fields(struct json_object *obj, int depth)
{
	struct json_object	*fields = json_object_new_object();
	struct json_object	*copy = NULL;
	const char		*text;
	int64_t			 number;
	bool			 flag;
	size_t			 i;

	if (fields == NULL)
		return;
	(void)json_reject_unknown(obj, allowed_fields, fields);

	/* json_get_text() replaces values, so it works on a deep copy. */
	if (json_object_deep_copy(obj, &copy, NULL) != 0)
		copy = NULL;
	json_object_object_foreach(obj, key, value) {
		(void)json_get_string(obj, key, true, 64, &text, fields);
		(void)json_get_int(obj, key, false, -1000, INT64_MAX, &number,
		    fields);
		(void)json_get_bool(obj, key, false, &flag, fields);
		if (copy != NULL) {
			(void)json_get_text(copy, key, false, 200, false,
			    &text, fields);
			(void)json_get_text(copy, key, true, 20000, true,
			    &text, fields);
		}
		if (depth < 4 && json_object_is_type(value, json_type_array))
			for (i = 0; i < json_object_array_length(value); i++)
				if (json_object_is_type(json_object_array_get_idx(
				    value, i), json_type_object))
					check_fields(json_object_array_get_idx(
					    value, i), depth + 1);
	}
	json_object_put(copy);
	(void)json_object_to_json_string(fields);
	json_object_put(fields);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*root;
	enum json_parse_status	 status;
	size_t			 offset;

	root = json_parse_strict((const char *)data, size, &status, &offset);
	if (status != JSON_PARSE_OK && offset > size)
		__builtin_trap();
	if (root != NULL && json_object_is_type(root, json_type_object))
		check_fields(root, 0);
	json_object_put(root);
	return 0;
}
