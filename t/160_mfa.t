#!/usr/bin/perl
# TOTP multi-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s, one
# step of drift each way).  Codes come from oathtool, computed from the
# secret that POST /api/v1/auth/mfa/totp/setup returns.  Checks set-up and
# confirmation with 10 recovery codes, the two-step login, that a used
# code (replay), a used recovery code, a spent or expired mfa_token and
# an old set of recovery codes are refused, that wrong codes count toward
# the login lock, that turning MFA off needs the password and a code, and
# that an organization with require_mfa makes its members enrol first.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Test;
use Test::More;

require_stack();

my $addr = client_addr();
my $RECOVERY = qr/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/;
my $RESTRICTED_TOP = [qw(access_token token_type expires_in user)];

# A 6-digit code that is valid for none of the steps sscnd accepts now.
sub wrong_code ($secret) {
	my %valid = map { (totp_code($secret, $_) // '') => 1 } -30, 0, 30;
	my $code = 123456;
	$code = ($code + 111111) % 1000000 while $valid{sprintf '%06d', $code};
	return sprintf '%06d', $code;
}

sub verify_mfa ($mfa_token, %answer) {
	my $direct = delete $answer{direct};
	return api('POST', '/api/v1/auth/mfa/verify',
	    json => { mfa_token => $mfa_token, %answer },
	    ($direct ? (addr => $addr) : ()));
}

# Log USER in and return the mfa_token of the password step.
sub mfa_token_for ($user) {
	my $res = login_user($user);
	return ref $res->{json} eq 'HASH' ? $res->{json}{mfa_token} : undef;
}

# Turn MFA on for the session TOKEN; returns (secret, recovery codes).
sub enrol ($token, $offset = 0) {
	my $res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
	my $secret = ref $res->{json} eq 'HASH' ? $res->{json}{secret} : undef;
	return (undef, []) unless defined $secret;
	$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
	    json => { code => totp_code($secret, $offset) });
	my $codes = ref $res->{json} eq 'HASH' ? $res->{json}{recovery_codes} : undef;
	return ($secret, $codes // []);
}

# The bytes of a base32 (RFC 4648) string without padding.
sub base32_decode ($text) {
	my $bits = join '', map { sprintf '%05b', index('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', $_) }
	    split //, uc $text;
	return pack('B*', substr($bits, 0, 8 * int(length($bits) / 8)));
}

my $user = verified_user();
ok($user, 'user for MFA') or BAIL_OUT('cannot create a user');
my $login = login_user($user);
is($login->{status}, 200, 'login before MFA') or BAIL_OUT($login->{body});
my $token = $login->{token};

# ---- set-up ----------------------------------------------------------------------

my $res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
my $setup = is_json_ok($res, 200, 'totp/setup');
is_deeply([sort keys %{ $setup // {} }], [qw(otpauth_uri qr_svg secret)],
    'totp/setup: keys secret, otpauth_uri, qr_svg');
my $secret = $setup->{secret} // '';
like($secret, qr/^[A-Z2-7]{32}$/, 'totp/setup: secret is 160 bits in base32');
like($setup->{otpauth_uri} // '', qr{^otpauth://totp/}, 'otpauth_uri: otpauth://totp/');
like($setup->{otpauth_uri} // '', qr/[?&]secret=\Q$secret\E(&|$)/,
    'otpauth_uri: carries the secret');
like($setup->{otpauth_uri} // '', qr/[?&]issuer=SSCN(&|$)/, 'otpauth_uri: issuer SSCN');
like($setup->{qr_svg} // '', qr/<svg\b.*<\/svg>\s*$/s, 'qr_svg: an SVG document');
is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
    ['auth.mfa_setup'], 'totp/setup: audit row auth.mfa_setup');

SKIP: {
	my ($have) = run_cmd(['sh', '-c', 'command -v rsvg-convert && command -v zbarimg'],
	    timeout => 5);
	skip 'rsvg-convert (librsvg2-bin) or zbarimg (zbar-tools) missing', 1 if $have;
	my $dir = tempdir('sscn-t160-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	open(my $fh, '>', "$dir/qr.svg") or die "write $dir/qr.svg: $!";
	print $fh $setup->{qr_svg} // '';
	close $fh;
	run_cmd(['rsvg-convert', '-w', '400', '-b', 'white', '-o', "$dir/qr.png",
	    "$dir/qr.svg"], timeout => 30);
	my (undef, $out) = run_cmd(['zbarimg', '--raw', '-q', "$dir/qr.png"],
	    timeout => 30);

	# zbarimg may add messages about D-Bus to the output; take the URI line.
	my ($decoded) = $out =~ m{^(otpauth://\S+)$}m;
	is($decoded, $setup->{otpauth_uri}, 'qr_svg: QR code decodes to otpauth_uri')
	    or diag($out);
}

# ---- confirm ---------------------------------------------------------------------

$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
    json => { code => wrong_code($secret) }, addr => $addr);
is_error_response($res, 401, 'mfa_invalid', 'totp/confirm with a wrong code');

# One step of drift each way: codes two steps away are refused.  Near
# the end of a step the server's clock may already be in the next one,
# so wait for a fresh step first.
{
	my $into_step = time % 30;
	sleep(31 - $into_step) if $into_step > 24;
	for my $offset (-60, 60) {
		$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
		    json => { code => totp_code($secret, $offset) }, addr => $addr);
		is_error_response($res, 401, 'mfa_invalid',
		    "totp/confirm with the code of $offset s");
	}
}

# The previous step's code: oathtool's answer for 30 s ago, inside the
# one-step drift.  The current code then stays unused for the login below.
my $confirm_code = totp_code($secret, -30);
$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
    json => { code => $confirm_code });
my $confirm = is_json_ok($res, 200, 'totp/confirm with the oathtool code');
my @recovery = @{ $confirm->{recovery_codes} // [] };
is(scalar @recovery, 10, 'totp/confirm: 10 recovery codes');
is(scalar(grep { /$RECOVERY/ } @recovery), 10, 'recovery codes: form xxxx-xxxx-xxxx');
is(scalar(keys %{{ map { $_ => 1 } @recovery }}), 10, 'recovery codes: all different');
is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
    ['auth.mfa_confirm'], 'totp/confirm: audit row auth.mfa_confirm');

# The secret is stored encrypted and the recovery codes only as hashes.
{
	my $id = user_id_of($user->{email}) // '';
	my $row = (psql_json("SELECT encode(totp_secret, 'hex') AS secret, "
	    . "totp_pending_secret IS NULL AS no_pending FROM sscn.users "
	    . "WHERE id = '$id'") // [])->[0] // {};
	my $raw_hex = unpack('H*', base32_decode($secret));
	my $text_hex = unpack('H*', $secret);
	ok(length($row->{secret} // '') > length $raw_hex,
	    'stored TOTP secret: longer than the secret (nonce and tag)');
	ok(index($row->{secret} // '', $raw_hex) < 0
	    && index($row->{secret} // '', $text_hex) < 0,
	    'stored TOTP secret: neither the raw nor the base32 secret');
	is($row->{no_pending}, JSON::PP::true, 'pending secret cleared after confirm');

	my $stored = psql_value("SELECT string_agg(r::text, ' ') FROM "
	    . "sscn.recovery_codes r WHERE user_id = '$id'") // '';
	is(psql_value("SELECT count(*) FROM sscn.recovery_codes WHERE user_id = '$id' "
	    . "AND used_at IS NULL"), 10, 'recovery codes: 10 stored');
	my @plain = grep { my $c = $_; index($stored, $c) >= 0
	    || index($stored, $c =~ tr/-//dr) >= 0
	    || index($stored, unpack('H*', $c =~ tr/-//dr)) >= 0 } @recovery;
	is(scalar @plain, 0, 'recovery codes: not stored in plain text');
}

$res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
is_error_response($res, 409, 'conflict', 'totp/setup while MFA is on');
$res = api('GET', '/api/v1/me', token => $token);
ok(($res->{json}{mfa_enabled} // 0) && JSON::PP::is_bool($res->{json}{mfa_enabled}),
    'GET /me: mfa_enabled true');

# ---- two-step login with a TOTP code -------------------------------------------------

my $step1 = login_user($user);
my $step1_body = is_json_ok($step1, 200, 'login with MFA on');
is($step1_body->{mfa_required}, JSON::PP::true, 'login: mfa_required true');
like($step1_body->{mfa_token} // '', qr/^[A-Za-z0-9_-]{40,}$/, 'login: mfa_token');
ok(!exists $step1_body->{access_token}, 'login: no access_token before the code');
ok(!defined header($step1, 'Set-Cookie'), 'login: no cookie before the code');
my $mfa_token = $step1_body->{mfa_token} // '';

$res = api('GET', '/api/v1/me', token => $mfa_token);
is_error_response($res, 401, 'unauthorized', 'mfa_token used as an access token');
$res = api('POST', '/api/v1/auth/password/reset',
    json => { token => $mfa_token, new_password => strong_password() });
is_error_response($res, 400, 'validation_failed', 'mfa_token used as a reset token');
$res = api('POST', '/api/v1/auth/verify-email', json => { token => $mfa_token });
is_error_response($res, 400, 'validation_failed',
    'mfa_token used as a verification token');

$res = verify_mfa($mfa_token, code => $confirm_code, direct => 1);
is_error_response($res, 401, 'mfa_invalid', 'mfa/verify with the code used to confirm');

my $code = totp_code($secret);
$res = verify_mfa($mfa_token, code => $code);
my $full = is_json_ok($res, 200, 'mfa/verify with the current oathtool code');
ok(defined $full->{access_token}, 'mfa/verify: access token');
is((jwt_claims($full->{access_token} // '') // {})->{aal}, 'aal2', 'mfa/verify: aal2');
ok(set_cookies($res)->{'__Host-sscn_session'}, 'mfa/verify: session cookie');
is($full->{user}{mfa_enabled}, JSON::PP::true, 'mfa/verify: user.mfa_enabled true');
{
	my @actions = map { $_->{action} } audit_rows(header($res, 'X-Request-ID'));
	ok((grep { $_ eq 'auth.mfa_success' } @actions), 'mfa/verify: audit auth.mfa_success');
	ok((grep { $_ eq 'auth.session_start' } @actions), 'mfa/verify: audit auth.session_start');
}
my $aal2_token = $full->{access_token};

$res = verify_mfa($mfa_token, code => $code, direct => 1);
is_error_response($res, 401, 'mfa_invalid', 'spent mfa_token');

# ---- replay ----------------------------------------------------------------------

{
	my $again = mfa_token_for($user);
	$res = verify_mfa($again, code => $code, direct => 1);
	is_error_response($res, 401, 'mfa_invalid', 'replay of a used TOTP code');
	my ($row) = grep { $_->{action} eq 'auth.login' }
	    audit_rows(header($res, 'X-Request-ID'));
	is($row->{result}, 'failure', 'replay: audit auth.login failure');
	is($row->{details}{reason}, 'totp_replay', 'replay: reason totp_replay');

	$res = verify_mfa($again, code => wrong_code($secret), direct => 1);
	is_error_response($res, 401, 'mfa_invalid', 'mfa/verify with a wrong code');
	$res = verify_mfa($again, code => $code, recovery_code => $recovery[0],
	    direct => 1);
	is_error_response($res, 400, 'validation_failed',
	    'mfa/verify with both code and recovery_code');

	# ---- recovery codes ----
	$res = verify_mfa($again, recovery_code => $recovery[0]);
	my $body = is_json_ok($res, 200, 'mfa/verify with a recovery code');
	is((jwt_claims($body->{access_token} // '') // {})->{aal}, 'aal2',
	    'recovery code login: aal2');
	is_deeply([grep { /^auth\.(recovery_code_use|mfa_success)$/ }
	    map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
	    ['auth.recovery_code_use'], 'recovery code login: audit auth.recovery_code_use');

	my $third = mfa_token_for($user);
	$res = verify_mfa($third, recovery_code => $recovery[0], direct => 1);
	is_error_response($res, 401, 'mfa_invalid', 'reuse of a recovery code');
	$res = verify_mfa($third, recovery_code => uc $recovery[1]);
	is($res->{status}, 200, 'recovery code in upper case: accepted')
	    or diag($res->{body});
}

# ---- expired mfa_token -------------------------------------------------------------

{
	my $expiring = mfa_token_for($user);
	my $id = user_id_of($user->{email}) // '';
	psql_value("UPDATE sscn.user_tokens SET expires_at = now() - interval '1 second' "
	    . "WHERE user_id = '$id' AND purpose = 'mfa' AND used_at IS NULL");
	$res = verify_mfa($expiring, recovery_code => $recovery[2], direct => 1);
	is_error_response($res, 401, 'mfa_invalid', 'expired mfa_token');
}

# ---- new recovery codes ------------------------------------------------------------

{
	$res = api('POST', '/api/v1/auth/mfa/recovery-codes', token => $aal2_token,
	    json => { password => 'Wrong-' . $user->{password} }, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    'recovery-codes with a wrong password');
	$res = api('POST', '/api/v1/auth/mfa/recovery-codes', token => $aal2_token,
	    json => { password => $user->{password} });
	my $body = is_json_ok($res, 200, 'recovery-codes');
	my @fresh = @{ $body->{recovery_codes} // [] };
	is(scalar @fresh, 10, 'recovery-codes: 10 new codes');

	my $next = mfa_token_for($user);
	$res = verify_mfa($next, recovery_code => $recovery[3], direct => 1);
	is_error_response($res, 401, 'mfa_invalid', 'old recovery code after regeneration');
	$res = verify_mfa($next, recovery_code => $fresh[0] // '');
	is($res->{status}, 200, 'new recovery code works') or diag($res->{body});
}

# ---- turn MFA off --------------------------------------------------------------------

{
	my $path = '/api/v1/auth/mfa/totp';
	$res = api('DELETE', $path, token => $aal2_token,
	    json => { password => $user->{password}, code => wrong_code($secret) },
	    addr => $addr);
	is_error_response($res, 401, 'mfa_invalid', 'MFA off with a wrong code');
	$res = api('DELETE', $path, token => $aal2_token,
	    json => { password => 'Wrong-' . $user->{password},
	    code => totp_code($secret, 30) }, addr => $addr);
	is_error_response($res, 401, 'mfa_invalid', 'MFA off with a wrong password');
	$res = api('DELETE', $path, token => $aal2_token,
	    json => { password => $user->{password} });
	is_error_response($res, 400, 'validation_failed', 'MFA off without a code');

	# The next step's code: the current one was used by the login above.
	$res = api('DELETE', $path, token => $aal2_token,
	    json => { password => $user->{password}, code => totp_code($secret, 30) });
	is($res->{status}, 204, 'MFA off with password and code: 204') or diag($res->{body});
	is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
	    ['auth.mfa_disable'], 'MFA off: audit auth.mfa_disable');

	$res = login_user($user);
	ok(defined $res->{token}, 'login after MFA off: access token at once')
	    or diag($res->{body});
}

# ---- wrong codes count toward the lock -----------------------------------------------

{
	my $victim = verified_user();
	my $first = $victim ? login_user($victim) : {};
	my ($vsecret, $codes) = enrol($first->{token});
	ok(defined $vsecret && @$codes == 10, 'second user enrolled');
	my $vtoken = mfa_token_for($victim);
	for my $n (1 .. 5) {
		$res = verify_mfa($vtoken, code => wrong_code($vsecret), direct => 1);
		is_error_response($res, 401, 'mfa_invalid', "wrong code $n of 5");
	}
	$res = login_user($victim, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    'right password after 5 wrong codes: locked');
	my $id = $first->{json}{user}{id} // '';
	is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = 'auth.lock' "
	    . "AND target = '$id'"), 1, 'wrong codes: one auth.lock audit row');
}

# The count of wrong codes survives a new password step: otherwise whoever
# knows the password could try 4 codes per login without ever reaching the
# lock.
{
	my $victim = verified_user();
	my $first = $victim ? login_user($victim) : {};
	my ($vsecret) = enrol($first->{token});
	ok(defined $vsecret, 'third user enrolled');
	my $bad = wrong_code($vsecret // '');
	my $vtoken = mfa_token_for($victim);
	for my $n (1 .. 3) {
		verify_mfa($vtoken, code => $bad, direct => 1);
	}
	$res = login_user($victim, addr => $addr);
	ok($res->{json}{mfa_required}, 'password step after 3 wrong codes');
	$vtoken = $res->{json}{mfa_token} // '';
	for my $n (4 .. 5) {
		$res = verify_mfa($vtoken, code => $bad, direct => 1);
		is_error_response($res, 401, 'mfa_invalid', "wrong code $n of 5, new mfa_token");
	}
	$res = login_user($victim, addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    '5 wrong codes around a new password step: locked');
}

# ---- organization that requires MFA ------------------------------------------------

{
	my $member = verified_user();
	my $id = user_id_of($member->{email}) // '';
	psql_value("UPDATE sscn.organizations SET require_mfa = true WHERE id IN "
	    . "(SELECT organization_id FROM sscn.memberships WHERE user_id = '$id')");

	$res = login_user($member);
	my $body = is_error_response($res, 403, 'mfa_enrollment_required',
	    'login in an organization that requires MFA', allow_top => $RESTRICTED_TOP);
	my $restricted = $body->{access_token};
	ok(defined $restricted, 'mfa_enrollment_required: restricted access token');

	is(api('GET', '/api/v1/me', token => $restricted)->{status}, 200,
	    'restricted session: GET /me 200');
	$res = api('GET', '/api/v1/auth/sessions', token => $restricted);
	is_error_response($res, 403, 'mfa_enrollment_required',
	    'restricted session: GET /auth/sessions');

	my ($msecret, $codes) = enrol($restricted);
	is(scalar @$codes, 10, 'restricted session: enrolment works');
	$res = api('GET', '/api/v1/auth/sessions', token => $restricted);
	is($res->{status}, 200, 'after enrolment: GET /auth/sessions 200');

	$res = api('DELETE', '/api/v1/auth/mfa/totp', token => $restricted,
	    json => { password => $member->{password}, code => totp_code($msecret, 30) });
	is_error_response($res, 403, 'forbidden',
	    'MFA off in an organization that requires it');

	# One code, two logins at once on any workers: only one may pass.
	my @tokens = map { mfa_token_for($member) } 1 .. 2;
	my $next = totp_code($msecret, 30);
	my @statuses = sort { $a cmp $b } parallel_map(2, sub ($i) {
		return verify_mfa($tokens[$i], code => $next, direct => 1)->{status} // 'none';
	});
	is_deeply(\@statuses, [200, 401], 'one code in two concurrent logins: one 200, one 401')
	    or diag("statuses: @statuses");
}

done_testing();
