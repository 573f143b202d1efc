#!/usr/bin/perl
# Row-level security on organizations, memberships and organization
# invitations, one level below the API: SQL run as the runtime role
# sscn_app with organization A's settings sees A's rows and none of B's,
# and cannot change B's organization, members or invitations.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $a_owner = org_user('buyer');
my $b_owner = org_user('supplier');
BAIL_OUT('could not create the test organizations')
    unless $a_owner && $b_owner;
my $b_member = join_by_registration($b_owner, 'member');
BAIL_OUT('could not add the test member') unless $b_member;
for my $owner ($a_owner, $b_owner) {
	is(invite($owner, $owner->{org_id}, unique_email('rls'))->{status}, 201,
	    'setup: an open invitation in each organization');
}
my ($a, $b, $u) = ($a_owner->{org_id}, $b_owner->{org_id},
    $a_owner->{user_id});

# A's settings, with ROLE for sscn.org_role.
sub as_a ($role = 'owner') {
	return { %$a_owner, org_role => $role };
}

# The output of SQL run (and rolled back) as sscn_app with A's settings.
sub count_as_a ($sql, $role = 'owner') {
	return sql_as(as_a($role), $sql, rollback => 1) // 'psql failed';
}

# Positive controls: the settings work, so a zero below means hidden.
is(count_as_a("SELECT count(*) FROM sscn.memberships "
    . "WHERE organization_id = '$a'"), 1, 'rls: own membership visible');
is(count_as_a("SELECT count(*) FROM sscn.org_invitations "
    . "WHERE organization_id = '$a'"), 1, 'rls: own invitation visible');

is(count_as_a("SELECT count(*) FROM sscn.memberships "
    . "WHERE organization_id = '$b'"), 0, 'rls: no membership of B');
is(count_as_a("SELECT count(*) FROM sscn.memberships "
    . "WHERE organization_id <> '$a'"), 0, 'rls: no membership of others');
is(count_as_a("SELECT count(*) FROM sscn.org_invitations "
    . "WHERE organization_id = '$b'"), 0, 'rls: no invitation of B');
is(count_as_a("SELECT count(*) FROM sscn.org_invitations "
    . "WHERE organization_id <> '$a'"), 0, 'rls: no invitation of others');
is(count_as_a("SELECT count(*) FROM sscn.org_invitations "
    . "WHERE organization_id = '$a'", 'member'), 0,
    'rls: a plain member sees no invitation');

# Updates and deletes reach no row of B.
is(count_as_a("WITH x AS (UPDATE sscn.organizations SET name = 'Taken', "
    . "require_mfa = true WHERE id = '$b' RETURNING 1) "
    . "SELECT count(*) FROM x"), 0, 'rls: B organization not updated');
is(count_as_a("WITH x AS (UPDATE sscn.memberships SET role = 'member' "
    . "WHERE organization_id = '$b' RETURNING 1) SELECT count(*) FROM x"), 0,
    'rls: B memberships not updated');
is(count_as_a("WITH x AS (DELETE FROM sscn.memberships "
    . "WHERE organization_id = '$b' RETURNING 1) SELECT count(*) FROM x"), 0,
    'rls: B memberships not deleted');
is(count_as_a("WITH x AS (UPDATE sscn.org_invitations SET revoked_at = now() "
    . "WHERE organization_id = '$b' RETURNING 1) SELECT count(*) FROM x"), 0,
    'rls: B invitations not revoked');

like(sql_as_refused(as_a(), "INSERT INTO sscn.org_invitations (id, "
    . "organization_id, email, email_index, role, token_hash, expires_at) "
    . "VALUES (gen_random_uuid(), '$b', '\\x00', sha256('y'), 'admin', "
    . "sha256('x'), now() + interval '1 day')", rollback => 1),
    qr/row-level security/, 'rls: no invitation into B, by the policy');

# A user joins only through registration or an accepted invitation.
for my $role (qw(owner admin member)) {
	like(sql_as_refused(as_a(), "INSERT INTO sscn.memberships "
	    . "(organization_id, user_id, role) VALUES ('$b', '$u', '$role')",
	    rollback => 1), qr/row-level security/,
	    "rls: joining B as $role refused by the policy");
}
is(sql_as_refused(as_a(), "INSERT INTO sscn.organizations (id, kind, "
    . "name) VALUES (gen_random_uuid(), 'buyer', 'Fresh') RETURNING 1",
    rollback => 1), '', 'rls: a new organization may be created');
my $fresh = '6f1e0c1a-0000-4000-8000-' . substr(random_id(), 0, 12);
is(sql_as_refused(as_a(), "INSERT INTO sscn.organizations (id, kind, "
    . "name) VALUES ('$fresh', 'buyer', 'Fresh'); "
    . "INSERT INTO sscn.memberships (organization_id, user_id, role) "
    . "VALUES ('$fresh', '$u', 'owner')", rollback => 1), '',
    'rls: its creator may own it in the same transaction');

is(psql_value("SELECT name || '|' || require_mfa FROM sscn.organizations "
    . "WHERE id = '$b'") =~ /^Taken|\|true$/ ? 'changed' : 'kept', 'kept',
    'rls: B organization unchanged');
is(psql_value("SELECT count(*) FROM sscn.memberships "
    . "WHERE organization_id = '$b'"), 2, 'rls: B members unchanged');
is(psql_value("SELECT count(*) FROM sscn.org_invitations "
    . "WHERE organization_id = '$b' AND revoked_at IS NULL "
    . 'AND accepted_at IS NULL'), 1,
    'rls: B invitation unchanged');

done_testing();
