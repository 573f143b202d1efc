#!/usr/bin/perl
# API keys: owners and admins create, list and revoke them, the secret
# appears once, and signed requests act for the key's organization.  A
# wrong signature, a timestamp 301 s off, a replay, a revoked or expired
# key get 401; a write with a read-only key gets 403.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::ApiKeys;
use SSCN::Orgs;
use SSCN::Rfqs;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;
use Time::HiRes ();

require_stack();

my $owner = org_user('supplier');
my $other = org_user('buyer');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my $member = join_by_registration($owner, 'member');
BAIL_OUT('could not add the test member') unless $member;
my $org = $owner->{org_id};
my $base = "/api/v1/organizations/$org/api-keys";

sub key_count ($org_id) {
	return psql_value("SELECT count(*) FROM sscn.api_keys "
	    . "WHERE organization_id = '$org_id'");
}

# ---- create ----------------------------------------------------------------

my $res = api('POST', $base, token => $owner->{token},
    json => { name => 'ERP sync', scopes => ['read', 'write'] });
my $rw = is_json_ok($res, 201, 'create: owner creates a key');
like($rw->{secret}, qr/^[A-Za-z0-9_-]{43}$/, 'create: secret is 256 bits');
is($rw->{prefix}, substr($rw->{secret}, 0, 8), 'create: prefix shown');
is_deeply($rw->{scopes}, ['read', 'write'], 'create: scopes shown');
is($rw->{last_used_at}, undef, 'create: never used');
my $stored = psql_value("SELECT encode(secret_sha256, 'hex') || '|' || "
    . "(position(convert_to('$rw->{secret}', 'UTF8') IN secret) = 0) "
    . "FROM sscn.api_keys WHERE id = '$rw->{id}'");
is($stored, Digest::SHA::sha256_hex($rw->{secret}) . '|true',
    'create: stored as SHA-256 and ciphertext only');
my ($audit) = grep { $_->{action} eq 'apikey.create' }
    audit_rows(request_id_of($res));
