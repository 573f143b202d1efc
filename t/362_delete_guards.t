#!/usr/bin/perl
# Guards of POST /api/v1/data/delete-account: with MFA on the TOTP code is
# required and a wrong one is refused with mfa_invalid; the only owner of
# an organization with other members is refused with 409 until another
# member is owner; so is the last platform admin.  Every refusal leaves the
# account unscheduled.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use SSCN::Orgs qw(request_id_of);
use SSCN::Sourcing;
use SSCN::Incidents qw(mfa_admin);
use Test::More;

require_stack();

# A 6-digit code that is valid for none of the steps sscnd accepts now.
sub wrong_code ($secret) {
	my %valid = map { (totp_code($secret, $_) // '') => 1 } -30, 0, 30;
	my $code = 123456;
	$code = ($code + 111111) % 1000000 while $valid{sprintf '%06d', $code};
	return sprintf '%06d', $code;
}

# ---- MFA -------------------------------------------------------------------

my $user = verified_user() or BAIL_OUT('no verified user');
my $user_id = user_id_of($user->{email});
my $login = login_user($user);
my $secret = enrol_mfa($login->{token});
ok($secret, 'mfa: enrolled') or BAIL_OUT('MFA enrolment failed');

my $res = delete_account($login->{token}, { password => $user->{password} });
is_error_response($res, 400, 'validation_failed', 'mfa: missing code is 400');
ok(exists(($res->{json}{error}{fields} // {})->{code}),
    'mfa: the problem names the code');

$res = delete_account($login->{token},
    { password => $user->{password}, code => wrong_code($secret) });
is_error_response($res, 401, 'mfa_invalid', 'mfa: wrong code is 401');
is(user_column($user_id, 'deletion_scheduled_for'), '',
    'mfa: wrong code scheduled nothing');
my ($audit) = grep { $_->{action} eq 'account.delete_request' }
    audit_rows(request_id_of($res));
is($audit->{details}{reason} // '', 'totp_invalid',
    'mfa: wrong code audited');

$res = delete_account($login->{token},
    { password => 'Wrong-pass-123', code => totp_code($secret) });
is_error_response($res, 401, 'invalid_credentials',
    'mfa: wrong password with a good code is 401');
is(user_column($user_id, 'deletion_scheduled_for'), '',
    'mfa: wrong password scheduled nothing');

# The good code of this step may have been used above: wait for the next.
sleep(30 - time % 30 + 1);
$res = delete_account($login->{token},
    { password => $user->{password}, code => totp_code($secret) });
is($res->{status}, 202, 'mfa: password and code schedule')
    or diag($res->{body});

# ---- sole owner ----------------------------------------------------------------

my $owner = org_user('buyer');
my $member = colleague($owner, 'member');
$res = delete_account($owner->{token},
    { password => $owner->{user}{password} });
is_error_response($res, 409, 'conflict',
    'sole owner: refused while others are members');
is(user_column($owner->{user_id}, 'deletion_scheduled_for'), '',
    'sole owner: nothing scheduled');
is(open_sessions($owner->{user_id}), 1, 'sole owner: session stays open');
($audit) = grep { $_->{action} eq 'account.delete_request' }
    audit_rows(request_id_of($res));
is($audit->{result} // '', 'denied', 'sole owner: audited as denied');

# A member is no owner, so the member may leave at once.
$res = delete_account($member->{token},
    { password => $member->{user}{password} });
is($res->{status}, 202, 'member: deletion scheduled') or diag($res->{body});

# With a second owner the first may leave.
my $second = colleague($owner, 'owner');
$res = delete_account($owner->{token},
    { password => $owner->{user}{password} });
is($res->{status}, 202, 'owner with a co-owner: deletion scheduled')
    or diag($res->{body});

# The only member of an organization may leave; it is closed at purge.
my $alone = org_user('supplier');
$res = delete_account($alone->{token},
    { password => $alone->{user}{password} });
is($res->{status}, 202, 'only member: deletion scheduled')
    or diag($res->{body});

# ---- the last platform admin ------------------------------------------------

# Other tests leave admins behind: lock them for this check, then unlock.
my $admin = mfa_admin();
my $others = psql_value("SELECT string_agg(quote_literal(id), ',') "
    . "FROM sscn.users WHERE is_admin AND admin_locked_at IS NULL "
    . "AND id <> '$admin->{user_id}'") // '';
psql_value("UPDATE sscn.users SET admin_locked_at = now() "
    . "WHERE id IN ($others)") if $others ne '';
$res = delete_account($admin->{token}, { password => $admin->{password},
    code => totp_code($admin->{secret}, 30) });
is_error_response($res, 409, 'conflict', 'last admin: refused');
like($res->{json}{error}{message} // '', qr/create-admin/,
    'last admin: says how to go on');
is(psql_value("SELECT deletion_scheduled_for IS NULL FROM sscn.users "
    . "WHERE id = '$admin->{user_id}'"), 't', 'last admin: not scheduled');
psql_value("UPDATE sscn.users SET admin_locked_at = NULL "
    . "WHERE id IN ($others)") if $others ne '';

done_testing();
