#!/usr/bin/perl
# POST /api/v1/data/delete-account: a request with the right password
# schedules the deletion 30 days ahead (the default deletion_grace),
# revokes every session, queues a confirmation mail and writes an audit
# row.  A wrong password, a bad body or a missing login are refused and
# change nothing.  A login during the grace period works and GET
# /api/v1/me shows the date.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use SSCN::Orgs qw(request_id_of);
use Test::More;
use Time::Local qw(timegm);

require_stack();

my $user = verified_user() or BAIL_OUT('no verified user');
my $user_id = user_id_of($user->{email});
my $first = login_user($user);
my $second = login_user($user);
ok($first->{token} && $second->{token}, 'two sessions open');

# ---- refused requests --------------------------------------------------------

is_error_response(api('POST', '/api/v1/data/delete-account',
    json => { password => $user->{password} }), 401, 'unauthorized',
    'request: no login is 401');
is_error_response(delete_account($first->{token}, {}), 400,
    'validation_failed', 'request: missing password is 400');
is_error_response(delete_account($first->{token},
    { password => $user->{password}, scheduled_for => '2030-01-01' }), 400,
    'validation_failed', 'request: unknown field is 400');
is_error_response(delete_account($first->{token}, { password => 42 }), 400,
    'validation_failed', 'request: password of the wrong type is 400');

my $wrong = delete_account($first->{token}, { password => 'Wrong-pass-123' });
is_error_response($wrong, 401, 'invalid_credentials',
    'request: wrong password is 401');
is(user_column($user_id, 'deletion_scheduled_for'), '',
    'wrong password: nothing scheduled');
is(open_sessions($user_id), 2, 'wrong password: sessions stay open');
my @refused = audit_rows(request_id_of($wrong));
my ($refusal) = grep { $_->{action} eq 'account.delete_request' } @refused;
ok($refusal, 'wrong password: audited as account.delete_request');
is($refusal->{result}, 'failure', 'wrong password: audit result failure');
is($refusal->{details}{reason}, 'wrong_password',
    'wrong password: audit reason');
ok((grep { $_->{action} eq 'auth.login' && $_->{result} eq 'failure' }
    @refused), 'wrong password: counted as a failed login');

# ---- scheduled ------------------------------------------------------------

my $res = delete_account($first->{token}, { password => $user->{password} });
is($res->{status}, 202, 'request: 202') or diag($res->{body});
my $when = ref $res->{json} eq 'HASH' ? $res->{json}{scheduled_for} : undef;
like($when // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'request: scheduled_for is RFC 3339 UTC');
if (($when // '') =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/) {
	my $ahead = timegm($6, $5, $4, $3, $2 - 1, $1) - time;
	cmp_ok(abs($ahead - 30 * 86400), '<', 120,
	    'request: scheduled 30 days ahead');
}
is(psql_value("SELECT to_char(deletion_scheduled_for AT TIME ZONE 'UTC', "
    . "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM sscn.users "
    . "WHERE id = '$user_id'"), $when, 'request: the date is stored');

is(open_sessions($user_id), 0, 'request: every session is revoked');
is(psql_value('SELECT count(*) FROM sscn.sessions '
    . "WHERE user_id = '$user_id' AND revoke_reason = 'account_deletion'"),
    2, 'request: revoke reason account_deletion');
is_error_response(api('GET', '/api/v1/me', token => $first->{token}), 401,
    'unauthorized', 'request: the requesting session is gone');
is_error_response(api('GET', '/api/v1/me', token => $second->{token}), 401,
    'unauthorized', 'request: the other session is gone');

my ($mail) = mail_for($user->{email}, 'account_deletion_scheduled');
ok($mail, 'request: confirmation mail queued');
like($mail->{body} // '', qr/\Q$when\E/, 'mail: names the date');

my ($audit) = grep { $_->{action} eq 'account.delete_request' }
    audit_rows(request_id_of($res));
ok($audit, 'request: audit row');
is($audit->{result}, 'success', 'audit: result success');
is($audit->{actor_id}, $user_id, 'audit: actor is the user');
is($audit->{details}{scheduled_for}, $when, 'audit: details has the date');

# ---- grace period ------------------------------------------------------------

my $again = login_user($user);
is($again->{status}, 200, 'grace: login still works') or diag($again->{body});
my $me = api('GET', '/api/v1/me', token => $again->{token});
is($me->{json}{deletion_scheduled_for}, $when,
    'grace: GET /me shows deletion_scheduled_for');
is_error_response(delete_account($again->{token},
    { password => $user->{password} }), 409, 'conflict',
    'grace: a second request is 409');

my $other = verified_user() or BAIL_OUT('no second user');
my $other_login = login_user($other);
my $other_me = api('GET', '/api/v1/me', token => $other_login->{token});
ok(exists $other_me->{json}{deletion_scheduled_for}
    && !defined $other_me->{json}{deletion_scheduled_for},
    'GET /me: null without a scheduled deletion');

done_testing();
