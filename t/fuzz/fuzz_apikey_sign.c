/*
 * fuzz_apikey_sign.c - the parameters of the request-signature header
 * "Authorization: SSCN-HMAC-SHA256 key_id=..., timestamp=...,
 * signature=..." (apikey_header_parse()), then the whole signed request
 * through http_serve() up to the key lookup in the database.
 *
 * Input: the header's value after the scheme; the request body is empty.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "api/apikeys.h"
#include "fuzz_request.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apikey_header	 header;
	char			*value, *authorization = NULL;
	char			*params[6];
	static char		 method[] = "REQUEST_METHOD=GET";
	static char		 uri[] = "DOCUMENT_URI=/api/v1/me";
	static char		 request_uri[] = "REQUEST_URI=/api/v1/me";

	value = strndup((const char *)data, size);
	if (value == NULL)
		return 0;
	if (apikey_header_parse(value, &header) &&
	    (strlen(header.key_id) != 36 ||
	    strlen(header.signature) != APIKEY_SIG_HEX))
		__builtin_trap();

	if (asprintf(&authorization, "HTTP_AUTHORIZATION=%s %s",
	    APIKEY_SCHEME, value) >= 0) {
		params[0] = method;
		params[1] = uri;
		params[2] = request_uri;
		params[3] = authorization;
		params[4] = NULL;
		fuzz_serve(params, NULL, 0);
		free(authorization);
	}
	free(value);
	return 0;
}
