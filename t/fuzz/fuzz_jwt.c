/*
 * fuzz_jwt.c - jwt_verify() on an access token from the Authorization
 * header or the session cookie, under a key file with an HS256 and an
 * EdDSA key, so that both signature checks and the claim checks run.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "auth/jwt.h"
#include "crypto/keys.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The keys of t/unit/test_jwt.c (bytes 1..32 and 101..132, base64), with
 * the field and index keys that every key file needs.
 */
#define FUZZ_JWT_KEYS \
	"jwt hs-1 HS256 AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n" \
	"jwt ed-1 EdDSA ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\n" \
	"field 1 AES-256-GCM AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n" \
	"index 1 HMAC-SHA256 ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=\n"

static struct sscn_keys *keys;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (keys_parse_text(FUZZ_JWT_KEYS, "fuzz.keys", "hs-1", &keys, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_jwt: key text rejected: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims	 claims;
	char			*token;

	token = strndup((const char *)data, size);
	if (token == NULL)
		return 0;
	/* A time inside the range of the seeds' iat and exp. */
	(void)jwt_verify(keys, token, "https://sscn.example", "sscn-api",
	    1800000000, JWT_LEEWAY, &claims);
	(void)jwt_verify(keys, token, "https://sscn.example", "sscn-api",
	    INT64_MAX, JWT_LEEWAY, &claims);
	free(token);
	return 0;
}
