#!/usr/bin/perl
# Failures after a valid state: provider errors, a token endpoint that
# hangs, and ID tokens that must not verify.  Each redirects to the login
# page with an error code, creates no account and starts no session.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time);
use SSCN::Test;
use SSCN::Oidc;

require_stack();
ok(oidc_setup(), 'sscnd configured for the mock provider') or BAIL_OUT('setup');

sub fails_with ($code, $name, %control) {
	my $sub = new_sub();
	my $email = "$sub\@example.test";
	my $verified = delete($control{unverified}) ? JSON::PP::false()
	    : JSON::PP::true();
	my $res = oidc_sign_in(%control, claims => { sub => $sub,
	    email => $email, email_verified => $verified });
	is($res->{status}, 302, "$name answers 302");
	is(header($res, 'Location'), "/login.html?error=$code",
	    "$name redirects with $code");
	ok(!set_cookies($res)->{'__Host-sscn_session'}, "$name sets no session");
	is(user_id_of($email), undef, "$name creates no account");
	return $res;
}

fails_with('oidc_failed', 'wrong audience', id_token => 'wrong_aud');
fails_with('oidc_failed', 'wrong issuer', id_token => 'wrong_iss');
fails_with('oidc_failed', 'expired ID token', id_token => 'expired');
fails_with('oidc_failed', 'unknown signing key', id_token => 'other_key');
fails_with('oidc_failed', 'HS256 with the public key',
    id_token => 'hs256_pubkey');
fails_with('oidc_failed', 'alg none', id_token => 'none');
fails_with('oidc_failed', 'answer without ID token', token => 'no_id_token');
fails_with('oidc_failed', 'token endpoint error', token => 'fail');
fails_with('oidc_denied', 'user cancelled at LinkedIn', authorize => 'error');
fails_with('oidc_email_unverified', 'unverified e-mail',
    unverified => 1);

my $TIMEOUT_AUDITS = "SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'auth.oidc_callback' AND details->>'reason' = 'timeout'";
my $timeout_audits = psql_value($TIMEOUT_AUDITS);
my $started = time;
fails_with('oidc_failed', 'token endpoint timeout', token => 'hang');
my $elapsed = time - $started;
cmp_ok($elapsed, '<', 8, 'timeout answers within linkedin_timeout');

is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'auth.oidc_callback' AND result = 'failure' AND details->>'reason' = "
    . "'invalid_id_token' AND occurred_at > now() - interval '5 minutes'")
    >= 6, 1, 'rejected ID tokens are audited');
is(psql_value($TIMEOUT_AUDITS), $timeout_audits + 1, 'timeout is audited');

# A key rotation: the token names a kid the cached key set lacks, so
# sscnd fetches the set again and the sign-in succeeds.
my $sub = new_sub();
is(oidc_sign_in(claims => { sub => $sub, email => "$sub\@example.test" })
    ->{status}, 302, 'sign-in with the first key');
my $res = oidc_sign_in(id_token => 'rotated', claims => { sub => $sub,
    email => "$sub\@example.test" });
like(header($res, 'Location'), qr{^/login\.html\?restricted=|^/$},
    'sign-in after a key rotation succeeds');

done_testing();
