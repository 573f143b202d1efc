#!/usr/bin/perl
# Cookie consent through POST and GET /api/v1/consents: recorded for an
# anonymous visitor under the strictly necessary cookie __Host-sscn_consent
# and for a logged-in user, read back by the same visitor or user only,
# validated against the current cookie policy version, audited, and with
# the client address stored encrypted.  Before a choice, no response sets
# a cookie.

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
my $version = cookie_version();
ok(defined $version, 'cookie policy published') or BAIL_OUT('GET /api/v1/'
    . 'legal/cookies must return a version; run tools/dev up');

sub choice ($analytics, $marketing, %extra) {
	return { categories => { analytics => $analytics, marketing => $marketing },
	    policy_version => $version, %extra };
}

# ---- no cookie before consent ---------------------------------------------------

for my $path ('/api/v1/consents', '/api/v1/legal/cookies',
    '/api/v1/legal/terms', '/api/health/live', '/api/v1/categories') {
	my $res = api('GET', $path);
	is(header_count($res, 'Set-Cookie'), 0, "GET $path: no cookie");
}

my $res = api('GET', '/api/v1/consents');
is($res->{status}, 200, 'anonymous GET without cookie: 200');
is($res->{json}{current_policy_version}, $version,
    'anonymous GET: current policy version');
ok(exists $res->{json}{consent} && !defined $res->{json}{consent},
    'anonymous GET without cookie: consent null');

# ---- anonymous choice -------------------------------------------------------------

# Straight to sscnd with a known client address, to look for it in the row.
my $addr = client_addr();
my $before = row_count('sscn.consents');
$res = api('POST', '/api/v1/consents', json => choice($T, $F), addr => $addr);
is($res->{status}, 201, 'anonymous POST: 201') or diag($res->{body});
my $body = $res->{json};
my $consent_id = $body->{consent_id} // '';
like($consent_id, qr/^[0-9a-f-]{36}$/, 'anonymous POST: consent id');
is_deeply($body->{categories},
    { necessary => $T, analytics => $T, marketing => $F },
    'anonymous POST: categories');
