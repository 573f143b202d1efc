#!/usr/bin/perl
# POST /api/v1/data/delete-account/cancel: after logging in again during
# the grace period the user cancels the deletion; the date is cleared, a
# mail is queued and an audit row written.  Cancelling with nothing
# scheduled, or without a login, is refused.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use SSCN::Orgs qw(request_id_of);
use Test::More;

require_stack();

my $user = verified_user() or BAIL_OUT('no verified user');
my $user_id = user_id_of($user->{email});
my $login = login_user($user);

is_error_response(cancel_deletion($login->{token}), 409, 'conflict',
    'cancel: nothing scheduled is 409');
is_error_response(api('POST', '/api/v1/data/delete-account/cancel'), 401,
    'unauthorized', 'cancel: no login is 401');

my $res = delete_account($login->{token}, { password => $user->{password} });
is($res->{status}, 202, 'request: 202') or diag($res->{body});
is_error_response(cancel_deletion($login->{token}), 401, 'unauthorized',
    'cancel: the revoked session cannot cancel');

$login = login_user($user);
is($login->{status}, 200, 'grace: login works');
$res = cancel_deletion($login->{token});
is($res->{status}, 204, 'cancel: 204') or diag($res->{body});
is(user_column($user_id, 'deletion_scheduled_for'), '',
    'cancel: date cleared');
is(user_column($user_id, 'deletion_requested_at'), '',
    'cancel: request time cleared');
ok(scalar mail_for($user->{email}, 'account_deletion_cancelled'),
    'cancel: mail queued');
my ($audit) = grep { $_->{action} eq 'account.delete_cancel' }
    audit_rows(request_id_of($res));
ok($audit, 'cancel: audit row');
is($audit->{result} // '', 'success', 'cancel: audit result success');

my $me = api('GET', '/api/v1/me', token => $login->{token});
is($me->{status}, 200, 'cancel: the session stays open');
ok(!defined $me->{json}{deletion_scheduled_for},
    'cancel: GET /me shows no date');
is_error_response(cancel_deletion($login->{token}), 409, 'conflict',
    'cancel: a second cancel is 409');

# A new request after a cancel schedules again.
$res = delete_account($login->{token}, { password => $user->{password} });
is($res->{status}, 202, 'request after cancel: 202');

done_testing();
