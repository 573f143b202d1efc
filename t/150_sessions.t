#!/usr/bin/perl
# Sessions: at most max_sessions (5) per user, a sixth login ends the
# oldest with an auth.session_revoke audit row; GET /api/v1/auth/sessions
# lists the live ones; DELETE /api/v1/auth/sessions/{id}, logout and
# refresh; a password change needs the current password and ends every
# other session of the user.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $MAX_SESSIONS = 5;
my $UUID = qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
my $RFC3339_UTC = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

sub me_status ($token) {
	return api('GET', '/api/v1/me', token => $token)->{status} // 'none';
}

my $user = verified_user();
ok($user, 'user for sessions') or BAIL_OUT('cannot create a user');

# ---- at most five sessions ---------------------------------------------------------

my @logins;
for my $n (1 .. $MAX_SESSIONS) {
	my $res = login_user($user);
	is($res->{status}, 200, "login $n") or BAIL_OUT("login failed: $res->{body}");
	push @logins, $res;
}
is(scalar(grep { me_status($_->{token}) == 200 } @logins), $MAX_SESSIONS,
    "$MAX_SESSIONS sessions: every token works");

my $sixth = login_user($user);
is($sixth->{status}, 200, 'login 6');
my $oldest = shift @logins;
push @logins, $sixth;

my $res = api('GET', '/api/v1/me', token => $oldest->{token});
is_error_response($res, 401, 'unauthorized', 'oldest session after a sixth login');
is(scalar(grep { me_status($_->{token}) == 200 } @logins), $MAX_SESSIONS,
    'the five newest sessions still work');
{
	my @rows = grep { $_->{action} eq 'auth.session_revoke' }
	    audit_rows(header($sixth, 'X-Request-ID'));
	is(scalar @rows, 1, 'sixth login: one auth.session_revoke audit row');
	is($rows[0]{target}, $oldest->{sid}, 'session_revoke row: target is the oldest session');
	is($rows[0]{details}{reason}, 'session_limit', 'session_revoke row: reason session_limit');
}

# ---- list --------------------------------------------------------------------------

