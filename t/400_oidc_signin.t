#!/usr/bin/perl
# Sign-in with LinkedIn against the mock provider: the start redirect, a
# first sign-in that creates an account, and a second sign-in of the same
# subject into that account.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SSCN::Test;
use SSCN::Oidc;

require_stack();
ok(oidc_setup(), 'sscnd configured for the mock provider') or BAIL_OUT('setup');

# ---- start -------------------------------------------------------------

my ($start, $browser, $location) = oidc_start();
is($start->{status}, 302, 'start answers 302');
like($location, qr{^https://127\.0\.0\.1:\d+/authorize\?},
    'start redirects to the authorization endpoint');
my $q = query_params($location);
is($q->{response_type}, 'code', 'authorization asks for a code');
is($q->{client_id}, $CLIENT_ID, 'authorization names the client id');
like($q->{redirect_uri}, qr{/api/v1/auth/linkedin/callback$},
    'authorization names the callback');
is($q->{scope}, 'openid profile email', 'authorization asks for the scopes');
like($q->{state} // '', qr/^[A-Za-z0-9_-]{43}$/, 'state is 256 random bits');
ok(!exists $q->{nonce}, 'no nonce for LinkedIn by default');
ok(!exists $q->{code_challenge}, 'no PKCE for LinkedIn by default');
my $cookie = set_cookies($start)->{'__Host-sscn_oidc'};
ok($cookie, 'start sets the state cookie');
is($cookie->{attrs}{path}, '/', 'state cookie has Path=/');
ok(exists $cookie->{attrs}{secure}, 'state cookie is Secure');
ok(exists $cookie->{attrs}{httponly}, 'state cookie is HttpOnly');
is(lc($cookie->{attrs}{samesite} // ''), 'lax', 'state cookie is SameSite=Lax');
is($cookie->{attrs}{'max-age'}, '600', 'state cookie lives 10 minutes');
isnt($cookie->{value}, $q->{state}, 'cookie value differs from the state');
is(psql_value("SELECT count(*) FROM sscn.oidc_states WHERE expires_at "
    . "BETWEEN now() + interval '9 minutes' AND now() + interval '11 minutes' "
    . "AND created_at > now() - interval '1 minute'") >= 1, 1,
    'state row expires in 10 minutes');

# ---- first sign-in creates an account ------------------------------------

my $sub = new_sub();
my $email = "li-$sub\@example.test";
my $log_offset = file_size($SSCND_LOG);
my $res = oidc_sign_in(claims => { sub => $sub, email => $email,
    name => 'Lina Example' });
ok($res, 'mock redirected back to the callback');
is($res->{status}, 302, 'callback answers 302');
is(header($res, 'Location'), '/login.html?restricted=acceptance',
    'new account must accept the terms first');
my $cookies = set_cookies($res);
ok($cookies->{'__Host-sscn_session'}{value}, 'callback sets the session cookie');
ok($cookies->{'__Host-sscn_csrf'}{value}, 'callback sets the CSRF cookie');
is($cookies->{'__Host-sscn_oidc'}{attrs}{'max-age'}, '0',
    'callback clears the state cookie');

# The data export names the linked identity with its subject in clear.
my $export = api('GET', '/api/v1/data/export',
    cookies => { '__Host-sscn_session' => $cookies->{'__Host-sscn_session'}{value} });
is($export->{status}, 200, 'export of the new account: 200');
my ($identity) = @{$export->{json}{linked_identities} // []};
is($identity->{provider}, 'linkedin', 'export: linked provider');
is($identity->{subject}, $sub, 'export: subject decrypted');

my $user_id = user_id_of($email);
ok($user_id, 'account exists for the LinkedIn e-mail');
is(psql_value("SELECT email_verified_at IS NOT NULL AND password_hash IS NULL "
    . "FROM sscn.users WHERE id = '$user_id'"), 't',
    'account is verified and has no password');
is(psql_value("SELECT count(*) FROM sscn.oidc_identities WHERE user_id = "
    . "'$user_id' AND provider = 'linkedin'"), '1', 'identity is linked');
is(psql_value("SELECT position(convert_to('$sub', 'UTF8') in sub) "
    . "FROM sscn.oidc_identities WHERE user_id = '$user_id'"), '0',
    'subject is stored encrypted');

my @token_calls = grep { $_->{path} eq '/token' } mock_requests();
ok(@token_calls, 'sscnd called the token endpoint');
ok($token_calls[-1]{secret_ok}, 'client secret sent in the token request');
ok(!grep({ $_ eq 'code_verifier' } @{ $token_calls[-1]{fields} }),
    'no code_verifier sent');
unlike(read_from($SSCND_LOG, $log_offset), qr/\Q$CLIENT_SECRET\E/,
    'client secret not in the log');
unlike(read_from($SSCND_LOG, $log_offset), qr/\Q$sub\E/,
    'subject not in the log');

my $actions = psql_value("SELECT string_agg(DISTINCT action, ',' ORDER BY "
    . "action) FROM sscn.audit_log WHERE actor_id = '$user_id'");
like($actions, qr/auth\.login/, 'login audited');
like($actions, qr/auth\.register/, 'registration audited');
like($actions, qr/auth\.session_start/, 'session start audited');

# The restricted session reaches the acceptance endpoint only.
my $session = $cookies->{'__Host-sscn_session'}{value};
my $csrf = $cookies->{'__Host-sscn_csrf'}{value};
my %auth = (cookies => { '__Host-sscn_session' => $session,
    '__Host-sscn_csrf' => $csrf }, csrf => $csrf);
is(api('GET', '/api/v1/auth/sessions', %auth)->{status}, 403,
    'restricted session cannot list sessions');
my ($terms, $privacy) = legal_versions();
for my $doc ([terms => $terms], [privacy => $privacy]) {
	is(api('POST', '/api/v1/legal/accept', %auth, json => {
	    document => $doc->[0], version => $doc->[1] })->{status}, 204,
	    "restricted session accepts the $doc->[0]");
}

# ---- second sign-in of the same subject -------------------------------------

$res = oidc_sign_in(claims => { sub => $sub, email => $email });
is($res->{status}, 302, 'second callback answers 302');
is(header($res, 'Location'), '/', 'second sign-in goes to the app');
$cookies = set_cookies($res);
my $me = api('GET', '/api/v1/me', cookies => {
    '__Host-sscn_session' => $cookies->{'__Host-sscn_session'}{value} });
is($me->{status}, 200, 'new session reads the profile');
is($me->{json}{id}, $user_id, 'session belongs to the linked account');
is(psql_value("SELECT count(*) FROM sscn.users WHERE id = '$user_id'"), '1',
    'no second account');
is(psql_value("SELECT last_login_at IS NOT NULL FROM sscn.oidc_identities "
    . "WHERE user_id = '$user_id'"), 't', 'identity records the sign-in');

# A changed e-mail at LinkedIn still reaches the account by its subject.
$res = oidc_sign_in(claims => { sub => $sub, email => "new-$email" });
is(header($res, 'Location'), '/', 'subject wins over a changed e-mail');

done_testing();