is($body->{policy_version}, $version, 'anonymous POST: policy version');
like($body->{recorded_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'anonymous POST: recorded_at RFC 3339');
ok(exists $body->{user_id} && !defined $body->{user_id},
    'anonymous POST: user_id null');

my $cookies = set_cookies($res);
is_deeply([sort keys %$cookies], ['__Host-sscn_consent'],
    'anonymous POST: only the consent cookie');
my $cookie = $cookies->{'__Host-sscn_consent'} // { attrs => {} };
is($cookie->{value}, $consent_id, 'consent cookie: the consent id');
ok(exists $cookie->{attrs}{secure}, 'consent cookie: Secure');
ok(exists $cookie->{attrs}{httponly}, 'consent cookie: HttpOnly');
is($cookie->{attrs}{samesite}, 'Strict', 'consent cookie: SameSite=Strict');
is($cookie->{attrs}{path}, '/', 'consent cookie: Path=/');
ok(!exists $cookie->{attrs}{domain}, 'consent cookie: no Domain');
is($cookie->{attrs}{'max-age'}, 31536000, 'consent cookie: one year');

is(row_count('sscn.consents') - $before, 1, 'anonymous POST: one row');
my $row = psql_json('SELECT consent_id, user_id, analytics, marketing, '
    . 'policy_version, address IS NOT NULL AS has_address, '
    . "position(convert_to('$addr', 'UTF8') IN address) AS plain "
    . "FROM sscn.consents WHERE consent_id = '$consent_id'")->[0];
is($row->{consent_id}, $consent_id, 'row: consent id');
ok(!defined $row->{user_id}, 'row: no user');
ok($row->{analytics} && !$row->{marketing}, 'row: categories');
is($row->{policy_version}, $version, 'row: policy version');
ok($row->{has_address}, 'row: address stored');
is($row->{plain}, 0, 'row: address not in clear');
is(psql_value("SELECT length(address) > 28 FROM sscn.consents "
    . "WHERE consent_id = '$consent_id'"), 't',
    'row: address is ciphertext with nonce and tag');

my @audit = audit_rows(header($res, 'X-Request-ID'));
is_deeply([map { $_->{action} } @audit], ['consent.record'],
    'anonymous POST: audit row consent.record');
ok(!defined $audit[0]{actor_id}, 'audit: no actor');
is($audit[0]{details}{consent_id}, $consent_id, 'audit: consent id');

# ---- reading it back ------------------------------------------------------------

my %mine = (cookies => { '__Host-sscn_consent' => $consent_id });
$res = api('GET', '/api/v1/consents', %mine);
is($res->{status}, 200, 'GET with the cookie: 200');
is($res->{json}{consent}{consent_id}, $consent_id, 'GET: same consent id');
is_deeply($res->{json}{consent}{categories},
    { necessary => $T, analytics => $T, marketing => $F },
    'GET: the choice made');
is($res->{json}{consent}{for_user}, $F, 'GET: anonymous choice');

my $other = '00000000-0000-4000-8000-' . substr(random_id(), 0, 12);
$res = api('GET', '/api/v1/consents',
    cookies => { '__Host-sscn_consent' => $other });
ok(!defined $res->{json}{consent}, 'GET with another consent id: null');
$res = api('GET', '/api/v1/consents',
    cookies => { '__Host-sscn_consent' => 'not-a-uuid' });
is($res->{status}, 200, 'GET with a malformed cookie: 200');
ok(!defined $res->{json}{consent}, 'GET with a malformed cookie: null');

$res = api('POST', '/api/v1/consents', json => choice($F, $T), %mine);
is($res->{status}, 201, 'changed choice: 201');
is($res->{json}{consent_id}, $consent_id, 'changed choice: same consent id');
$res = api('GET', '/api/v1/consents', %mine);
is_deeply($res->{json}{consent}{categories},
    { necessary => $T, analytics => $F, marketing => $T },
    'GET after a change: the latest choice');
is(row_count('sscn.consents', "consent_id = '$consent_id'"), 2,
    'changed choice: history kept');

# ---- validation ---------------------------------------------------------------------

my @bad = (
	[ 'old policy version', choice($T, $T, policy_version => '1999-01'),
	  'policy_version' ],
	[ 'no policy version', { categories => { analytics => $T,
	  marketing => $T } }, 'policy_version' ],
	[ 'no categories', { policy_version => $version }, 'categories' ],
	[ 'categories not an object', { categories => [], policy_version =>
	  $version }, 'categories' ],
	[ 'analytics not boolean', choice('yes', $T), 'categories.analytics' ],
	[ 'marketing missing', { categories => { analytics => $T },
	  policy_version => $version }, 'categories.marketing' ],
	[ 'unknown category', { categories => { analytics => $T,
	  marketing => $T, necessary => $F }, policy_version => $version },
	  'categories.necessary' ],
	[ 'unknown field', choice($T, $T, user_id => $other), 'user_id' ],
);
$before = row_count('sscn.consents');
for my $case (@bad) {
	my ($name, $json, $field) = @$case;
	$res = api('POST', '/api/v1/consents', json => $json);
	$body = is_error_response($res, 400, 'validation_failed', "POST $name");
	ok(exists $body->{error}{fields}{$field}, "POST $name: fields.$field")
	    or diag($res->{body});
	is(header_count($res, 'Set-Cookie'), 0, "POST $name: no cookie");
}
is(row_count('sscn.consents'), $before, 'rejected choices: nothing stored');

# ---- a logged-in user -------------------------------------------------------------

my $alice = member() or BAIL_OUT('cannot create a user');
my $bob = member() or BAIL_OUT('cannot create a user');

$res = api('GET', '/api/v1/consents', token => $alice->{token});
ok(!defined $res->{json}{consent}, 'user GET before a choice: null');

$res = api('POST', '/api/v1/consents', token => $alice->{token},
    json => choice($F, $F));
is($res->{status}, 201, 'user POST: 201') or diag($res->{body});
is($res->{json}{user_id}, $alice->{user_id}, 'user POST: user id');
my $alice_consent = $res->{json}{consent_id};
is(psql_value("SELECT user_id FROM sscn.consents "
    . "WHERE consent_id = '$alice_consent'"), $alice->{user_id},
    'user POST: row names the user');
@audit = audit_rows(header($res, 'X-Request-ID'));
is($audit[0]{actor_id}, $alice->{user_id}, 'user POST: audit actor');

$res = api('GET', '/api/v1/consents', token => $alice->{token});
is($res->{json}{consent}{consent_id}, $alice_consent,
    'user GET without cookie: the user\'s choice');
is($res->{json}{consent}{for_user}, $T, 'user GET: for_user');
$res = api('GET', '/api/v1/consents', token => $bob->{token});
ok(!defined $res->{json}{consent}, 'other user GET: not Alice\'s choice');
$res = api('GET', '/api/v1/consents', token => $bob->{token},
    cookies => { '__Host-sscn_consent' => $alice_consent });
ok(!defined $res->{json}{consent},
    'other user with Alice\'s cookie: a user\'s choice stays hidden');
$res = api('GET', '/api/v1/consents',
    cookies => { '__Host-sscn_consent' => $alice_consent });
ok(!defined $res->{json}{consent},
    'anonymous with Alice\'s cookie: a user\'s choice stays hidden');

# A rejected token is served as an anonymous visitor.
$res = api('POST', '/api/v1/consents', token => 'not.a.token',
    json => choice($T, $T));
is($res->{status}, 201, 'POST with a bad token: 201 as anonymous');
ok(!defined $res->{json}{user_id}, 'POST with a bad token: no user');

# Cookie authentication still needs the CSRF header on POST.
my $login = login_user($alice->{user});
my $jar = set_cookies($login);
my $session = $jar->{'__Host-sscn_session'}{value};
my $csrf = $jar->{'__Host-sscn_csrf'}{value};
$res = api('POST', '/api/v1/consents', json => choice($T, $T),
    cookies => { '__Host-sscn_session' => $session,
    '__Host-sscn_csrf' => $csrf });
is_error_response($res, 403, 'forbidden', 'cookie POST without CSRF header');
$res = api('POST', '/api/v1/consents', json => choice($T, $T), csrf => $csrf,
    cookies => { '__Host-sscn_session' => $session,
    '__Host-sscn_csrf' => $csrf });
is($res->{status}, 201, 'cookie POST with CSRF header: 201');
is($res->{json}{user_id}, $alice->{user_id}, 'cookie POST: the user');

# ---- a withdrawal while logged in holds for the browser afterwards ------------

my $browser = api('POST', '/api/v1/consents', json => choice($T, $T));
my $browser_id = $browser->{json}{consent_id} // '';
$res = api('POST', '/api/v1/consents', json => choice($F, $F),
    token => $login->{token},
    cookies => { '__Host-sscn_consent' => $browser_id });
is($res->{status}, 201, 'withdrawal while logged in: 201');
is($res->{json}{consent_id}, $browser_id,
    'withdrawal while logged in: the browser\'s consent id');
$res = api('GET', '/api/v1/consents',
    cookies => { '__Host-sscn_consent' => $browser_id });
is($res->{json}{consent}{categories}{analytics}, $F,
    'after logout: analytics withdrawn for the browser');
is($res->{json}{consent}{categories}{marketing}, $F,
    'after logout: marketing withdrawn for the browser');
ok(!$res->{json}{consent}{for_user}, 'after logout: no user shown');

done_testing();
