#!/usr/bin/perl
# Password reset: POST /api/v1/auth/password/forgot answers 202 with the
# same body for every address and mails a link only to existing accounts
# (followed through `sscnctl mailq --json`); POST .../reset sets the new
# password, ends every session and clears the login lock; a reset token
# works once, dies when a newer one is issued, and expires.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $addr = client_addr();

sub forgot ($email) {
	return api('POST', '/api/v1/auth/password/forgot', json => { email => $email });
}

sub reset_password ($token, $password) {
	return api('POST', '/api/v1/auth/password/reset',
	    json => { token => $token, new_password => $password });
}

# The token of the newest reset mail to EMAIL.
sub reset_token_for ($email) {
	my ($mail) = reverse mail_for($email, 'password_reset');
	return $mail ? link_token($mail) : undef;
}

my $user = verified_user();
ok($user, 'user for reset') or BAIL_OUT('cannot create a user');

# ---- forgot: same answer for every address -----------------------------------------

my $unknown = unique_email('nobody');
my %answers = (
    'existing address' => forgot($user->{email}),
    'existing address in upper case' => forgot(uc $user->{email}),
    'unknown address' => forgot($unknown),
    'invalid address' => forgot('not-an-address'),
);
my $reference = $answers{'existing address'}{json};
for my $name (sort keys %answers) {
	my $body = is_json_ok($answers{$name}, 202, "forgot $name");
	is_deeply(json_shape($body), json_shape($reference),
	    "forgot $name: same body shape as for an existing address");
	is_deeply($body, $reference, "forgot $name: same body");
}
is(scalar mail_for($unknown), 0, 'forgot unknown address: no mail');
my @mails = mail_for($user->{email}, 'password_reset');
is(scalar @mails, 2, 'forgot existing address twice: two reset mails');
like($mails[-1]{body} // '', qr{\Q$URL\E/reset-password#token=[A-Za-z0-9_-]{22,}},
    'reset mail: link with a token');
{
	my $res = api('POST', '/api/v1/auth/password/forgot', json => {});
	is_error_response($res, 400, 'validation_failed', 'forgot without email');
}

# ---- a newer token makes the older one useless --------------------------------------

my $older = $mails[0] ? link_token($mails[0]) : '';
my $newer = $mails[1] ? link_token($mails[1]) : '';
isnt($older, $newer, 'two forgot requests: two different tokens');

my $session = login_user($user);
is($session->{status}, 200, 'login before the reset');
my $second = login_user($user);

{
	my $res = reset_password($older, strong_password());
	my $err = is_error_response($res, 400, 'validation_failed',
	    'reset with the older token after a newer one');
	ok(exists $err->{error}{fields}{token}, 'older token: fields.token');

	$res = reset_password($newer, 'password');
	is_error_response($res, 400, 'weak_password', 'reset to a weak password');
	is(api('GET', '/api/v1/me', token => $session->{token})->{status}, 200,
	    'weak reset: sessions untouched');

	# Lock the account, so that the reset can show that it clears the lock.
	for my $n (1 .. 5) {
		login_user($user, password => strong_password(), addr => $addr);
	}
	$res = login_user($user, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials', 'locked before the reset');

	my $new_password = strong_password();
	$res = reset_password($newer, $new_password);
	is($res->{status}, 204, 'reset with the newest token: 204') or diag($res->{body});
	my @actions = map { $_->{action} } audit_rows(header($res, 'X-Request-ID'));
	ok((grep { $_ eq 'auth.password_reset' } @actions),
	    'reset: audit row auth.password_reset');
	is(scalar(grep { $_ eq 'auth.session_revoke' } @actions), 2,
	    'reset: one auth.session_revoke row per session');

	for my $s (['first', $session], ['second', $second]) {
		$res = api('GET', '/api/v1/me', token => $s->[1]{token});
		is_error_response($res, 401, 'unauthorized',
		    "$s->[0] session after the reset");
	}

	$res = login_user($user, password => $new_password, addr => $addr);
	is($res->{status}, 200, 'reset clears the lock: login with the new password')
	    or diag($res->{body});
	$res = login_user($user, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials', 'login with the old password');
	$user->{password} = $new_password;

	$res = reset_password($newer, strong_password());
	is_error_response($res, 400, 'validation_failed', 'reset token used twice');
	is(login_user($user)->{status}, 200, 'reused token changed nothing');
	ok(mail_for($user->{email}, 'password_reset_done'), 'reset: owner notified');
}

# ---- the password change kills an outstanding token -----------------------------

{
	forgot($user->{email});
	my $token = reset_token_for($user->{email});
	my $login = login_user($user);
	my $changed = strong_password();
	my $res = api('POST', '/api/v1/auth/password/change', token => $login->{token},
	    json => { current_password => $user->{password}, new_password => $changed });
	is($res->{status}, 204, 'password change with a reset token outstanding');
	$user->{password} = $changed;
	$res = reset_password($token, strong_password());
	is_error_response($res, 400, 'validation_failed',
	    'reset token issued before a password change');
}

# ---- expiry and bad tokens ------------------------------------------------------------

{
	forgot($user->{email});
	my $token = reset_token_for($user->{email});
	my $id = user_id_of($user->{email}) // '';

	# Move the expiry into the past, as 30 minutes passing would.
	psql_value("UPDATE sscn.user_tokens SET expires_at = now() - interval '1 second' "
	    . "WHERE user_id = '$id' AND purpose = 'password_reset' AND used_at IS NULL");
	my $res = reset_password($token, strong_password());
	is_error_response($res, 400, 'validation_failed', 'expired reset token');
	is(login_user($user)->{status}, 200, 'expired token changed nothing');

	$res = reset_password('A' x 43, strong_password());
	is_error_response($res, 400, 'validation_failed', 'unknown reset token');
	$res = reset_password('short', strong_password());
	is_error_response($res, 400, 'validation_failed', 'malformed reset token');
	$res = api('POST', '/api/v1/auth/password/reset', json => { token => $token });
	is_error_response($res, 400, 'validation_failed', 'reset without new_password');
}

done_testing();
