/*
 * fuzz_fastcgi.c - one whole request through http_serve(): the FastCGI
 * parameters (method, path, query, Content-Length, Content-Type, cookies,
 * Authorization and the rest), routing, the body checks, the strict JSON
 * parser and each handler's checks up to its first database statement.
 *
 * Input: "NAME=value" lines up to the first empty line are the FastCGI
 * parameters, and the bytes after that empty line are the body.  The line
 * "HTTP_AUTHORIZATION=@harness" becomes fuzz_authorization_param(), an
 * access token that verifies, so that seeds can reach past the signature
 * check: a token written into a seed file could not carry a valid HS256
 * signature of the harness key.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_request.h"

/* The parameter line that stands for the harness's access token. */
#define FUZZ_HARNESS_AUTHORIZATION	"HTTP_AUTHORIZATION=@harness"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*params[FUZZ_MAX_PARAMS + 1];
	char		*text, *line, *end;
	size_t		 nparams = 0, head_len;
	const uint8_t	*body;

	body = memmem(data, size, "\n\n", 2);
	head_len = body != NULL ? (size_t)(body - data) : size;
	body = body != NULL ? body + 2 : data + size;

	/* The parameters are C strings, so a NUL byte ends the head. */
	text = strndup((const char *)data, head_len);
	if (text == NULL)
		return 0;
	for (line = text; line != NULL && nparams < FUZZ_MAX_PARAMS;
	    line = end) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		if (strcmp(line, FUZZ_HARNESS_AUTHORIZATION) == 0)
			params[nparams++] = fuzz_authorization_param();
		else if (*line != '\0')
			params[nparams++] = line;
	}
	params[nparams] = NULL;

	fuzz_serve(params, body, size - (size_t)(body - data));
	free(text);
	return 0;
}
