#!/usr/bin/perl
# GET and PUT /api/v1/me/preferences: marketing_emails is off until the
# user turns it on, each change is audited with the value before and
# after, a bad body changes nothing, and one user never sees or changes
# another's preference.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use SSCN::Test;
use SSCN::Consent;
use Test::More;

require_stack();

my $T = JSON::PP::true;
my $F = JSON::PP::false;

is_error_response(api('GET', '/api/v1/me/preferences'), 401, 'unauthorized',
    'GET without login');
is_error_response(api('PUT', '/api/v1/me/preferences',
    json => { marketing_emails => $T }), 401, 'unauthorized',
    'PUT without login');

my $alice = member() or BAIL_OUT('cannot create a user');
my $bob = member() or BAIL_OUT('cannot create a user');

my $res = api('GET', '/api/v1/me/preferences', token => $alice->{token});
is($res->{status}, 200, 'GET: 200');
is($res->{json}{marketing_emails}, $F, 'new user: marketing mail off');
ok(exists $res->{json}{updated_at} && !defined $res->{json}{updated_at},
    'new user: updated_at null');

$res = set_marketing($alice, 1);
is($res->{status}, 200, 'PUT on: 200') or diag($res->{body});
is($res->{json}{marketing_emails}, $T, 'PUT on: returned');
like($res->{json}{updated_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'PUT on: updated_at');
my @audit = audit_rows(header($res, 'X-Request-ID'));
is_deeply([map { $_->{action} } @audit], ['preferences.update'],
    'PUT on: audit row preferences.update');
is($audit[0]{actor_id}, $alice->{user_id}, 'audit: actor');
is($audit[0]{target}, $alice->{user_id}, 'audit: target');
is_deeply($audit[0]{details}{fields}, ['marketing_emails'],
    'audit: changed field');
is($audit[0]{details}{before}, $F, 'audit: value before');
is($audit[0]{details}{marketing_emails}, $T, 'audit: value after');

is(api('GET', '/api/v1/me/preferences', token => $alice->{token})
    ->{json}{marketing_emails}, $T, 'GET after PUT: on');
is(psql_value("SELECT marketing_emails FROM sscn.user_preferences "
    . "WHERE user_id = '$alice->{user_id}'"), 't', 'stored: on');
is(api('GET', '/api/v1/me/preferences', token => $bob->{token})
    ->{json}{marketing_emails}, $F, 'other user: still off');

# ---- bad bodies change nothing ------------------------------------------------------

my @bad = (
	[ 'string value', { marketing_emails => 'false' }, 'marketing_emails' ],
	[ 'number value', { marketing_emails => 0 }, 'marketing_emails' ],
	[ 'missing field', {}, 'marketing_emails' ],
	[ 'unknown field', { marketing_emails => $F, user_id => $bob->{user_id} },
	  'user_id' ],
);
for my $case (@bad) {
	my ($name, $json, $field) = @$case;
	$res = api('PUT', '/api/v1/me/preferences', token => $alice->{token},
	    json => $json);
	my $body = is_error_response($res, 400, 'validation_failed', "PUT $name");
	ok(exists $body->{error}{fields}{$field}, "PUT $name: fields.$field");
}
$res = api('PUT', '/api/v1/me/preferences', token => $alice->{token},
    json => 'not json');
is($res->{status}, 400, 'PUT invalid JSON: 400');
is(api('GET', '/api/v1/me/preferences', token => $alice->{token})
    ->{json}{marketing_emails}, $T, 'after rejected PUTs: still on');

$res = set_marketing($alice, 0);
is($res->{json}{marketing_emails}, $F, 'PUT off: returned');
@audit = audit_rows(header($res, 'X-Request-ID'));
is($audit[0]{details}{before}, $T, 'PUT off: audit value before');
is(api('GET', '/api/v1/me/preferences', token => $alice->{token})
    ->{json}{marketing_emails}, $F, 'GET after PUT off: off');

done_testing();
