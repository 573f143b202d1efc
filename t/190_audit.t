#!/usr/bin/perl
# Audit log: one account goes through registration, verification, failed
# and successful logins, refresh, MFA set-up and use, a TOTP replay, a
# recovery code, session revocation, password change, logout, forgot,
# reset and MFA off.  Each request leaves the expected audit rows with
# request_id equal to its X-Request-ID, the client address and user agent.
# The runtime role sscn_app can insert audit rows but not read, change or
# delete them.  No password, token, TOTP secret or code, or recovery code
# used here appears in any audit row, any file in $SSCN_DEV/log or any
# error body.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();

my $addr = client_addr();

# Offsets of the log files now: secrets made below can only appear later.
my %log_offset;
opendir(my $dh, "$DEV/log") or die "cannot open $DEV/log: $!";
for my $file (grep { -f } map { "$DEV/log/$_" } sort readdir $dh) {
	$log_offset{$file} = file_size($file);
}
closedir $dh;

my @secrets;	# long secrets: passwords, tokens, the TOTP secret
my @codes;	# TOTP codes, searched for only as whole numbers
my @steps;	# [name, request id, expected actions, result of the first]
my @error_bodies;

# Record a request: its id and the audit actions it must leave.
sub step ($name, $res, @actions) {
	my $rid = header($res, 'X-Request-ID');
	ok(defined $rid, "$name: has X-Request-ID") or return $res;
	push @steps, [$name, $rid, \@actions];
	push @error_bodies, [$name, $res->{body}]
	    if ($res->{status} // 0) >= 400;
	return $res;
}

sub token_of ($res) {
	my $token = ref $res->{json} eq 'HASH' ? $res->{json}{access_token} : undef;
	push @secrets, $token if defined $token;
	return $token;
}

# ---- the flow ----------------------------------------------------------------------

my ($user, $res) = register_user();
push @secrets, $user->{password};
step('register', $res, 'auth.register');
is($res->{status}, 202, 'register: 202');

my ($mail) = mail_for($user->{email}, 'verify_email');
my $verify_token = $mail ? link_token($mail) : '';
push @secrets, $verify_token;
$res = step('verify-email', api('POST', '/api/v1/auth/verify-email',
    json => { token => $verify_token }), 'auth.verify_email');
is($res->{status}, 200, 'verify-email: 200');

my $wrong = strong_password();
push @secrets, $wrong;
$res = step('wrong password', login_user($user, password => $wrong, addr => $addr),
    'auth.login');
is($res->{status}, 401, 'wrong password: 401');

$res = step('login', login_user($user), 'auth.login', 'auth.session_start');
my $t1 = token_of($res);

$res = step('refresh', api('POST', '/api/v1/auth/refresh', token => $t1),
    'auth.refresh');
token_of($res);

$res = step('totp setup', api('POST', '/api/v1/auth/mfa/totp/setup', token => $t1),
    'auth.mfa_setup');
my $secret = $res->{json}{secret} // '';
push @secrets, $secret;

my $confirm_code = totp_code($secret, -30);
push @codes, $confirm_code;
$res = step('totp confirm', api('POST', '/api/v1/auth/mfa/totp/confirm',
    token => $t1, json => { code => $confirm_code }), 'auth.mfa_confirm');
my @recovery = @{ $res->{json}{recovery_codes} // [] };
is(scalar @recovery, 10, 'totp confirm: recovery codes');
push @secrets, @recovery;

$res = step('login with MFA', login_user($user), 'auth.login');
my $mfa_token = $res->{json}{mfa_token} // '';
push @secrets, $mfa_token;

my $bad_code = sprintf '%06d', (($confirm_code // 0) + 500000) % 1000000;
push @codes, $bad_code;
$res = step('wrong TOTP code', api('POST', '/api/v1/auth/mfa/verify', addr => $addr,
    json => { mfa_token => $mfa_token, code => $bad_code }), 'auth.login');
is($res->{status}, 401, 'wrong TOTP code: 401');

my $code = totp_code($secret);
push @codes, $code;
$res = step('mfa verify', api('POST', '/api/v1/auth/mfa/verify',
    json => { mfa_token => $mfa_token, code => $code }),
    'auth.mfa_success', 'auth.session_start');
my $t2 = token_of($res);

$res = login_user($user);
my $mfa_token2 = $res->{json}{mfa_token} // '';
push @secrets, $mfa_token2;
$res = step('TOTP replay', api('POST', '/api/v1/auth/mfa/verify', addr => $addr,
    json => { mfa_token => $mfa_token2, code => $code }), 'auth.login');
is($res->{status}, 401, 'TOTP replay: 401');

$res = step('recovery code', api('POST', '/api/v1/auth/mfa/verify',
    json => { mfa_token => $mfa_token2, recovery_code => $recovery[0] }),
    'auth.recovery_code_use', 'auth.session_start');
my $t3 = token_of($res);

my $sid1 = (jwt_claims($t1 // '') // {})->{sid} // '';
$res = step('revoke session', api('DELETE', "/api/v1/auth/sessions/$sid1",
    token => $t2), 'auth.session_revoke');
is($res->{status}, 204, 'revoke session: 204');

my $changed = strong_password();
push @secrets, $changed;
$res = step('password change', api('POST', '/api/v1/auth/password/change',
    token => $t2, json => { current_password => $user->{password},
    new_password => $changed }), 'auth.password_change', 'auth.session_revoke');
is($res->{status}, 204, 'password change: 204');

$res = step('logout', api('POST', '/api/v1/auth/logout', token => $t2), 'auth.logout');
is($res->{status}, 204, 'logout: 204');

$res = step('forgot', api('POST', '/api/v1/auth/password/forgot',
    json => { email => $user->{email} }), 'auth.password_forgot');
my ($reset_mail) = reverse mail_for($user->{email}, 'password_reset');
my $reset_token = $reset_mail ? link_token($reset_mail) : '';
push @secrets, $reset_token;

my $reset = strong_password();
push @secrets, $reset;
$res = step('reset', api('POST', '/api/v1/auth/password/reset',
    json => { token => $reset_token, new_password => $reset }), 'auth.password_reset');
is($res->{status}, 204, 'reset: 204');

$res = login_user($user, password => $reset);
$res = api('POST', '/api/v1/auth/mfa/verify', json => {
    mfa_token => $res->{json}{mfa_token} // '', recovery_code => $recovery[1] });
my $t4 = token_of($res);
my $off_code = totp_code($secret, 30);
push @codes, $off_code;
$res = step('MFA off', api('DELETE', '/api/v1/auth/mfa/totp', token => $t4,
    json => { password => $reset, code => $off_code }), 'auth.mfa_disable');
is($res->{status}, 204, 'MFA off: 204');

# A few errors whose bodies must not echo what was sent.
step('login error', login_user($user, password => $wrong, addr => $addr));
step('reset error', api('POST', '/api/v1/auth/password/reset',
    json => { token => $reset_token, new_password => $reset }));
step('weak password error', api('POST', '/api/v1/auth/password/change',
    token => $t4, json => { current_password => $reset, new_password => "$wrong" x 9 }));
step('mfa error', api('POST', '/api/v1/auth/mfa/verify', addr => $addr,
    json => { mfa_token => $mfa_token, code => $code }));

# ---- the rows ----------------------------------------------------------------------

my $user_id = user_id_of($user->{email}) // '';
my %by_rid;
push @{ $by_rid{ $_->{request_id} } }, $_ for audit_rows(map { $_->[1] } @steps);

for my $step (@steps) {
	my ($name, $rid, $actions) = @$step;
	next unless @$actions;
	my @rows = @{ $by_rid{$rid} // [] };
	my @got = map { $_->{action} } @rows;
	for my $action (@$actions) {
		ok((grep { $_ eq $action } @got),
		    "$name: audit row $action with request_id = X-Request-ID")
		    or diag("rows for $rid: @got");
	}
	for my $row (@rows) {
		ok(defined $row->{address}, "$name: $row->{action} row has the address");
		is($row->{user_agent}, 'sscn-tests', "$name: $row->{action} row has the user agent");
		like($row->{result}, qr/^(success|failure|denied)$/,
		    "$name: $row->{action} row has a result");
	}
	my ($main) = grep { $_->{action} eq $actions->[0] } @rows;
	ok($main && (($main->{actor_id} // '') eq $user_id
	    || ($main->{target} // '') eq $user_id),
	    "$name: $actions->[0] row names the user as actor or target");
}

{
	my %rows = map { $_->[0] => $by_rid{ $_->[1] } // [] } @steps;
	my ($failure) = grep { $_->{action} eq 'auth.login' } @{ $rows{'wrong password'} };
	is($failure->{result}, 'failure', 'wrong password: result failure');
	is($failure->{details}{reason}, 'wrong_password', 'wrong password: reason');
	is($failure->{address}, $addr, 'wrong password: address of the client');
	($failure) = grep { $_->{action} eq 'auth.login' } @{ $rows{'wrong TOTP code'} };
	is($failure->{details}{reason}, 'totp_invalid', 'wrong TOTP code: reason');
	($failure) = grep { $_->{action} eq 'auth.login' } @{ $rows{'TOTP replay'} };
	is($failure->{details}{reason}, 'totp_replay', 'TOTP replay: reason');
	my ($success) = grep { $_->{action} eq 'auth.login' } @{ $rows{'login'} };
	is($success->{result}, 'success', 'login: result success');
	is($success->{actor_id}, $user_id, 'login: actor is the user');
}

{
	my $row = psql_json("SELECT occurred_at::text AS at, "
	    . "extract(epoch FROM occurred_at - now()) AS age "
	    . "FROM sscn.audit_log WHERE request_id = '$steps[0][1]'") // [];
	ok(@$row && abs($row->[0]{age}) < 600, 'register row: time of the request')
	    or diag(explain $row);
}

# ---- the runtime role ----------------------------------------------------------------

# INSERT is granted per column: the runtime role fills the event's fields,
# while the time, the id and the hashes come from the database.
for my $column (qw(actor_id organization_id address user_agent action target
    result request_id details)) {
	is(psql_value("SELECT has_column_privilege('sscn_app', 'sscn.audit_log', "
	    . "'$column', 'INSERT')"), 't', "sscn_app: may INSERT $column");
}
for my $column (qw(id occurred_at prev_hash hash)) {
	is(psql_value("SELECT has_column_privilege('sscn_app', 'sscn.audit_log', "
	    . "'$column', 'INSERT')"), 'f', "sscn_app: may not INSERT $column");
}
for my $privilege (qw(SELECT UPDATE DELETE TRUNCATE)) {
	is(psql_value("SELECT has_table_privilege('sscn_app', 'sscn.audit_log', "
	    . "'$privilege')"), 'f', "sscn_app: no $privilege on the audit log");
}
for my $case (['SELECT', 'SELECT count(*) FROM sscn.audit_log'],
    ['UPDATE', "UPDATE sscn.audit_log SET result = 'denied' WHERE request_id = '$steps[0][1]'"],
    ['DELETE', "DELETE FROM sscn.audit_log WHERE request_id = '$steps[0][1]'"],
    ['TRUNCATE', 'TRUNCATE sscn.audit_log']) {
	my ($name, $sql) = @$case;
	my ($status, $out) = dev_tool('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
	    '-c', "BEGIN; SET LOCAL ROLE sscn_app; $sql; ROLLBACK;");
	isnt($status, 0, "sscn_app: $name on the audit log fails");
	like($out, qr/permission denied/i, "sscn_app: $name is permission denied")
	    or diag($out);
}
is(scalar audit_rows($steps[0][1]), 1, 'register row still there, unchanged');

# ---- no secret anywhere --------------------------------------------------------------

@secrets = grep { defined && length >= 8 } @secrets;
@codes = grep { defined } @codes;
cmp_ok(scalar @secrets, '>=', 20, 'secrets collected: ' . scalar @secrets);
is(scalar @codes, 4, 'TOTP codes collected');

{
	my $list = join ', ', map { "'" . s/'/''/gr . "'" } @secrets;
	my $found = psql_value("SELECT count(*) FROM unnest(ARRAY[$list]) s "
	    . "WHERE EXISTS (SELECT 1 FROM sscn.audit_log a WHERE strpos(a::text, s) > 0)");
	is($found, 0, 'audit log: no password, token or secret in any row');

	# The same search finds what the rows do contain: the user's id.
	is(psql_value("SELECT count(*) FROM unnest(ARRAY['$user_id']) s "
	    . "WHERE EXISTS (SELECT 1 FROM sscn.audit_log a WHERE strpos(a::text, s) > 0)"),
	    1, 'audit log search: finds the user id (control)');

	my $json = JSON::PP->new->canonical;
	my $text = join "\n", map { $json->encode($_) } map { @$_ } values %by_rid;
	my @hits = grep { $text =~ /(?<![0-9A-Za-z])\Q$_\E(?![0-9A-Za-z])/ } @codes;
	is_deeply(\@hits, [], 'audit rows of the flow: no TOTP code');
}

# nginx buffers its access log for up to one second.
sleep 1.5;
my %rid = map { $_->[1] => 1 } @steps;
for my $file (sort keys %log_offset) {
	my $text = read_from($file, $log_offset{$file});
	my @found = grep { index($text, $_) >= 0 } @secrets;
	is(scalar @found, 0, "no secret in $file")
	    or diag('found: ' . join(', ', map { substr($_, 0, 12) . '...' } @found));
	my @lines = grep { /request_id=([0-9a-f]+)/ && $rid{$1} } split /\n/, $text;
	my @hits = grep { my $c = $_; grep { /(?<![0-9A-Za-z])\Q$c\E(?![0-9A-Za-z])/ } @lines }
	    @codes;
	is(scalar @hits, 0, "no TOTP code in the lines of $file about the flow");
	if ($file eq $SSCND_LOG || $file =~ /nginx-access\.log$/) {
		cmp_ok(scalar @lines, '>', 0,
		    "$file: the flow's lines were searched (control)");
	}
}

for my $entry (@error_bodies) {
	my ($name, $body) = @$entry;
	my @found = grep { index($body // '', $_) >= 0 } @secrets;
	push @found, grep { ($body // '') =~ /(?<![0-9A-Za-z])\Q$_\E(?![0-9A-Za-z])/ } @codes;
	is(scalar @found, 0, "$name: error body holds no secret") or diag($body);
}

done_testing();
