#!/usr/bin/perl
# Platform admins: `sscnctl create-admin` prints a one-time set-up link;
# the admin sets a password with it, must enrol in MFA at the first login
# (403 mfa_enrollment_required with a restricted token), and reaches the
# admin endpoints only from an MFA-verified (aal2) session.  An admin
# cannot turn MFA off.  Locking a user ends the user's sessions and stops
# logins; unlocking also clears a failed-login lock.  Other users get 403
# forbidden on admin endpoints.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $addr = client_addr();
my $RESTRICTED_TOP = [qw(access_token token_type expires_in user)];

# ---- create-admin ----------------------------------------------------------------------

my $admin = { email => unique_email('admin'), password => strong_password() };
my ($status, $out) = sscnctl('create-admin', $admin->{email}, '--name',
    'Ada Quorn');
is($status, 0, 'sscnctl create-admin: exit 0') or diag($out);
my ($setup_token) = $out =~ m{\Q$URL\E/reset-password#token=([A-Za-z0-9_-]+)};
ok(defined $setup_token, 'create-admin: prints a set-up link') or diag($out);
BAIL_OUT('no set-up link') unless defined $setup_token;

($status, $out) = sscnctl('create-admin', $admin->{email});
isnt($status, 0, 'create-admin for an existing address fails');
like($out, qr/already exists/, 'create-admin for an existing address: message');

my $res = login_user($admin, addr => $addr);
is_error_response($res, 401, 'invalid_credentials', 'admin login before set-up');

$res = api('POST', '/api/v1/auth/password/reset',
    json => { token => $setup_token, new_password => $admin->{password} });
is($res->{status}, 204, 'admin sets a password with the set-up link')
    or diag($res->{body});
$res = api('POST', '/api/v1/auth/password/reset',
    json => { token => $setup_token, new_password => strong_password() });
is_error_response($res, 400, 'validation_failed', 'set-up link used twice');

# ---- first login: enrolment required ------------------------------------------------

$res = login_user($admin);
my $body = is_error_response($res, 403, 'mfa_enrollment_required',
    'first admin login', allow_top => $RESTRICTED_TOP);
my $token = $body->{access_token};
ok(defined $token, 'first admin login: restricted access token');
is($body->{user}{role}, 'admin', 'first admin login: role admin');

is(api('GET', '/api/v1/me', token => $token)->{status}, 200,
    'restricted admin: GET /me 200');
$res = api('GET', '/api/v1/admin/users', token => $token);
is_error_response($res, 403, 'mfa_enrollment_required',
    'restricted admin: GET /admin/users');

$res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
my $secret = $res->{json}{secret};
ok(defined $secret, 'admin: totp/setup') or diag($res->{body});
$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
    json => { code => totp_code($secret // '') });
is(scalar @{ $res->{json}{recovery_codes} // [] }, 10, 'admin: totp/confirm')
    or diag($res->{body});

# ---- admin endpoints with the aal2 session ----------------------------------------------

$res = api('GET', '/api/v1/admin/users?limit=5', token => $token);
my $list = is_json_ok($res, 200, 'aal2 admin: GET /admin/users');
ok(ref $list->{items} eq 'ARRAY' && @{ $list->{items} } <= 5,
    'admin users: at most limit items');
ok(exists $list->{next_cursor}, 'admin users: next_cursor');
is_deeply([sort keys %{ $list->{items}[0] // {} }],
    [qw(email full_name id is_admin last_login_at locked mfa_enabled)],
    'admin users: item keys');
$res = api('GET', '/api/v1/admin/users?limit=0', token => $token);
is_error_response($res, 400, 'validation_failed', 'admin users with limit=0');

$res = api('DELETE', '/api/v1/auth/mfa/totp', token => $token,
    json => { password => $admin->{password}, code => totp_code($secret // '', 30) });
is_error_response($res, 403, 'forbidden', 'admin cannot turn MFA off');
is(api('GET', '/api/v1/me', token => $token)->{json}{mfa_enabled},
    JSON::PP::true, 'admin: MFA still on');

# The next admin login needs the second factor.
$res = login_user($admin);
ok($res->{json}{mfa_required}, 'second admin login: mfa_required');

# ---- non-admin ----------------------------------------------------------------------

my $member = verified_user();
ok($member, 'ordinary user') or BAIL_OUT('cannot create a user');
my $member_login = login_user($member);
my $member_id = $member_login->{json}{user}{id} // '';
for my $case (['GET', '/api/v1/admin/users'],
    ['POST', "/api/v1/admin/users/$member_id/lock"],
    ['POST', "/api/v1/admin/users/$member_id/unlock"]) {
	my ($method, $path) = @$case;
	$res = api($method, $path, token => $member_login->{token});
	is_error_response($res, 403, 'forbidden', "non-admin $method $path");
}
$res = api('GET', '/api/v1/admin/users');
is_error_response($res, 401, 'unauthorized', 'GET /admin/users without a token');

# ---- lock and unlock ------------------------------------------------------------------

{
	my $other_session = login_user($member);
	$res = api('POST', "/api/v1/admin/users/$member_id/lock", token => $token);
	is($res->{status}, 204, 'admin lock: 204') or diag($res->{body});
	my @actions = map { $_->{action} } audit_rows(header($res, 'X-Request-ID'));
	ok((grep { $_ eq 'admin.lock' } @actions), 'admin lock: audit row admin.lock');
	is(scalar(grep { $_ eq 'auth.session_revoke' } @actions), 2,
	    "admin lock: the user's two sessions revoked");

	for my $s (['first', $member_login], ['second', $other_session]) {
		$res = api('GET', '/api/v1/me', token => $s->[1]{token});
		is_error_response($res, 401, 'unauthorized',
		    "locked user's $s->[0] session");
	}
	$res = api('POST', '/api/v1/auth/refresh', token => $member_login->{token});
	is_error_response($res, 401, 'unauthorized', 'locked user: refresh');
	$res = login_user($member, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials', 'locked user: login');

	is((find_user($token, $member_id) // {})->{locked}, JSON::PP::true,
	    'admin users: locked true');

	$res = api('POST', "/api/v1/admin/users/$member_id/unlock", token => $token);
	is($res->{status}, 204, 'admin unlock: 204') or diag($res->{body});
	is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
	    ['admin.unlock'], 'admin unlock: audit row admin.unlock');
	$res = login_user($member);
	is($res->{status}, 200, 'unlocked user: login') or diag($res->{body});
}

{
	# Unlock also ends a lock from failed logins.
	for my $n (1 .. 5) {
		login_user($member, password => strong_password(), addr => $addr);
	}
	$res = login_user($member, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials', 'user locked by failures');
	is((find_user($token, $member_id) // {})->{locked}, JSON::PP::true,
	    'admin users: failed-login lock shows as locked');
	$res = api('POST', "/api/v1/admin/users/$member_id/unlock", token => $token);
	is($res->{status}, 204, 'admin unlock after failures: 204');
	$res = login_user($member, addr => $addr);
	is($res->{status}, 200, 'unlock clears the failed-login lock') or diag($res->{body});
}

for my $action (qw(lock unlock)) {
	$res = api('POST', "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/$action",
	    token => $token);
	is_error_response($res, 404, 'not_found', "admin $action of an unknown user");
	$res = api('POST', "/api/v1/admin/users/not-a-uuid/$action", token => $token);
	is_error_response($res, 404, 'not_found', "admin $action of a malformed id");
}

done_testing();

# The item of USER_ID in GET /api/v1/admin/users, following next_cursor.
sub find_user ($admin_token, $user_id) {
	my $cursor;
	for (1 .. 1000) {
		my $path = '/api/v1/admin/users?limit=100'
		    . (defined $cursor ? "&cursor=$cursor" : '');
		my $page = api('GET', $path, token => $admin_token)->{json} // {};
		my ($item) = grep { $_->{id} eq $user_id } @{ $page->{items} // [] };
		return $item if $item;
		$cursor = $page->{next_cursor} // return undef;
	}
	return undef;
}
