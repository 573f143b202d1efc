/*
 * fuzz_unsubscribe.c - the body of POST /api/v1/unsubscribe, a
 * urlencoded or multipart form (RFC 8058 one-click), through
 * http_serve(): the media type check, the List-Unsubscribe field and the
 * token in the query and in the body.
 *
 * Input: the first line is Content-Type, the second the query string,
 * the rest is the body.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copy the line at "*p" (at most "end") as "NAME=line" and step past it. */
static char *
next_line_param(const char *name, const uint8_t **p, const uint8_t *end)
{
	const uint8_t	*newline = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 len = newline != NULL ? (size_t)(newline - *p) :
			    (size_t)(end - *p);
	char		*param;

	if (asprintf(&param, "%s=%.*s", name, (int)len, (const char *)*p) < 0)
		return NULL;
	*p += newline != NULL ? len + 1 : len;
	return param;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size;
	char		*type, *query, *length = NULL;
	char		*params[8];
	static char	 method[] = "REQUEST_METHOD=POST";
	static char	 uri[] = "DOCUMENT_URI=/api/v1/unsubscribe";
	static char	 addr[] = "REMOTE_ADDR=127.0.0.1";

	type = next_line_param("CONTENT_TYPE", &p, end);
	query = next_line_param("QUERY_STRING", &p, end);
	if (type == NULL || query == NULL ||
	    asprintf(&length, "CONTENT_LENGTH=%zu", (size_t)(end - p)) < 0)
		goto done;

	params[0] = method;
	params[1] = uri;
	params[2] = addr;
	params[3] = type;
	params[4] = query;
	params[5] = length;
	params[6] = NULL;
	fuzz_serve(params, p, (size_t)(end - p));

done:
	free(type);
	free(query);
	free(length);
	return 0;
}
