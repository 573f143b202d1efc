#!/usr/bin/perl
# What sscnctl purge does to the organizations of a purged account: an
# organization that gained a member during the grace period passes to
# that member as owner (an admin before a member), and a co-owned
# organization keeps its other owner and loses only the purged member.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use SSCN::Sourcing;
use Test::More;

require_stack();

my $GRACE = 2;
ok(conf_override(deletion_grace => $GRACE), "deletion_grace set to $GRACE s")
    or BAIL_OUT('reload failed');

sub role_of ($org_id, $user_id) {
	return psql_value('SELECT coalesce(role, \'\') FROM sscn.memberships '
	    . "WHERE organization_id = '$org_id' AND user_id = '$user_id'");
}

# The owner is alone when asking, then a member and an admin join.
my $owner = org_user('supplier');
my $res = delete_account($owner->{token},
    { password => $owner->{user}{password} });
is($res->{status}, 202, 'lone owner: deletion scheduled') or diag($res->{body});
my $member = colleague($owner, 'member');
my $admin = colleague($owner, 'admin');

# A co-owned organization: the second owner stays owner.
my $first = org_user('buyer');
my $co_owner = colleague($first, 'owner');
$res = delete_account($first->{token},
    { password => $first->{user}{password} });
is($res->{status}, 202, 'co-owner: deletion scheduled') or diag($res->{body});

sleep($GRACE + 1);
my ($status, $out) = purge();
is($status, 0, 'purge: exit 0') or diag($out);

is(role_of($owner->{org_id}, $owner->{user_id}), '',
    'handover: purged owner left');
is(role_of($owner->{org_id}, $admin->{user_id}), 'owner',
    'handover: admin became owner');
is(role_of($owner->{org_id}, $member->{user_id}), 'member',
    'handover: member stays member');
is(psql_value('SELECT closed_at IS NULL FROM sscn.organizations '
    . "WHERE id = '$owner->{org_id}'"), 't',
    'handover: organization stays open');

is(role_of($first->{org_id}, $co_owner->{user_id}), 'owner',
    'co-owned: other owner stays owner');
is(psql_value('SELECT count(*) FROM sscn.memberships '
    . "WHERE organization_id = '$first->{org_id}'"), 1,
    'co-owned: one member left');

my $me = api('GET', '/api/v1/me', token => $admin->{token});
is($me->{status}, 200, 'new owner: session still works');

ok(conf_restore(), 'configuration restored');
done_testing();