ok($audit, 'create: audited');
unlike(JSON::PP->new->encode($audit // {}), qr/\Q$rw->{secret}\E/,
    'create: audit holds no secret');

$res = api('POST', $base, token => $owner->{token},
    json => { name => 'Reports', scopes => ['read'] });
my $ro = is_json_ok($res, 201, 'create: read-only key');

my $before = key_count($org);
is_error_response(api('POST', $base, token => $member->{token},
    json => { name => 'x', scopes => ['read'] }), 403, 'forbidden',
    'create: plain member gets 403');
is_error_response(api('POST', "/api/v1/organizations/$other->{org_id}/"
    . 'api-keys', token => $owner->{token},
    json => { name => 'x', scopes => ['read'] }), 404, 'not_found',
    'create: other organization is 404');
for my $case (
    [{ name => 'x', scopes => [] }, 'scopes', 'empty scopes'],
    [{ name => 'x', scopes => ['admin'] }, 'scopes', 'unknown scope'],
    [{ scopes => ['read'] }, 'name', 'missing name'],
    [{ name => 'x', scopes => ['read'], expires_at => '2001-01-01T00:00:00Z' },
	'expires_at', 'past expiry'],
    [{ name => 'x', scopes => ['read'], expires_at => 'tomorrow' },
	'expires_at', 'malformed expiry'],
    [{ name => 'x', scopes => ['read'], prefix => 'abcdefgh' },
	'prefix', 'server-owned field'],
) {
	my ($body, $field, $what) = @$case;
	$res = api('POST', $base, token => $owner->{token}, json => $body);
	is_error_response($res, 400, 'validation_failed', "create: $what");
	ok(exists $res->{json}{error}{fields}{$field},
	    "create: $what names $field");
}
is(key_count($org), $before, 'create: refused requests add no key');

# ---- list ------------------------------------------------------------------

$res = api('GET', $base, token => $owner->{token});
my $list = is_json_ok($res, 200, 'list: owner lists keys');
is(scalar @{ $list->{items} }, 2, 'list: both keys');
ok(!grep({ exists $_->{secret} } @{ $list->{items} }),
    'list: no secret in the list');
is_error_response(api('GET', $base, token => $member->{token}), 403,
    'forbidden', 'list: plain member gets 403');

# ---- signed requests -------------------------------------------------------

my $org_path = "/api/v1/organizations/$org";
$res = signed_api('GET', $org_path, key => $ro);
my $got = is_json_ok($res, 200, 'signed: read with a read key');
is($got->{id}, $org, 'signed: acts for the key organization');
isnt(psql_value("SELECT last_used_at IS NULL FROM sscn.api_keys "
    . "WHERE id = '$ro->{id}'"), 't', 'signed: last use recorded');

$res = signed_api('GET', "$org_path?x=1", key => $ro);
is_json_ok($res, 200, 'signed: path with query');

is_error_response(signed_api('GET', "/api/v1/organizations/$other->{org_id}",
    key => $ro), 404, 'not_found', 'signed: other organization is 404');

# RFQ reads check their session and read in one round trip; a signed
# request takes the key's settings instead.
my $buyer_key = api('POST', "/api/v1/organizations/$other->{org_id}/api-keys",
    token => $other->{token}, json => { name => 'Buyer ERP',
    scopes => ['read'] })->{json};
my $draft = create_rfq($other);
$res = signed_api('GET', "/api/v1/rfqs/$draft->{id}", key => $buyer_key);
is(is_json_ok($res, 200, 'signed: buyer key reads its RFQ')->{id},
    $draft->{id}, 'signed: the RFQ read is the one asked for');
is_error_response(signed_api('GET', "/api/v1/rfqs/$draft->{id}",
    key => $ro), 404, 'not_found',
    'signed: another organization\'s draft RFQ is 404');
is_error_response(signed_api('GET', '/api/v1/me', key => $buyer_key), 401,
    'unauthorized', 'signed: /me needs a session');

# A distinct timestamp: the same request in the same second is a replay.
my $ts = time + 2;
my $sig = sign_request($ro->{secret}, 'GET', $org_path, $ts, '');
is_json_ok(signed_api('GET', $org_path, key => $ro, timestamp => $ts,
    signature => $sig), 200, 'replay: first use works');
is_error_response(signed_api('GET', $org_path, key => $ro, timestamp => $ts,
    signature => $sig), 401, 'unauthorized', 'replay: second use is 401');

my $wrong = sign_request('x' x 43, 'GET', $org_path, $ts, '');
is_error_response(signed_api('GET', $org_path, key => $ro,
    signature => $wrong, timestamp => $ts), 401, 'unauthorized',
    'signed: wrong signature is 401');
is_error_response(signed_api('GET', $org_path, key => $ro,
    timestamp => time - 301), 401, 'unauthorized',
    'signed: timestamp 301 s old is 401');
# The server's clock moves on while the request travels, which shortens a
# timestamp's lead: send right after a second starts, so that 301 s ahead
# is still more than 300 s ahead when the request arrives.
Time::HiRes::sleep(1.01 - (Time::HiRes::time() - int Time::HiRes::time()));
is_error_response(signed_api('GET', $org_path, key => $ro,
    timestamp => time + 301), 401, 'unauthorized',
    'signed: timestamp 301 s ahead is 401');

# Signature over another path must not pass for this one.
$sig = sign_request($ro->{secret}, 'GET', "$org_path/members", $ts, '');
is_error_response(signed_api('GET', $org_path, key => $ro, timestamp => $ts,
    signature => $sig), 401, 'unauthorized', 'signed: other path is 401');

my $name_before = psql_value("SELECT name FROM sscn.organizations "
    . "WHERE id = '$org'");
is_error_response(signed_api('PATCH', $org_path, key => $ro,
    json => { name => 'Read Only Rename' }), 403, 'forbidden',
    'scope: write with a read key is 403');
is(psql_value("SELECT name FROM sscn.organizations WHERE id = '$org'"),
    $name_before, 'scope: refused write changed nothing');
$res = signed_api('PATCH', $org_path, key => $rw,
    json => { name => 'Signed Rename GmbH' });
is_json_ok($res, 200, 'scope: write with a write key');
is(psql_value("SELECT name FROM sscn.organizations WHERE id = '$org'"),
    'Signed Rename GmbH', 'scope: write stored');

is_error_response(signed_api('GET', $base, key => $rw), 403, 'forbidden',
    'signed: keys cannot manage keys');

# ---- expiry and revocation ---------------------------------------------------

psql_value("UPDATE sscn.api_keys SET expires_at = now() - interval '1 s' "
    . "WHERE id = '$ro->{id}'");
is_error_response(signed_api('GET', $org_path, key => $ro), 401,
    'unauthorized', 'expired key is 401');

$res = api('DELETE', "$base/$rw->{id}", token => $member->{token});
is_error_response($res, 403, 'forbidden', 'revoke: plain member gets 403');
is_json_ok(signed_api('GET', $org_path, key => $rw), 200,
    'revoke: key still works after refused revoke');
$res = api('DELETE', "$base/$rw->{id}", token => $owner->{token});
my $revoked = is_json_ok($res, 200, 'revoke: owner revokes');
ok($revoked->{revoked_at}, 'revoke: revoked_at shown');
ok((grep { $_->{action} eq 'apikey.revoke' }
    audit_rows(request_id_of($res))), 'revoke: audited');
is_error_response(signed_api('GET', $org_path, key => $rw), 401,
    'unauthorized', 'revoked key is 401');
is_error_response(api('DELETE', "$base/" . random_uuid(),
    token => $owner->{token}), 404, 'not_found', 'revoke: unknown key is 404');

$res = request('GET', $org_path, headers => [Authorization =>
    'SSCN-HMAC-SHA256 key_id=nope']);
$res->{json} = decode_json_body($res);
is_error_response($res, 401, 'unauthorized',
    'signed: malformed header is 401');

done_testing();

sub random_uuid () {
	my $h = Digest::SHA::sha256_hex(random_id());
	return join('-', substr($h, 0, 8), substr($h, 8, 4), '4' . substr($h, 13, 3),
	    '8' . substr($h, 17, 3), substr($h, 20, 12));
}
