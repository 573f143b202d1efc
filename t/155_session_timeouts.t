#!/usr/bin/perl
# Session limits with short configured durations: session_idle_timeout
# 10 s, session_absolute_timeout 20 s, access_token_ttl 10 s and
# reauthentication_window 10 s (each is the minimum sscnd accepts).  A
# session unused for longer than the idle limit is refused, an active one
# ends at the absolute limit, refresh works only inside both limits, and a
# password change needs a login younger than the reauthentication window.
# The original configuration is restored at the end, also when the test
# dies.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $IDLE = 10;
my $ABSOLUTE = 20;
my $TTL = 10;
my $REAUTH = 10;

ok(conf_override(session_idle_timeout => $IDLE,
    session_absolute_timeout => $ABSOLUTE, access_token_ttl => $TTL,
    reauthentication_window => $REAUTH), 'short session limits configured')
    or BAIL_OUT('cannot reload sscnd');

my $user = verified_user();
my $late = verified_user();
ok($user && $late, 'users for timeouts') or BAIL_OUT('cannot create users');

my $active = login_user($user);
my $t0 = time;
my $idle = login_user($user);
is($active->{status}, 200, 'login of the active session');
is($idle->{status}, 200, 'login of the idle session');
is($active->{json}{expires_in}, $TTL, "expires_in is access_token_ttl ($TTL s)");

# Sleep until SECONDS after the first login.
sub at_second ($seconds) {
	my $wait = $t0 + $seconds - time;
	sleep $wait if $wait > 0;
}

sub me ($token) {
	return api('GET', '/api/v1/me', token => $token);
}

sub refresh ($token) {
	return api('POST', '/api/v1/auth/refresh', token => $token);
}

my $token = $active->{token};
is(me($token)->{status}, 200, 'active session at 0 s: GET /me 200');
my $res = refresh($token);
is($res->{status}, 200, 'active session at 0 s: refresh 200');
$token = $res->{json}{access_token} // $token;

at_second(5);
is(me($token)->{status}, 200, 'active session at 5 s: GET /me 200');

at_second(9);
$res = refresh($token);
is($res->{status}, 200, 'active session at 9 s: refresh 200') or diag($res->{body});
$token = $res->{json}{access_token} // $token;

# ---- idle limit -----------------------------------------------------------------

at_second($IDLE + 1.5);
$res = me($idle->{token});
is_error_response($res, 401, 'unauthorized',
    "idle session after @{[$IDLE + 1.5]} s: GET /me");
$res = refresh($idle->{token});
is_error_response($res, 401, 'unauthorized',
    "idle session after @{[$IDLE + 1.5]} s: refresh");
is(me($token)->{status}, 200,
    "active session at @{[$IDLE + 1.5]} s: still alive");

# ---- reauthentication window ----------------------------------------------------

{
	$res = api('POST', '/api/v1/auth/password/change', token => $token,
	    json => { current_password => $user->{password},
	    new_password => strong_password() });
	is_error_response($res, 403, 'reauthentication_required',
	    "password change with a login older than $REAUTH s");

	my $fresh = login_user($late);
	$res = api('POST', '/api/v1/auth/password/change', token => $fresh->{token},
	    json => { current_password => $late->{password},
	    new_password => strong_password() });
	is($res->{status}, 204, 'password change right after a login: 204')
	    or diag($res->{body});
}

# ---- absolute limit ----------------------------------------------------------------

at_second(15);
is(me($token)->{status}, 200, 'active session at 15 s: GET /me 200');
at_second(18);
$res = refresh($token);
is($res->{status}, 200, 'active session at 18 s: refresh 200');
$token = $res->{json}{access_token} // $token;

at_second($ABSOLUTE + 1.5);
$res = me($token);
is_error_response($res, 401, 'unauthorized',
    "active session after @{[$ABSOLUTE + 1.5]} s: GET /me");
$res = refresh($token);
is_error_response($res, 401, 'unauthorized',
    "active session after @{[$ABSOLUTE + 1.5]} s: refresh");

# A new login still works: the limits end sessions, not the account.
is(login_user($user)->{status}, 200, 'login after the absolute limit');

ok(conf_restore(), 'configuration restored');

done_testing();
