#!/usr/bin/perl
# GET and PATCH /api/v1/organizations/{id}: members read their own
# organization, owners and admins change its name, country and
# require_mfa, a plain member gets 403, and everyone else gets 404 as for
# a missing organization.  Server-owned and unknown fields are rejected
# and nothing changes; a rename reaches the session at once.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $owner = org_user('supplier', name => 'Quill Metals');
my $other = org_user('buyer');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my $member = join_by_registration($owner, 'member');
my $admin = join_by_registration($owner, 'admin');
BAIL_OUT('could not add the test members') unless $member && $admin;
my $org = $owner->{org_id};
my $path = "/api/v1/organizations/$org";

# ---- GET ---------------------------------------------------------------------

my $res = api('GET', $path, token => $owner->{token});
my $body = is_json_ok($res, 200, 'get: owner reads the organization');
is($body->{id}, $org, 'get: id');
is($body->{kind}, 'supplier', 'get: kind');
is($body->{name}, 'Quill Metals', 'get: name');
ok(exists $body->{country} && !defined $body->{country},
    'get: country null before it is set');
is($body->{require_mfa}, JSON::PP::false, 'get: require_mfa false');
like($body->{created_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'get: created_at in RFC 3339 UTC');

is(api('GET', $path, token => $member->{token})->{status}, 200,
    'get: a plain member reads it too');
is(api('GET', uc($path =~ s{.*/}{}r) =~ s{^}{/api/v1/organizations/}r,
    token => $owner->{token})->{status}, 200,
    'get: the id is case-insensitive');

is_error_response(api('GET', $path, token => $other->{token}), 404,
    'not_found', 'get: another organization is 404');
is_error_response(api('GET', "/api/v1/organizations/$other->{org_id}",
    token => $owner->{token}), 404, 'not_found',
    'get: the other way round too');
is_error_response(api('GET', '/api/v1/organizations/not-a-uuid',
    token => $owner->{token}), 404, 'not_found', 'get: malformed id is 404');
is_error_response(api('GET', '/api/v1/organizations/'
    . '00000000-0000-0000-0000-000000000000', token => $owner->{token}),
    404, 'not_found', 'get: unknown id is 404');
is_error_response(api('GET', $path), 401, 'unauthorized',
    'get: no token is 401');

# ---- PATCH by owner and admin ------------------------------------------------

$res = api('PATCH', $path, token => $owner->{token},
    json => { name => "Quill Me\x{0301}tals GmbH", country => 'DE' });
$body = is_json_ok($res, 200, 'patch: owner renames and sets country');
is($body->{name}, "Quill M\x{e9}tals GmbH", 'patch: name stored as NFC');
is($body->{country}, 'DE', 'patch: country set');
is(org_row($org), Encode::encode('UTF-8', "Quill M\x{e9}tals GmbH")
    . '|DE|false|supplier', 'patch: the row has the new values');

my ($audit) = grep { $_->{action} eq 'org.update' }
    audit_rows(request_id_of($res));
ok($audit, 'patch: audit row written');
is_deeply($audit->{details}{fields}, ['name', 'country'],
    'patch: audit names the changed fields');
is($audit->{target}, $org, 'patch: audit target is the organization');
unlike(Encode::encode('UTF-8', JSON::PP->new->encode($audit->{details})),
    qr/Quill/, 'patch: audit holds no values');

my $me = api('GET', '/api/v1/me', token => $owner->{token})->{json};
is($me->{organization}{name}, "Quill M\x{e9}tals GmbH",
    'patch: the rename reaches the owner session at once');
$me = api('GET', '/api/v1/me', token => $member->{token})->{json};
is($me->{organization}{name}, "Quill M\x{e9}tals GmbH",
    "patch: the rename reaches a member's session at once");

$res = api('PATCH', $path, token => $admin->{token},
    json => { require_mfa => JSON::PP::true, country => undef });
$body = is_json_ok($res, 200, 'patch: admin may change settings');
is($body->{require_mfa}, JSON::PP::true, 'patch: require_mfa set');
ok(exists $body->{country} && !defined $body->{country},
    'patch: country cleared with null');
($audit) = grep { $_->{action} eq 'org.update' }
    audit_rows(request_id_of($res));
is_deeply($audit->{details}{fields}, ['country', 'require_mfa'],
    'patch: audit names only these fields');

# Turning require_mfa on restricted the open sessions of members without
# TOTP (t/216_require_mfa.t); lift that here, as if they had enrolled, so
# the same accounts can go on.
psql_value("UPDATE sscn.sessions SET restriction = NULL "
    . "WHERE organization_id = '$org' AND restriction = 'mfa_enrollment'");

$res = api('PATCH', $path, token => $admin->{token},
    json => { require_mfa => JSON::PP::false, name => "Quill M\x{e9}tals GmbH" });
($audit) = grep { $_->{action} eq 'org.update' }
    audit_rows(request_id_of($res));
is_deeply($audit->{details}{fields}, ['require_mfa'],
    'patch: an unchanged name is not named');

# ---- PATCH refused ---------------------------------------------------------------

my $before = org_row($org);
my @bad = (
    [{ kind => 'buyer' }, 'kind', 'kind is server-owned'],
    [{ id => $other->{org_id} }, 'id', 'id is server-owned'],
    [{ created_at => '2020-01-01T00:00:00Z' }, 'created_at',
	'created_at is server-owned'],
    [{ name => 'X', owner => 'me' }, 'owner', 'an unknown field'],
    [{ name => '' }, 'name', 'an empty name'],
    [{ name => 'x' x 201 }, 'name', 'a name of 201 characters'],
    [{ name => "two\nlines" }, 'name', 'a name of two lines'],
    [{ name => "bell\x{07}" }, 'name', 'a control character'],
    [{ name => undef }, 'name', 'a null name'],
    [{ name => 42 }, 'name', 'a number as name'],
    [{ country => 'XX' }, 'country', 'an unknown country'],
    [{ country => 'de' }, 'country', 'a lower-case country'],
    [{ country => 'DEU' }, 'country', 'an alpha-3 country'],
    [{ require_mfa => 'yes' }, 'require_mfa', 'require_mfa as a string'],
    [{ require_mfa => undef }, 'require_mfa', 'require_mfa null'],
    [{}, 'name', 'an empty body'],
);
for my $case (@bad) {
	my ($json, $field, $name) = @$case;
	$res = api('PATCH', $path, token => $owner->{token}, json => $json);
	is_error_response($res, 400, 'validation_failed', "patch: $name");
	ok(exists(($res->{json}{error}{fields} // {})->{$field}),
	    "patch: $name names $field");
}
$res = api('PATCH', $path, token => $owner->{token},
    json => { name => 'Changed', kind => 'buyer' });
is_error_response($res, 400, 'validation_failed',
    'patch: a valid name with kind is refused whole');
is(org_row($org), $before, 'patch: nothing changed by refused bodies');
is(scalar(grep { $_->{action} eq 'org.update' }
    audit_rows(request_id_of($res))), 0, 'patch: no audit row when refused');

is_error_response(api('PATCH', $path, token => $member->{token},
    json => { name => 'Member Rename' }), 403, 'forbidden',
    'patch: a plain member gets 403');
is_error_response(api('PATCH', $path, token => $other->{token},
    json => { name => 'Foreign Rename' }), 404, 'not_found',
    'patch: another organization gets 404');
is_error_response(api('PATCH', $path, token => $other->{token},
    json => { kind => 'buyer' }), 404, 'not_found',
    'patch: an outsider gets 404 before any validation');
is_error_response(api('PATCH', '/api/v1/organizations/nope',
    token => $owner->{token}, json => { name => 'X' }), 404, 'not_found',
    'patch: malformed id is 404');
is(org_row($org), $before, 'patch: nothing changed by refused callers');
is(org_row($other->{org_id}) =~ /Foreign/ ? 'changed' : 'kept', 'kept',
    'patch: the other organization is unchanged');

done_testing();
