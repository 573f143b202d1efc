#!/usr/bin/perl
# Invitations by e-mail: POST /api/v1/organizations/{id}/members by an
# owner or admin, POST /api/v1/invitations/accept by the invitee, and
# registration through an invitation_token.  The token is single-use,
# expires after 7 days, is stored only as its SHA-256 and is never sent
# back by the API.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $owner = org_user('buyer', name => 'Invite Works');
my $other = org_user('supplier');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my $member = join_by_registration($owner, 'member');
BAIL_OUT('could not add the test member') unless $member;
my $org = $owner->{org_id};
my $path = "/api/v1/organizations/$org/members";

sub invitation_count ($org_id) {
	return psql_value('SELECT count(*) FROM sscn.org_invitations '
	    . "WHERE organization_id = '$org_id'");
}

sub membership_role ($org_id, $user_id) {
	return psql_value('SELECT coalesce(max(role), \'none\') FROM '
	    . "sscn.memberships WHERE organization_id = '$org_id' "
	    . "AND user_id = '$user_id'");
}

# ---- inviting -------------------------------------------------------------------

my $invitee = verified_user(organization_kind => 'supplier');
BAIL_OUT('could not create the invitee') unless $invitee;
my $invitee_id = user_id_of($invitee->{email});
my $res = invite($owner, $org, uc $invitee->{email}, 'admin');
my $body = is_json_ok($res, 201, 'invite: owner invites');
like($body->{id} // '', qr/^[0-9a-f-]{36}$/, 'invite: id');
is($body->{email}, normalized_email($invitee->{email}),
    'invite: email normalized');
is($body->{role}, 'admin', 'invite: role');
like($body->{expires_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'invite: expires_at in RFC 3339 UTC');
ok(!grep({ /token/ } keys %$body), 'invite: no token in the answer');
is(psql_value("SELECT round(extract(epoch FROM expires_at - created_at)) "
    . "FROM sscn.org_invitations WHERE id = '$body->{id}'"), 7 * 86400,
    'invite: valid for 7 days');
my $invitation_id = $body->{id};

my ($mail) = reverse mail_for(uc $invitee->{email}, 'org_invitation');
ok($mail, 'invite: mail queued');
my $base = conf_read()->{base_url};
like($mail->{body} // '', qr{\Q$base\E/invitations/accept#token=[A-Za-z0-9_-]{43}\b},
    'invite: mail has the accept link');
like($mail->{body} // '', qr/Invite Works/, 'invite: mail names the organization');
my $token = invitation_token(uc $invitee->{email});
is(psql_value("SELECT encode(token_hash, 'hex') FROM sscn.org_invitations "
    . "WHERE id = '$invitation_id'"), sha256_hex($token),
    'invite: only the SHA-256 of the token is stored');
is(psql_value("SELECT count(*) FROM sscn.org_invitations WHERE "
    . "encode(token_hash, 'escape') LIKE '%$token%'"), 0,
    'invite: the token itself is not stored');

my ($audit) = grep { $_->{action} eq 'org.member_invite' }
    audit_rows(request_id_of($res));
ok($audit, 'invite: audit row');
is($audit->{target}, $invitation_id, 'invite: audit target');
is($audit->{organization_id}, $org, 'invite: audit organization');
unlike(JSON::PP->new->encode($audit->{details} // {}), qr/@/,
    'invite: audit holds no address');

is_error_response(invite($owner, $org, $invitee->{email}, 'member'), 409,
    'conflict', 'invite: an open invitation again is 409');
is_error_response(invite($owner, $org, uc $member->{user}{email}), 409,
    'conflict', 'invite: an existing member is 409');
is_error_response(invite($owner, $org, $owner->{user}{email}), 409,
    'conflict', 'invite: the owner is 409');

my $count = invitation_count($org);
for my $case ([{ email => 'x@example.test', role => 'owner' }, 'role',
	'role owner'],
    [{ email => 'x@example.test', role => 'boss' }, 'role', 'unknown role'],
    [{ email => 'not-an-address', role => 'member' }, 'email', 'bad email'],
    [{ role => 'member' }, 'email', 'missing email'],
    [{ email => 'x@example.test' }, 'role', 'missing role'],
    [{ email => 'x@example.test', role => 'member',
	organization_id => $other->{org_id} }, 'organization_id',
	'organization_id in the body']) {
	my ($json, $field, $name) = @$case;
	$res = api('POST', $path, token => $owner->{token}, json => $json);
	is_error_response($res, 400, 'validation_failed', "invite: $name");
	ok(exists(($res->{json}{error}{fields} // {})->{$field}),
	    "invite: $name names $field");
}
is_error_response(invite($member, $org, unique_email('m')), 403, 'forbidden',
    'invite: a plain member gets 403');
is_error_response(invite($other, $org, unique_email('o')), 404, 'not_found',
    'invite: an outsider gets 404');
is_error_response(invite($owner, $other->{org_id}, unique_email('x')), 404,
    'not_found', 'invite: into another organization is 404');
is(invitation_count($org), $count, 'invite: refused invitations stored nothing');
is(invitation_count($other->{org_id}), 0,
    'invite: nothing stored in the other organization');

# ---- accepting ---------------------------------------------------------------------

my $invitee_token = login_user($invitee)->{token};
my $stranger = org_user('buyer');
is_error_response(api('POST', '/api/v1/invitations/accept',
    token => $stranger->{token}, json => { token => $token }), 404,
    'not_found', 'accept: another address gets 404');
is(membership_role($org, $stranger->{user_id}), 'none',
    'accept: the stranger did not join');
is(psql_value("SELECT accepted_at IS NULL FROM sscn.org_invitations "
    . "WHERE id = '$invitation_id'"), 't', 'accept: invitation still open');

is_error_response(api('POST', '/api/v1/invitations/accept',
    token => $invitee_token, json => {}), 400, 'validation_failed',
    'accept: missing token is 400');
is_error_response(api('POST', '/api/v1/invitations/accept',
    token => $invitee_token, json => { token => $token, role => 'owner' }),
    400, 'validation_failed', 'accept: role in the body is 400');
is_error_response(api('POST', '/api/v1/invitations/accept',
    token => $invitee_token, json => { token => 'short' }), 404,
    'not_found', 'accept: malformed token is 404');
is_error_response(api('POST', '/api/v1/invitations/accept',
    json => { token => $token }), 401, 'unauthorized',
    'accept: no login is 401');

$res = api('POST', '/api/v1/invitations/accept', token => $invitee_token,
    json => { token => $token });
$body = is_json_ok($res, 200, 'accept: the invitee accepts');
is($body->{organization_id}, $org, 'accept: names the organization');
is($body->{role}, 'admin', 'accept: names the role');
is(membership_role($org, $invitee_id), 'admin',
    'accept: membership with the invited role');
is(psql_value("SELECT accepted_by FROM sscn.org_invitations "
    . "WHERE id = '$invitation_id' AND accepted_at IS NOT NULL"),
    $invitee_id, 'accept: invitation marked accepted');
($audit) = grep { $_->{action} eq 'org.invitation_accept' }
    audit_rows(request_id_of($res));
ok($audit, 'accept: audit row');
is($audit->{organization_id}, $org, 'accept: audit organization');
is(api('GET', '/api/v1/me', token => $invitee_token)->{json}{organization}{id},
    user_org($invitee_id),
    'accept: the session keeps acting for its organization');

is_error_response(api('POST', '/api/v1/invitations/accept',
    token => $invitee_token, json => { token => $token }), 404, 'not_found',
    'accept: a used token is 404');

sub user_org ($user_id) {
	return psql_value('SELECT organization_id FROM sscn.memberships '
	    . "WHERE user_id = '$user_id' AND role = 'owner'");
}

# Expired and revoked tokens.
for my $case (['expires_at = now() - interval \'1 second\'', 'expired'],
    ['revoked_at = now()', 'revoked']) {
	my ($set, $name) = @$case;
	my $user = org_user('buyer');
	invite($owner, $org, $user->{user}{email});
	my $t = invitation_token($user->{user}{email});
	psql_value("UPDATE sscn.org_invitations SET $set WHERE organization_id "
	    . "= '$org' AND email_index = '"
	    . email_index_of($user->{user}{email}) . "'::bytea");
	is_error_response(api('POST', '/api/v1/invitations/accept',
	    token => $user->{token}, json => { token => $t }), 404, 'not_found',
	    "accept: $name token is 404");
	is(membership_role($org, $user->{user_id}), 'none',
	    "accept: $name token adds no member");
	if ($name eq 'expired') {
		is(invite($owner, $org, $user->{user}{email})->{status}, 201,
		    'invite: an expired invitation may be renewed');
	}
}

# ---- registering through an invitation ------------------------------------------

my $new_email = unique_email('newcomer');
invite($owner, $org, $new_email, 'member');
my $new_token = invitation_token($new_email);
my ($user, $reg) = register_user(email => $new_email,
    invitation_token => $new_token, organization_name => 'Own Org',
    organization_kind => undef);
is_error_response($reg, 400, 'validation_failed',
    'register: organization_name with a token is 400');
($user, $reg) = register_user(email => unique_email('wrong'),
    invitation_token => $new_token, organization_name => undef,
    organization_kind => undef);
is_error_response($reg, 400, 'validation_failed',
    'register: a token for another address is 400');
ok(exists(($reg->{json}{error}{fields} // {})->{invitation_token}),
    'register: names invitation_token');
is(user_id_of($user->{email}), undef, 'register: no account then');
($user, $reg) = register_user(email => unique_email('nothing'),
    organization_name => undef, organization_kind => undef);
is_error_response($reg, 400, 'validation_failed',
    'register: no token and no organization is 400');

($user, $reg) = register_user(email => $new_email,
    invitation_token => $new_token, organization_name => undef,
    organization_kind => undef);
is($reg->{status}, 202, 'register: with the token is 202');
is($reg->{json}{status}, 'verification_sent', 'register: verification_sent');
my $new_id = user_id_of($new_email);
is(membership_role($org, $new_id), 'member',
    'register: joined with the invited role');
is(psql_value("SELECT count(*) FROM sscn.memberships WHERE user_id = "
    . "'$new_id'"), 1, 'register: no organization of its own');
is(psql_value("SELECT accepted_by FROM sscn.org_invitations WHERE "
    . "email_index = '" . email_index_of($new_email) . "'::bytea"), $new_id,
    'register: invitation accepted');
my ($verify) = reverse mail_for($new_email, 'verify_email');
ok($verify && api('POST', '/api/v1/auth/verify-email',
    json => { token => link_token($verify) })->{status} == 200,
    'register: e-mail verified');
my $login = login_user($user);
my $me = api('GET', '/api/v1/me', token => $login->{token})->{json};
is($me->{organization}{id}, $org, 'register: session acts for the organization');
is($me->{organization}{role}, 'member', 'register: with the member role');
($user, $reg) = register_user(email => unique_email('again'),
    invitation_token => $new_token, organization_name => undef,
    organization_kind => undef);
is($reg->{status}, 400, 'register: a used token is 400');

# An existing account registering through its invitation: the same 202,
# no second account and no membership; the invitation stays open.
my $existing = org_user('supplier');
invite($owner, $org, $existing->{user}{email});
my $existing_token = invitation_token($existing->{user}{email});
($user, $reg) = register_user(email => $existing->{user}{email},
    invitation_token => $existing_token, organization_name => undef,
    organization_kind => undef);
is($reg->{status}, 202, 'register: existing account also 202');
is_deeply(json_shape($reg->{json}), { status => 'scalar' },
    'register: same answer shape');
is(membership_role($org, $existing->{user_id}), 'none',
    'register: existing account not joined');
ok(scalar mail_for($existing->{user}{email}, 'register_existing'),
    'register: existing account told by mail');
is(api('POST', '/api/v1/invitations/accept', token => $existing->{token},
    json => { token => $existing_token })->{status}, 200,
    'register: the invitation still works after login');

done_testing();
