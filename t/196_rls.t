#!/usr/bin/perl
# Row-level security on organization data: queried as the runtime role
# sscn_app with one user's sscn.user_id, a user sees the organization and
# membership of their own organization and none of another's, and with no
# user set sees none at all.  The same holds through GET /api/v1/me.  A
# session acts for one organization, and the database keeps the session's
# copy of the membership true when the role changes or the membership ends.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Digest::SHA ();

require_stack();

my $alice = verified_user(organization_kind => 'buyer');
my $bob = verified_user(organization_kind => 'buyer');
BAIL_OUT('could not create the two test users') unless $alice && $bob;

my $alice_id = user_id_of($alice->{email});
my $bob_id = user_id_of($bob->{email});
my $bob_org = psql_value("SELECT organization_id FROM sscn.memberships "
    . "WHERE user_id = '$bob_id'");
my $alice_org = psql_value("SELECT organization_id FROM sscn.memberships "
    . "WHERE user_id = '$alice_id'");
ok($alice_org && $bob_org && $alice_org ne $bob_org,
    'rls: users are in two organizations');

# Run $sql as sscn_app with the setting $name at $value ('' for none).
sub visible_with ($name, $value, $sql) {
	my @lines = split /\n/, psql_value("BEGIN; SET LOCAL ROLE sscn_app; "
	    . "SELECT set_config('$name', '$value', true); $sql; "
	    . "COMMIT") // '';

	# The first line is set_config's own output.
	shift @lines;
	return join("\n", @lines);
}

sub visible ($user, $sql) {
	return visible_with('sscn.user_id', $user, $sql);
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
is($me->{organization}{role}, 'owner', 'me: role owner');
is($me->{organization}{kind}, 'buyer', 'me: kind buyer');
ok(length($me->{organization}{name} // ''), 'me: organization name');

# As the runtime role, sscn.org_id shows that organization and no other.
is(visible_with('sscn.org_id', $alice_org, "SELECT count(*) FROM sscn.organizations "
    . "WHERE id IN ('$alice_org', '$bob_org')"), 1,
    'rls: sscn.org_id shows only that organization');

# The session row follows its membership.
my $session_org = sub {
	return psql_value("SELECT coalesce(organization_id::text, '-') || ' ' "
	    . "|| coalesce(org_role, '-') || ' ' || coalesce(org_kind, '-') "
	    . "FROM sscn.sessions WHERE user_id = '$alice_id' "
	    . "AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1");
};
is($session_org->(), "$alice_org owner buyer", 'session: acts for the '
    . 'first organization');
psql_value("UPDATE sscn.memberships SET role = 'member' "
    . "WHERE user_id = '$alice_id'");
is($session_org->(), "$alice_org member buyer",
    'session: a changed role reaches the session row');
is(api('GET', '/api/v1/me', token => $token)->{json}{organization}{role},
    'member', 'me: the changed role at once');
psql_value("UPDATE sscn.organizations SET name = 'Renamed Buyer' "
    . "WHERE id = '$alice_org'");
is(api('GET', '/api/v1/me', token => $token)->{json}{organization}{name},
    'Renamed Buyer', 'me: a renamed organization at once');
psql_value("DELETE FROM sscn.memberships WHERE user_id = '$alice_id'");
is($session_org->(), '- - -', 'session: a removed membership clears the '
    . 'organization');
$me = api('GET', '/api/v1/me', token => $token);
is($me->{status}, 200, 'me: the session stays valid without a membership');
ok(exists $me->{json}{organization} && !defined $me->{json}{organization},
    'me: no organization once the membership is gone');

# The NDA that suppliers accept is the text shipped in docs/nda.md.
{
	my $text = do {
		open(my $fh, '<:raw', "$SSCN::Test::ROOT/docs/nda.md")
		    or die "docs/nda.md: $!";
		local $/;
		<$fh>;
	};
	is(psql_value("SELECT encode(sha256(convert_to(body, 'UTF8')), 'hex') "
	    . "FROM sscn.legal_documents WHERE kind = 'nda' "
	    . "AND version = '2026-01'"),
	    Digest::SHA::sha256_hex($text), 'nda: stored text is docs/nda.md');
}

done_testing();
