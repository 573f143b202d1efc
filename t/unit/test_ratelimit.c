/*
 * test_ratelimit.c - the client that a rate-limit bucket counts: IPv4 as
 * it is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4.
 */
#include "config.h"

#include <string.h>

#include "ratelimit.h"
#include "tap.h"

static void
client_is(const char *addr, const char *expected, const char *name)
{
	char out[RATELIMIT_CLIENT_MAX];

	ratelimit_client_address(addr, out, sizeof(out));
	is_str(out, expected, "%s", name);
}

int
main(void)
{
	char small[8];

	client_is("192.0.2.17", "192.0.2.17", "IPv4 unchanged");
	client_is("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64",
	    "IPv6 cut to its /64");
	client_is("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64",
	    "IPv6 in the same /64: same client");
	client_is("2001:db8:1:3::1", "2001:db8:1:3::/64",
	    "IPv6 in the next /64: another client");
	client_is("::1", "::/64", "IPv6 loopback: its /64");
	client_is("::ffff:192.0.2.17", "192.0.2.17",
	    "IPv4-mapped IPv6: the IPv4 client");
	client_is("2001:DB8:0:0:1::1", "2001:db8::/64",
	    "IPv6 in capitals: canonical form");
	client_is("not an address", "not an address",
	    "unparsable value copied unchanged");
	client_is("", "", "empty value");
	client_is(NULL, "", "missing value");

	ratelimit_client_address("2001:db8:1:2:3:4:5:6", small, sizeof(small));
	is_int((long long)strlen(small), (long long)sizeof(small) - 1,
	    "short buffer: truncated and terminated");

	return done_testing();
}
