#!/usr/bin/perl
# DELETE and PATCH /api/v1/organizations/{id}/members/{user_id}: owners
# and admins remove members and change roles, an admin cannot touch an
# owner, the last owner stays, and a removal ends the member's access to
# the organization with the next request.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $owner = org_user('supplier');
my $other = org_user('buyer');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my $member = join_by_registration($owner, 'member');
my $second = join_by_registration($owner, 'member');
my $admin = join_by_registration($owner, 'admin');
my $outsider_member = join_by_registration($other, 'member');
BAIL_OUT('could not add the test members')
    unless $member && $second && $admin && $outsider_member;
my $org = $owner->{org_id};
my $base = "/api/v1/organizations/$org/members";

sub role_of ($org_id, $user_id) {
	return psql_value('SELECT coalesce(max(role), \'none\') FROM '
	    . "sscn.memberships WHERE organization_id = '$org_id' "
	    . "AND user_id = '$user_id'");
}

# ---- refused removals --------------------------------------------------------------

is_error_response(api('DELETE', "$base/$second->{user_id}",
    token => $member->{token}), 403, 'forbidden',
    'remove: a plain member gets 403');
is_error_response(api('DELETE', "$base/$second->{user_id}",
    token => $other->{token}), 404, 'not_found',
    'remove: an outsider gets 404');
is_error_response(api('DELETE', "/api/v1/organizations/$other->{org_id}/"
    . "members/$outsider_member->{user_id}", token => $owner->{token}), 404,
    'not_found', 'remove: in another organization is 404');
is(role_of($other->{org_id}, $outsider_member->{user_id}), 'member',
    'remove: the other member stays');
is_error_response(api('DELETE', "$base/$outsider_member->{user_id}",
    token => $owner->{token}), 404, 'not_found',
    'remove: a non-member is 404');
is_error_response(api('DELETE', "$base/not-a-uuid", token => $owner->{token}),
    404, 'not_found', 'remove: malformed user id is 404');
is_error_response(api('DELETE', "$base/$owner->{user_id}",
    token => $admin->{token}), 403, 'forbidden',
    'remove: an admin cannot remove an owner');
my $res = api('DELETE', "$base/$owner->{user_id}", token => $owner->{token});
is_error_response($res, 409, 'conflict', 'remove: the last owner stays');
is(role_of($org, $owner->{user_id}), 'owner', 'remove: owner still owner');
is(scalar(grep { $_->{action} eq 'org.member_remove' }
    audit_rows(request_id_of($res))), 0, 'remove: no audit row when refused');
is(role_of($org, $second->{user_id}), 'member',
    'remove: refused requests removed nobody');

# ---- removal takes effect at once ---------------------------------------------------

my $path = "/api/v1/organizations/$org";
is(api('GET', $path, token => $member->{token})->{status}, 200,
    'remove: member reads the organization before');
$res = api('DELETE', "$base/$member->{user_id}", token => $admin->{token});
is($res->{status}, 204, 'remove: admin removes a member');
is(role_of($org, $member->{user_id}), 'none', 'remove: membership gone');
my ($audit) = grep { $_->{action} eq 'org.member_remove' }
    audit_rows(request_id_of($res));
ok($audit, 'remove: audit row');
is($audit->{target}, $member->{user_id}, 'remove: audit target');
is($audit->{details}{old_role}, 'member', 'remove: audit names the role');

my $me = api('GET', '/api/v1/me', token => $member->{token});
is($me->{status}, 200, 'remove: the session stays valid');
ok(exists $me->{json}{organization} && !defined $me->{json}{organization},
    'remove: the session acts for no organization');
is_error_response(api('GET', $path, token => $member->{token}), 404,
    'not_found', 'remove: the organization is 404 at once');
is_error_response(api('GET', "$path/members", token => $member->{token}),
    404, 'not_found', 'remove: the members list is 404 at once');
is_error_response(api('DELETE', "$base/$member->{user_id}",
    token => $admin->{token}), 404, 'not_found',
    'remove: a second removal is 404');

# A removed member invited again joins with the same session.
invite($owner, $org, $member->{user}{email}, 'member');
$res = api('POST', '/api/v1/invitations/accept', token => $member->{token},
    json => { token => invitation_token($member->{user}{email}) });
is($res->{status}, 200, 'rejoin: accept the new invitation');
is(api('GET', '/api/v1/me', token => $member->{token})->{json}
    {organization}{id}, $org, 'rejoin: the session acts for it again');

# ---- roles -----------------------------------------------------------------------------

my $role_path = "$base/$second->{user_id}";
is_error_response(api('PATCH', $role_path, token => $member->{token},
    json => { role => 'admin' }), 403, 'forbidden',
    'role: a plain member gets 403');
is_error_response(api('PATCH', $role_path, token => $other->{token},
    json => { role => 'admin' }), 404, 'not_found',
    'role: an outsider gets 404');
is_error_response(api('PATCH', $role_path, token => $admin->{token},
    json => { role => 'owner' }), 403, 'forbidden',
    'role: an admin cannot make an owner');
is_error_response(api('PATCH', "$base/$owner->{user_id}",
    token => $admin->{token}, json => { role => 'member' }), 403,
    'forbidden', 'role: an admin cannot demote an owner');
is_error_response(api('PATCH', $role_path, token => $owner->{token},
    json => { role => 'chief' }), 400, 'validation_failed',
    'role: unknown role is 400');
is_error_response(api('PATCH', $role_path, token => $owner->{token},
    json => { role => 'admin', user_id => $owner->{user_id} }), 400,
    'validation_failed', 'role: unknown field is 400');
is(role_of($org, $second->{user_id}), 'member', 'role: refused, unchanged');

$res = api('PATCH', $role_path, token => $admin->{token},
    json => { role => 'admin' });
my $body = is_json_ok($res, 200, 'role: admin promotes a member');
is($body->{role}, 'admin', 'role: answer has the new role');
is($body->{user_id}, $second->{user_id}, 'role: answer names the member');
is(api('GET', '/api/v1/me', token => $second->{token})->{json}
    {organization}{role}, 'admin', 'role: reaches the session at once');
($audit) = grep { $_->{action} eq 'org.member_role' }
    audit_rows(request_id_of($res));
is_deeply([@{ $audit->{details} // {} }{qw(old_role role)}],
    ['member', 'admin'], 'role: audit names old and new role');

is_error_response(api('PATCH', "$base/$owner->{user_id}",
    token => $owner->{token}, json => { role => 'admin' }), 409, 'conflict',
    'role: the last owner cannot step down');
is(api('PATCH', $role_path, token => $owner->{token},
    json => { role => 'owner' })->{status}, 200, 'role: owner makes an owner');
is(api('PATCH', "$base/$owner->{user_id}", token => $owner->{token},
    json => { role => 'admin' })->{status}, 200,
    'role: with two owners one may step down');
is(role_of($org, $owner->{user_id}), 'admin', 'role: stepped down');
is(api('DELETE', "$base/$owner->{user_id}", token => $second->{token})
    ->{status}, 204, 'remove: the new owner removes the former one');
is_error_response(api('DELETE', "$base/$second->{user_id}",
    token => $second->{token}), 409, 'conflict',
    'remove: the last owner cannot leave');

done_testing();