my $current = $logins[-1];
$res = api('GET', '/api/v1/auth/sessions', token => $current->{token});
my $list = is_json_ok($res, 200, 'GET /auth/sessions');
my @items = @{ $list->{items} // [] };
is(scalar @items, $MAX_SESSIONS, "session list: $MAX_SESSIONS items");
ok(exists $list->{next_cursor}, 'session list: next_cursor');
is_deeply([sort map { $_->{id} } @items], [sort map { $_->{sid} } @logins],
    'session list: the ids of the live sessions');
is_deeply([map { $_->{id} } grep { $_->{current} } @items], [$current->{sid}],
    'session list: only the calling session is current');
for my $item (@items[0 .. 0]) {
	is_deeply([sort keys %$item],
	    [qw(created_at current id ip last_seen_at user_agent)],
	    'session item: id, created_at, last_seen_at, ip, user_agent, current');
	like($item->{id}, $UUID, 'session item: id is a UUID');
	like($item->{created_at} // '', $RFC3339_UTC, 'session item: created_at RFC 3339 UTC');
	like($item->{last_seen_at} // '', $RFC3339_UTC, 'session item: last_seen_at RFC 3339 UTC');
	like($item->{ip} // '', qr/^(127\.0\.0\.1|::1)$/, 'session item: ip of the client');
	is($item->{user_agent}, 'sscn-tests', 'session item: user_agent');
	ok(JSON::PP::is_bool($item->{current}), 'session item: current is a boolean');
}

# ---- revoke one session ------------------------------------------------------------

{
	my $victim = $logins[0];
	$res = api('DELETE', "/api/v1/auth/sessions/$victim->{sid}",
	    token => $current->{token});
	is($res->{status}, 204, 'DELETE /auth/sessions/{id}: 204') or diag($res->{body});
	my @rows = audit_rows(header($res, 'X-Request-ID'));
	is_deeply([map { [$_->{action}, $_->{target}] } @rows],
	    [['auth.session_revoke', $victim->{sid}]],
	    'DELETE /auth/sessions/{id}: audit row auth.session_revoke');
	$res = api('GET', '/api/v1/me', token => $victim->{token});
	is_error_response($res, 401, 'unauthorized', 'token of the revoked session');
	is(me_status($current->{token}), 200, 'calling session still works');

	$res = api('DELETE', "/api/v1/auth/sessions/$victim->{sid}",
	    token => $current->{token});
	is_error_response($res, 404, 'not_found', 'DELETE a revoked session again');
	$res = api('DELETE', '/api/v1/auth/sessions/00000000-0000-0000-0000-000000000000',
	    token => $current->{token});
	is_error_response($res, 404, 'not_found', 'DELETE an unknown session');
	$res = api('DELETE', '/api/v1/auth/sessions/not-a-uuid',
	    token => $current->{token});
	is_error_response($res, 404, 'not_found', 'DELETE a malformed session id');
	$res = api('DELETE', "/api/v1/auth/sessions/$logins[1]{sid}");
	is_error_response($res, 401, 'unauthorized', 'DELETE without a token');
	is(me_status($logins[1]{token}), 200, 'DELETE without a token: session lives');
}

# Another user cannot end this user's sessions.
my $other = verified_user();
my $other_login = $other ? login_user($other) : {};
{
	$res = api('DELETE', "/api/v1/auth/sessions/$logins[1]{sid}",
	    token => $other_login->{token});
	is_error_response($res, 404, 'not_found', "DELETE another user's session");
	is(me_status($logins[1]{token}), 200, "another user's DELETE: session lives");
}

# ---- refresh ----------------------------------------------------------------------

{
	my $old = $logins[1];
	$res = api('POST', '/api/v1/auth/refresh', token => $old->{token});
	my $body = is_json_ok($res, 200, 'refresh');
	ok(defined $body->{access_token} && $body->{access_token} ne $old->{token},
	    'refresh: a new access token');
	is($body->{token_type}, 'Bearer', 'refresh: token_type Bearer');
	my $claims = jwt_claims($body->{access_token} // '') // {};
	is($claims->{sid}, $old->{sid}, 'refresh: same session');
	isnt($claims->{jti}, (jwt_claims($old->{token}) // {})->{jti}, 'refresh: new jti');
	is(me_status($body->{access_token}), 200, 'refreshed token works');
	is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
	    ['auth.refresh'], 'refresh: audit row auth.refresh');

	$res = api('POST', '/api/v1/auth/refresh');
	is_error_response($res, 401, 'unauthorized', 'refresh without a token');
}

# ---- logout -----------------------------------------------------------------------

{
	my $leaving = $logins[2];
	$res = api('POST', '/api/v1/auth/logout', token => $leaving->{token});
	is($res->{status}, 204, 'logout: 204') or diag($res->{body});
	is($res->{body}, '', 'logout: empty body');
	is_deeply([map { [$_->{action}, $_->{target}] } audit_rows(header($res, 'X-Request-ID'))],
	    [['auth.logout', $leaving->{sid}]], 'logout: audit row auth.logout');
	$res = api('GET', '/api/v1/me', token => $leaving->{token});
	is_error_response($res, 401, 'unauthorized', 'token after logout');
	$res = api('POST', '/api/v1/auth/refresh', token => $leaving->{token});
	is_error_response($res, 401, 'unauthorized', 'refresh after logout');
	$res = api('POST', '/api/v1/auth/logout', token => $leaving->{token});
	is_error_response($res, 401, 'unauthorized', 'logout twice');
	is(me_status($current->{token}), 200, 'logout ends only its own session');
}

# ---- password change ------------------------------------------------------------

{
	my $first = $current;
	my $second = $logins[3];
	my $path = '/api/v1/auth/password/change';
	my $new_password = strong_password();

	$res = api('POST', $path, token => $first->{token}, addr => client_addr(),
	    json => { current_password => 'Wrong-' . $user->{password},
	    new_password => $new_password });
	is_error_response($res, 401, 'invalid_credentials',
	    'password change with a wrong current password');
	is(me_status($second->{token}), 200, 'failed change: other session lives');

	$res = api('POST', $path, token => $first->{token},
	    json => { current_password => $user->{password}, new_password => 'password' });
	my $err = is_error_response($res, 400, 'weak_password',
	    'password change to a weak password');
	my $fields = ref $err eq 'HASH' ? $err->{error}{fields} // {} : {};
	like($fields->{password} // $fields->{new_password} // '', qr/\bcommon_password\b/,
	    'weak new password: fields lists the failed rules');

	$res = api('POST', $path, token => $first->{token},
	    json => { new_password => $new_password });
	is_error_response($res, 400, 'validation_failed',
	    'password change without current_password');

	$res = api('POST', $path, json => { current_password => $user->{password},
	    new_password => $new_password });
	is_error_response($res, 401, 'unauthorized', 'password change without a token');

	my $others = grep { me_status($_->{token}) == 200 } @logins;
	$others--;
	$res = api('POST', $path, token => $first->{token},
	    json => { current_password => $user->{password},
	    new_password => $new_password });
	is($res->{status}, 204, 'password change: 204') or diag($res->{body});
	my @actions = map { $_->{action} } audit_rows(header($res, 'X-Request-ID'));
	ok((grep { $_ eq 'auth.password_change' } @actions),
	    'password change: audit row auth.password_change');
	is(scalar(grep { $_ eq 'auth.session_revoke' } @actions), $others,
	    'password change: one auth.session_revoke row per other live session')
	    or diag("actions: @actions");

	is(me_status($first->{token}), 200, 'password change: own session lives');
	$res = api('GET', '/api/v1/me', token => $second->{token});
	is_error_response($res, 401, 'unauthorized',
	    'second session after the password change from the first');
	$res = api('POST', '/api/v1/auth/refresh', token => $second->{token});
	is_error_response($res, 401, 'unauthorized',
	    'refresh of the second session after the password change');
	is(scalar(grep { me_status($_->{token}) == 200 } @logins), 1,
	    'password change: only the changing session lives');

	$res = login_user($user, addr => client_addr());
	is_error_response($res, 401, 'invalid_credentials', 'login with the old password');
	$user->{password} = $new_password;
	is(login_user($user)->{status}, 200, 'login with the new password');
	ok(mail_for($user->{email}, 'password_changed'), 'password change: owner notified');
}

done_testing();
