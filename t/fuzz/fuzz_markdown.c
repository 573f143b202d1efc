/*
 * fuzz_markdown.c - a supplier profile's Markdown description, checked
 * with json_get_text() as the handler does (NFC, no control character
 * but newline and tab, at most 20000 characters), then rendered by
 * supplier_markdown_html().  The output must contain no raw HTML tag
 * from the input: cmark's safe mode replaces it by a comment.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "sscn.h"
#include "api/suppliers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*body, *fields;
	const char		*text = NULL;
	char			*html;

	if (!utf8_valid(data, size) || memchr(data, '\0', size) != NULL)
		return 0;
	body = json_object_new_object();
	fields = json_object_new_object();
	if (body == NULL || fields == NULL)
		goto done;
	json_object_object_add(body, "description",
	    json_object_new_string_len((const char *)data, (int)size));
	if (json_get_text(body, "description", true, 20000, true, &text,
	    fields) != SSCN_OK)
		goto done;

	html = supplier_markdown_html(text);
	if (html != NULL && (strstr(html, "<script") != NULL ||
	    strstr(html, "<iframe") != NULL))
		__builtin_trap();
	free(html);

done:
	json_object_put(fields);
	json_object_put(body);
	return 0;
}
