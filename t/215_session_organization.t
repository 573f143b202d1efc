#!/usr/bin/perl
# A user in two organizations: GET /api/v1/me/organizations lists both
# and marks the one the session acts for; PUT /api/v1/me/organization
# moves the session to the other, which then answers its endpoints.  An
# organization the user does not belong to answers 404 and moves nothing.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Sourcing;
use SSCN::Orgs;
use Test::More;

require_stack();

my $supplier = org_user('supplier');
my $buyer = org_user('buyer');
my $stranger = org_user('buyer');

# The supplier's user joins the buyer as admin through an invitation.
is(invite($buyer, $buyer->{org_id}, $supplier->{user}{email}, 'admin')
    ->{status}, 201, 'switch: invitation sent');
my $token = invitation_token($supplier->{user}{email});
is(api('POST', '/api/v1/invitations/accept', token => $supplier->{token},
    json => { token => $token })->{status}, 200, 'switch: invitation accepted');

my $list = api('GET', '/api/v1/me/organizations', token => $supplier->{token});
is($list->{status}, 200, 'switch: list answers 200');
my %orgs = map { $_->{id} => $_ } @{ $list->{json}{items} // [] };
is(scalar keys %orgs, 2, 'switch: both organizations listed');
ok($orgs{ $supplier->{org_id} }{current}, 'switch: the first is current');
ok(!$orgs{ $buyer->{org_id} }{current}, 'switch: the second is not');
is($orgs{ $buyer->{org_id} }{role}, 'admin', 'switch: role of the second');

# Before the switch the session acts for the supplier.
is(api('GET', "/api/v1/organizations/$buyer->{org_id}",
    token => $supplier->{token})->{status}, 404,
    'switch: the buyer answers 404 before');

my $moved = api('PUT', '/api/v1/me/organization', token => $supplier->{token},
    json => { organization_id => $buyer->{org_id} });
is($moved->{status}, 200, 'switch: 200') or diag($moved->{body});
is($moved->{json}{organization}{id}, $buyer->{org_id},
    'switch: answers the new organization');
is($moved->{json}{organization}{kind}, 'buyer', 'switch: its kind');

my $me = api('GET', '/api/v1/me', token => $supplier->{token})->{json};
is($me->{organization}{id}, $buyer->{org_id}, 'switch: /me follows');
is($me->{organization}{role}, 'admin', 'switch: with the role there');
is(api('GET', "/api/v1/organizations/$buyer->{org_id}",
    token => $supplier->{token})->{status}, 200,
    'switch: the buyer answers after');
is(api('POST', '/api/v1/rfqs', token => $supplier->{token},
    json => { title => 'Bought as the buyer' })->{status}, 201,
    'switch: acts as a buyer now');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'auth.session_organization' AND actor_id = '$supplier->{user_id}' "
    . "AND organization_id = '$buyer->{org_id}'"), 1,
    'switch: audit row written');

# Refusals move nothing.
my $before = psql_value("SELECT organization_id FROM sscn.sessions "
    . "WHERE user_id = '$supplier->{user_id}' AND revoked_at IS NULL "
    . "ORDER BY created_at DESC LIMIT 1");
is_error_response(api('PUT', '/api/v1/me/organization',
    token => $supplier->{token},
    json => { organization_id => $stranger->{org_id} }), 404, 'not_found',
    'switch: another organization');
is_error_response(api('PUT', '/api/v1/me/organization',
    token => $supplier->{token}, json => { organization_id => 'nope' }), 400,
    'validation_failed', 'switch: malformed id');
is_error_response(api('PUT', '/api/v1/me/organization',
    token => $supplier->{token},
    json => { organization_id => $buyer->{org_id}, role => 'owner' }), 400,
    'validation_failed', 'switch: unknown field');
is_error_response(api('PUT', '/api/v1/me/organization',
    json => { organization_id => $buyer->{org_id} }), 401, 'unauthorized',
    'switch: without login');
is(psql_value("SELECT organization_id FROM sscn.sessions "
    . "WHERE user_id = '$supplier->{user_id}' AND revoked_at IS NULL "
    . "ORDER BY created_at DESC LIMIT 1"), $before,
    'switch: refusals left the session alone');

done_testing();
