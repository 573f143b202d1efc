#!/usr/bin/perl
# The organization, member, invitation and supplier profile handlers check
# their body before authentication, but report its problems only to a
# caller who passes the access checks: without a login 401, for another
# organization 404, for a plain member 403, and 400 only for an owner.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $owner = org_user('supplier', name => 'Order Check Metals');
my $other = org_user('buyer');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my $member = join_by_registration($owner, 'member');
BAIL_OUT('could not add the test member') unless $member;
my $org = $owner->{org_id};
my $member_path = "/api/v1/organizations/$org/members/$member->{user_id}";

# Each case: a route, a body with problems, and a field that the 400 names.
my @cases = (
	[ 'org patch', 'PATCH', "/api/v1/organizations/$org",
	    { name => 7, colour => 'red' }, 'name' ],
	[ 'invite', 'POST', "/api/v1/organizations/$org/members",
	    { email => 'not an address', role => 'owner' }, 'role' ],
	[ 'member role', 'PATCH', $member_path, { role => 'chief' }, 'role' ],
	[ 'profile', 'PUT', "/api/v1/suppliers/$org/profile",
	    { website => 'http://example.com', identifiers => 'VAT' },
	    'website' ],
);

for my $case (@cases) {
	my ($name, $method, $path, $body, $field) = @$case;

	is_error_response(api($method, $path, json => $body), 401,
	    'unauthorized', "$name: bad body without login");
	is_error_response(api($method, $path, json => $body,
	    token => $other->{token}), 404, 'not_found',
	    "$name: bad body from another organization");
	is_error_response(api($method, $path, json => $body,
	    token => $member->{token}), 403, 'forbidden',
	    "$name: bad body from a plain member");

	my $res = api($method, $path, json => $body, token => $owner->{token});
	my $error = is_error_response($res, 400, 'validation_failed',
	    "$name: bad body from the owner");
	ok(exists $error->{error}{fields}{$field}, "$name: 400 names $field")
	    or diag("body: $res->{body}");
}

is_error_response(api('POST', '/api/v1/invitations/accept',
    json => { token => 7, extra => 1 }), 401, 'unauthorized',
    'accept: bad body without login');
my $res = api('POST', '/api/v1/invitations/accept',
    json => { token => 7, extra => 1 }, token => $other->{token});
my $error = is_error_response($res, 400, 'validation_failed',
    'accept: bad body with a login');
ok(exists $error->{error}{fields}{token}, 'accept: 400 names token');
ok(exists $error->{error}{fields}{extra}, 'accept: 400 names extra');

# The country list is read after authentication; its check still reports.
$res = api('PATCH', "/api/v1/organizations/$org", json => { country => 'XX' },
    token => $owner->{token});
$error = is_error_response($res, 400, 'validation_failed',
    'org patch: unknown country');
ok(exists $error->{error}{fields}{country}, 'org patch: 400 names country');

# The same for a profile's codes, together with a problem found before.
$res = api('PUT', "/api/v1/suppliers/$org/profile",
    json => { regions => ['XX'], website => 'ftp://example.com' },
    token => $owner->{token});
$error = is_error_response($res, 400, 'validation_failed',
    'profile: unknown region and bad website');
ok((grep { /^regions/ } keys %{ $error->{error}{fields} // {} }),
    'profile: 400 names regions') or diag("body: $res->{body}");
ok(exists $error->{error}{fields}{website}, 'profile: 400 names website');

done_testing();
