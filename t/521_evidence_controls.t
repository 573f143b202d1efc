#!/usr/bin/perl
# `sscnctl evidence --json` lists each control with PASS or FAIL and its
# figure.  An admin without MFA makes admin_mfa FAIL with the count, and
# the control passes again once that admin has MFA.  A fresh backup and
# restore test make those controls PASS.  The admin flag and the
# MFA date are set through the superuser, as create-admin and the MFA
# set-up would leave them.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use JSON::PP;
use Test::More;

require_stack();

my $program = find_program('sscnctl') or BAIL_OUT('sscnctl is not built');

# The controls of `sscnctl evidence --json`, by name.
sub controls () {
	my ($status, $out) = run_cmd([$program, '-c', "$DEV/sscn.conf",
	    'evidence', '--json'], timeout => 60);
	is($status, 0, 'evidence --json: exit 0') or diag($out);
	$out =~ s/^[^{]*//s;	# stderr lines come first, if any
	my $report = eval { decode_json($out) } // {};
	return { map { $_->{control} => $_ } @{ $report->{controls} // [] } };
}

my $baseline = psql_value('SELECT count(*) FROM sscn.users WHERE is_admin '
    . 'AND totp_enabled_at IS NULL AND purged_at IS NULL');
is($baseline, 0, 'no admin without MFA before the test');

# A backup and a restore test just now, for their controls.
for my $command (['backup'], ['restore-test']) {
	my ($status, $out) = run_cmd([$program, '-c', "$DEV/sscn.conf",
	    @$command], timeout => 120);
	is($status, 0, "sscnctl @$command: exit 0") or diag($out);
}

my $c = controls();
for my $name (qw(lockout session_timeouts admin_mfa user_mfa_share
    key_versions audit_chain dormant_accounts access_review incidents purge
    backups restore_tests)) {
	ok(exists $c->{$name}, "control $name: reported");
	like($c->{$name}{status} // '', qr/^(PASS|FAIL|unknown|not configured)$/,
	    "control $name: has a status");
	ok(length($c->{$name}{figure} // ''), "control $name: has a figure");
}
is($c->{admin_mfa}{status}, 'PASS', 'admin_mfa: PASS at the start');
is($c->{audit_chain}{status}, 'PASS', 'audit_chain: PASS on an intact log');
is($c->{backups}{status}, 'PASS', 'backups: PASS after a backup');
like($c->{backups}{figure} // '', qr/0 hours ago/, 'backups: its age');
is($c->{restore_tests}{status}, 'PASS', 'restore_tests: PASS after a test');

# ---- an admin without MFA ---------------------------------------------------------

my $user = verified_user();
my $id = user_id_of($user->{email});
psql_value("UPDATE sscn.users SET is_admin = true WHERE id = '$id'");
$c = controls();
is($c->{admin_mfa}{status}, 'FAIL', 'admin without MFA: FAIL');
is($c->{admin_mfa}{count}, 1, 'admin without MFA: count 1');
like($c->{admin_mfa}{figure}, qr/^1 admins without MFA$/,
    'admin without MFA: figure');

# ---- after enrolment -----------------------------------------------------------------

psql_value("UPDATE sscn.users SET totp_enabled_at = now() WHERE id = '$id'");
$c = controls();
is($c->{admin_mfa}{status}, 'PASS', 'admin with MFA: PASS');
is($c->{admin_mfa}{count}, 0, 'admin with MFA: count 0');
like($c->{user_mfa_share}{figure}, qr/^[1-9]\d* of \d+ users/,
    'user_mfa_share: counts the enrolled user');

psql_value("UPDATE sscn.users SET is_admin = false, totp_enabled_at = NULL "
    . "WHERE id = '$id'");

done_testing();
