#!/usr/bin/perl
# The callback's state: missing, wrong, reused, expired, or from another
# browser answers 400 and signs nobody in.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SSCN::Test;
use SSCN::Oidc;

require_stack();
ok(oidc_setup(), 'sscnd configured for the mock provider') or BAIL_OUT('setup');

# One started sign-in, taken to the point where the provider has answered.
sub started ($sub) {
	mock_control(claims => { sub => $sub, email => "$sub\@example.test" });
	my ($start, $browser, $location) = oidc_start();
	return ($browser, mock_authorize($location));
}

sub is_rejected ($res, $name) {
	is($res->{status}, 400, "$name answers 400");
	is(($res->{json}{error} // {})->{code}, 'validation_failed',
	    "$name has the error code");
	ok(!set_cookies($res)->{'__Host-sscn_session'},
	    "$name sets no session");
}


my $EXPIRED_AUDITS = "SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'auth.oidc_callback' AND result = 'denied' AND details->>'reason' = "
    . "'state_expired'";

my $sub = new_sub();
my ($browser, $callback) = started($sub);
ok($callback, 'mock answered with a callback URL');
my $q = query_params($callback);

is_rejected(oidc_callback("/api/v1/auth/linkedin/callback?code=$q->{code}",
    $browser), 'missing state');
is_rejected(oidc_callback("/api/v1/auth/linkedin/callback?code=$q->{code}"
    . "&state=" . ('A' x 43), $browser), 'unknown state');
is_rejected(oidc_callback("/api/v1/auth/linkedin/callback?code=$q->{code}"
    . "&state=short", $browser), 'malformed state');
is_rejected(oidc_callback($callback, undef), 'missing browser cookie');

# A state used from another browser is burnt: the right browser fails too.
($browser, $callback) = started($sub);
my ($other) = (oidc_start())[1];
is_rejected(oidc_callback($callback, $other), 'state from another browser');
is_rejected(oidc_callback($callback, $browser), 'state after a foreign use');

# Reuse: the first use signs in, the second is rejected.
($browser, $callback) = started($sub);
my $first = oidc_callback($callback, $browser);
is($first->{status}, 302, 'first use of a state signs in');
is_rejected(oidc_callback($callback, $browser), 'reused state');

# Expiry: age the row past its 10 minutes.
($browser, $callback) = started(new_sub());
my $state = query_params($callback)->{state};
psql_value("UPDATE sscn.oidc_states SET expires_at = now() - interval "
    . "'1 second' WHERE used_at IS NULL AND created_at > now() - interval "
    . "'1 minute'");
my $expired_audits = psql_value($EXPIRED_AUDITS);
my $token_calls = grep { $_->{path} eq '/token' } mock_requests();
is_rejected(oidc_callback($callback, $browser), 'expired state');
is(scalar(grep { $_->{path} eq '/token' } mock_requests()), $token_calls,
    'rejected state never reaches the token endpoint');

is(psql_value($EXPIRED_AUDITS), $expired_audits + 1,
    'expired state is audited');

done_testing();
