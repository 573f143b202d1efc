/*
 * ratelimit_client.c - the client address that a rate-limit bucket counts.
 *
 * Kept apart from ratelimit.c, which needs libpq and the request layer, so
 * the unit tests can link it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

void
ratelimit_client_address(const char *addr, char *out, size_t outlen)
{
	struct in6_addr	 a6;
	char		 text[INET6_ADDRSTRLEN];

	if (addr == NULL)
		addr = "";
	if (inet_pton(AF_INET6, addr, &a6) != 1) {
		snprintf(out, outlen, "%s", addr);
		return;
	}

	/* ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1. */
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		if (inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text)) !=
		    NULL) {
			snprintf(out, outlen, "%s", text);
			return;
		}
	}

	/* A host is usually assigned a whole /64, so the /64 is the client. */
	memset(&a6.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) == NULL) {
		snprintf(out, outlen, "%s", addr);
		return;
	}
	snprintf(out, outlen, "%s/64", text);
}
