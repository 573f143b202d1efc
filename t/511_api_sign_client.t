#!/usr/bin/perl
# Signed requests: the test vectors of sscn-api(7) match the signing code
# of the tests, the server accepts that signing, and the example client
# docs/sscn-api-call works against the stack.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::ApiKeys;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;

my $secret = 'vV3kQ9x_Lr2mT8aYpE4nW7cZ1uH6bJ0dS5fG3kR9qXo';
my $org_path = '/api/v1/organizations/0b4e7c1e-8a59-4f3e-9d1c-2f6a5b7c8d90';
my @vectors = (
    ['GET', "$org_path?limit=5", '',
	'106a2ad8c04d33803d078d36f518ddb870d378491f7114f52c1e6a0fa1e1c4fe'],
    ['PATCH', $org_path, '{"name":"Example GmbH"}',
	'fd2087ba508c33cd520f5a81b1a82d891b2972ea1d78c159bbdc5112548f9c1f'],
);

open(my $fh, '<', "$ROOT/man/sscn-api.7") or die "sscn-api.7: $!";
my $manual = do { local $/; <$fh> };
close $fh;

for my $v (@vectors) {
	my ($method, $uri, $body, $expected) = @$v;
	is(sign_request($secret, $method, $uri, 1767225600, $body), $expected,
	    "vector: $method signature");
	like($manual, qr/\Q$expected\E/, "vector: $method in the manual");
}
like($manual, qr/\Qcanonical string\E/, 'manual: describes the canonical string');

require_stack();

my $owner = org_user('buyer');
BAIL_OUT('could not create the test organization') unless $owner;
my $org = $owner->{org_id};
my $res = api('POST', "/api/v1/organizations/$org/api-keys",
    token => $owner->{token}, json => { name => 'Client', scopes => ['read'] });
my $key = is_json_ok($res, 201, 'client: key created');

local $ENV{SSCN_API_KEY_ID} = $key->{id};
local $ENV{SSCN_API_SECRET} = $key->{secret};
my ($status, $out) = run_cmd(['perl', "$ROOT/docs/sscn-api-call", '--cacert',
    "$DEV/tls/cert.pem", 'GET', "$URL/api/v1/organizations/$org?limit=1"]);
is($status, 0, 'client: exits 0 on success');
like($out, qr/^200 /, 'client: status 200');
like($out, qr/"id":\s*"\Q$org\E"/, 'client: body is the organization');

local $ENV{SSCN_API_SECRET} = 'x' x 43;
($status, $out) = run_cmd(['perl', "$ROOT/docs/sscn-api-call", '--cacert',
    "$DEV/tls/cert.pem", 'GET', "$URL/api/v1/organizations/$org"]);
isnt($status, 0, 'client: wrong secret exits non-zero');
like($out, qr/^401 /, 'client: wrong secret is 401');

done_testing();
