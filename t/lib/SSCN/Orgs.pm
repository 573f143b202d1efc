package SSCN::Orgs;

# Helpers for the organization and member tests (t/21N_*.t): members who
# joined an organization through an invitation, and the invitation token
# taken from the invitation mail.  Owners come from SSCN::Sourcing.

use v5.36;

use Exporter qw(import);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    invite invitation_token join_by_registration org_row request_id_of
);

# POST /api/v1/organizations/{org}/members as ACTOR (an org_user()
# hash or any {token}) for EMAIL with ROLE.  Returns the response.
sub invite ($actor, $org_id, $email, $role = 'member') {
	return api('POST', "/api/v1/organizations/$org_id/members",
	    token => $actor->{token}, json => { email => $email, role => $role });
}

# The token of the newest invitation mail to EMAIL, or undef.
sub invitation_token ($email) {
	my ($mail) = reverse mail_for($email, 'org_invitation');
	return undef unless $mail;
	my ($token) = $mail->{body} =~ m{/invitations/accept#token=([A-Za-z0-9_-]+)};
	return $token;
}

# Invite a new address into OWNER's organization with ROLE, register it
# through the invitation, verify and log in.  Returns
# {user, token, user_id, org_id}, or undef with a diagnostic.
sub join_by_registration ($owner, $role = 'member') {
	my $email = unique_email('invitee');
	my $res = invite($owner, $owner->{org_id}, $email, $role);
	unless (($res->{status} // 0) == 201) {
		diag("invite $email: $res->{status} " . ($res->{body} // ''));
		return undef;
	}
	my $token = invitation_token($email) // return undef;
	my $user = verified_user(email => $email, invitation_token => $token,
	    organization_name => undef, organization_kind => undef)
	    or return undef;
	my $login = login_user($user);
	unless ($login->{token}) {
		diag("login of $email failed: $login->{status}");
		return undef;
	}
	return { user => $user, token => $login->{token},
	    user_id => user_id_of($email), org_id => $owner->{org_id} };
}

# The organization row ORG_ID as "name|country|require_mfa|kind", read
# as the superuser, to show that a refused request changed nothing.
sub org_row ($org_id) {
	return psql_value("SELECT name || '|' || coalesce(country, '-') || '|' "
	    . "|| require_mfa || '|' || kind FROM sscn.organizations "
	    . "WHERE id = '$org_id'");
}

# The X-Request-ID of a response, to find its audit rows.
sub request_id_of ($res) {
	return header($res, 'X-Request-ID');
}

1;
