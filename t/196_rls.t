#!/usr/bin/perl
# Row-level security on organization data: queried as the runtime role
# sscn_app with one user's sscn.user_id, a user sees the organization and
# membership of their own organization and none of another's, and with no
# user set sees none at all.  The same holds through GET /api/v1/me.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $alice = verified_user(organization_kind => 'buyer');
my $bob = verified_user(organization_kind => 'supplier');
BAIL_OUT('could not create the two test users') unless $alice && $bob;

my $alice_id = user_id_of($alice->{email});
my $bob_id = user_id_of($bob->{email});
my $bob_org = psql_value("SELECT organization_id FROM sscn.memberships "
    . "WHERE user_id = '$bob_id'");
my $alice_org = psql_value("SELECT organization_id FROM sscn.memberships "
    . "WHERE user_id = '$alice_id'");
ok($alice_org && $bob_org && $alice_org ne $bob_org,
    'rls: users are in two organizations');

# Count rows as sscn_app with sscn.user_id set to $user ('' for none).
sub visible ($user, $sql) {
	my @lines = split /\n/, psql_value("BEGIN; SET LOCAL ROLE sscn_app; "
	    . "SELECT set_config('sscn.user_id', '$user', true); $sql; "
	    . "COMMIT") // '';

	# The first line is set_config's own output.
	shift @lines;
	return join("\n", @lines);
}

is(visible($alice_id, "SELECT count(*) FROM sscn.organizations "
    . "WHERE id = '$alice_org'"), 1, 'rls: own organization visible');
is(visible($alice_id, "SELECT count(*) FROM sscn.organizations "
    . "WHERE id = '$bob_org'"), 0, "rls: other organization hidden");
is(visible($alice_id, "SELECT count(*) FROM sscn.memberships "
    . "WHERE user_id = '$bob_id'"), 0, "rls: other membership hidden");
is(visible('', "SELECT count(*) FROM sscn.organizations "
    . "WHERE id IN ('$alice_org', '$bob_org')"), 0,
    'rls: no user sees no organization');
is(visible($alice_id, "UPDATE sscn.organizations SET name = 'x' "
    . "WHERE id = '$bob_org' RETURNING 1"), '',
    'rls: other organization not updatable');
is(psql_value("SELECT name FROM sscn.organizations WHERE id = '$bob_org'")
    eq 'x' ? 'changed' : 'kept', 'kept', 'rls: other name unchanged');

my $token = login_user($alice)->{token};
my $me = api('GET', '/api/v1/me', token => $token)->{json};
is($me->{organization}{id}, $alice_org, 'me: shows own organization');

done_testing();
