#!/usr/bin/perl
# GET /api/v1/organizations/{id}/members: every member sees the list with
# cursor paging; owners and admins also see the open invitations; an
# outsider gets 404.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Orgs;
use Test::More;

require_stack();

my $owner = org_user('buyer');
my $other = org_user('supplier');
BAIL_OUT('could not create the test organizations') unless $owner && $other;
my @members = map { join_by_registration($owner, 'member') } 1 .. 3;
my $admin = join_by_registration($owner, 'admin');
BAIL_OUT('could not add the test members')
    if grep { !defined } @members, $admin;
my $org = $owner->{org_id};
my $path = "/api/v1/organizations/$org/members";

my $pending = unique_email('pending');
is(invite($owner, $org, $pending, 'admin')->{status}, 201,
    'setup: one open invitation');

# ---- the whole list ----------------------------------------------------------

my $res = api('GET', $path, token => $owner->{token});
my $body = is_json_ok($res, 200, 'list: owner reads the members');
is(scalar @{ $body->{items} }, 5, 'list: five members');
ok(exists $body->{next_cursor} && !defined $body->{next_cursor},
    'list: next_cursor null on the last page');
is_deeply([map { $_->{user_id} } @{ $body->{items} }],
    [map { $_->{user_id} } $owner, @members, $admin],
    'list: members in the order they joined');
my ($first) = @{ $body->{items} };
is_deeply([sort keys %$first],
    [qw(email full_name joined_at role user_id)], 'list: member fields');
is($first->{role}, 'owner', 'list: the owner first');
is($first->{email}, $owner->{user}{email}, 'list: email');
is($first->{full_name}, $owner->{user}{full_name}, 'list: full_name');
like($first->{joined_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'list: joined_at in RFC 3339 UTC');
is($body->{items}[4]{role}, 'admin', 'list: the admin role');

is(ref $body->{invitations}, 'ARRAY', 'list: owner sees invitations');
my @open = grep { $_->{email} eq normalized_email($pending) }
    @{ $body->{invitations} // [] };
is(scalar @open, 1, 'list: the open invitation is listed');
is($open[0]{role}, 'admin', 'list: invitation role');
ok(!grep({ exists $_->{token} || exists $_->{token_hash} }
    @{ $body->{invitations} // [] }), 'list: no token in invitations');

$body = api('GET', $path, token => $admin->{token})->{json};
is(ref $body->{invitations}, 'ARRAY', 'list: admin sees invitations');
$res = api('GET', $path, token => $members[0]{token});
$body = is_json_ok($res, 200, 'list: a plain member reads the list');
is(scalar @{ $body->{items} }, 5, 'list: member sees all five');
ok(!exists $body->{invitations}, 'list: member sees no invitations');

# ---- paging ------------------------------------------------------------------

my @seen;
my $cursor;
my $pages = 0;
do {
	my $query = '?limit=2' . (defined $cursor ? "&cursor=$cursor" : '');
	$res = api('GET', "$path$query", token => $owner->{token});
	$body = $res->{json} // {};
	push @seen, map { $_->{user_id} } @{ $body->{items} // [] };
	$cursor = $body->{next_cursor};
	$pages++;
} while (defined $cursor && $pages < 10);
is($pages, 3, 'paging: three pages of two');
is_deeply(\@seen, [map { $_->{user_id} } $owner, @members, $admin],
    'paging: every member once, in order');

for my $query ('limit=0', 'limit=101', 'limit=x', 'cursor=%zz',
    'cursor=bm90LWEtY3Vyc29y', "cursor=MTIzfGFiYw", 'cursor=' . ('A' x 300)) {
	is_error_response(api('GET', "$path?$query", token => $owner->{token}),
	    400, 'validation_failed', "paging: $query rejected");
}

# ---- outsiders ---------------------------------------------------------------

is_error_response(api('GET', $path, token => $other->{token}), 404,
    'not_found', 'list: another organization is 404');
is_error_response(api('GET', "$path?limit=1", token => $other->{token}),
    404, 'not_found', 'list: 404 with paging too');
is_error_response(api('GET', '/api/v1/organizations/x/members',
    token => $owner->{token}), 404, 'not_found', 'list: malformed id is 404');
is_error_response(api('GET', $path), 401, 'unauthorized',
    'list: no token is 401');

done_testing();
