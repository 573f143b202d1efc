#!/usr/bin/perl
# Row-level security of supplier_profiles and certifications, one level
# below the API: SQL run as the runtime role sscn_app with organization
# A's settings cannot insert, update or delete organization B's rows (an
# error or 0 rows), a member of A cannot write A's profile either, and
# with no user set no profile or certification is visible at all.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

my $supplier_a = org_user('supplier');
my $supplier_b = org_user('supplier');
my $buyer = org_user('buyer');
for my $s ($supplier_a, $supplier_b) {
	my $res = put_profile($s, $s->{org_id}, { description => 'Profile',
	    certifications => [{ scheme => 'ISO 9001:2015',
	    certificate_no => 'N-1', issuer => 'Body',
	    valid_from => '2024-01-01', valid_until => '2030-01-01' }] });
	is($res->{status}, 200, 'profile saved through the API');
}
my $b_org = $supplier_b->{org_id};
my $b_cert = psql_value('SELECT id FROM sscn.certifications '
    . "WHERE organization_id = '$b_org'");
my $b_before = profile_row($b_org);

my %as_a = (user_id => $supplier_a->{user_id}, org_id => $supplier_a->{org_id},
    org_role => 'owner', org_kind => 'supplier');

# Each statement as A's owner must fail or touch no row of B.
my @writes = (
	["UPDATE sscn.supplier_profiles SET description_md = 'x' "
	    . "WHERE organization_id = '$b_org' RETURNING 1", 'profile update'],
	["DELETE FROM sscn.supplier_profiles WHERE organization_id = '$b_org' "
	    . 'RETURNING 1', 'profile delete'],
	["UPDATE sscn.certifications SET certificate_no = 'x' "
	    . "WHERE id = '$b_cert' RETURNING 1", 'certification update'],
	["DELETE FROM sscn.certifications WHERE id = '$b_cert' RETURNING 1",
	    'certification delete'],
);
for my $case (@writes) {
	my ($sql, $name) = @$case;
	my $out = sql_as(\%as_a, $sql, rollback => 1);
	ok(($out // '') eq '', "A's owner: $name of B touches no row");
}

my $ok = defined sql_as(\%as_a, 'INSERT INTO sscn.certifications (id, '
    . 'organization_id, scheme, certificate_no, issuer, valid_from, '
    . "valid_until) VALUES (gen_random_uuid(), '$b_org', 'S', 'N', 'I', "
    . "'2024-01-01', '2025-01-01')", rollback => 1);
ok(!$ok, "A's owner: certification insert for B rejected");
$ok = defined sql_as(\%as_a, 'INSERT INTO sscn.supplier_profiles '
    . "(organization_id) VALUES ('$b_org') ON CONFLICT DO NOTHING", rollback => 1);
ok(!$ok, "A's owner: profile insert for B rejected");
$ok = defined sql_as(\%as_a, 'INSERT INTO sscn.supplier_profiles '
    . "(organization_id) VALUES ('$buyer->{org_id}')", rollback => 1);
ok(!$ok, "A's owner: profile insert for a buyer rejected");
is(profile_row($b_org), $b_before, "B's profile and certification unchanged");

# A's own rows: the owner may write them, a member may not.
my $own_out = sql_as(\%as_a, "UPDATE sscn.supplier_profiles SET "
    . "description_md = 'x' WHERE organization_id = '$supplier_a->{org_id}' "
    . 'RETURNING 1', rollback => 1);
is($own_out, '1', "A's owner updates A's profile");
my %as_member = (%as_a, org_role => 'member');
my $member_out = sql_as(\%as_member, "UPDATE "
    . "sscn.supplier_profiles SET description_md = 'x' "
    . "WHERE organization_id = '$supplier_a->{org_id}' RETURNING 1", rollback => 1);
ok(($member_out // '') eq '', "A's member cannot update A's profile");

# Readers: a logged-in user sees profiles, no user sees none.
my $count = sql_as({ user_id => $buyer->{user_id} },
    "SELECT count(*) FROM sscn.supplier_profiles WHERE organization_id IN "
    . "('$supplier_a->{org_id}', '$b_org')", rollback => 1);
is($count, 2, 'a logged-in user sees both profiles');
$count = sql_as({}, 'SELECT count(*) FROM sscn.supplier_profiles', rollback => 1);
ok(defined $count, 'query without a user runs');
is($count, 0, 'no user: no profile visible');
$count = sql_as({}, 'SELECT count(*) FROM sscn.certifications', rollback => 1);
is($count, 0, 'no user: no certification visible');
$count = sql_as({ org_id => $supplier_a->{org_id} },
    'SELECT count(*) FROM sscn.supplier_profiles', rollback => 1);
is($count, 0, 'organization without a user: no profile visible');

done_testing();
