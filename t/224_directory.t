#!/usr/bin/perl
# GET /api/v1/suppliers: full-text search ranked by ts_rank_cd, filters by
# category and country, cursor pagination in both sort orders with no
# entry lost or repeated, and 400 for every bad parameter: an unknown
# filter value, a sort outside the allow-list, an unknown parameter, and a
# changed cursor or one from another query.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Suppliers;
use Test::More;

require_stack();

# A word no other test run uses, so the search sees only these suppliers.
my $word = 'zq' . substr(random_id(), 0, 10);
my $buyer = org_user('buyer');

# Five suppliers: the word in the name ranks above the word in the text.
my @suppliers;
for my $i (1 .. 5) {
	my $named = $i <= 2;
	my $s = org_user('supplier',
	    name => ($named ? "Alpha $word $i" : "Beta Works $i"),
	    country => ($i % 2 ? 'DE' : 'PL'));
	my $res = put_profile($s, $s->{org_id}, {
	    description => $named ? 'Precision parts.' :
	        "Sheet metal. Ask about $word" . (" $word" x ($i - 3)),
	    categories => [$i == 5 ? 'logistics' : 'metal-fabrication'],
	});
	is($res->{status}, 200, "supplier $i saved its profile");
	push @suppliers, $s;
}
my %index = map { $suppliers[$_]{org_id} => $_ + 1 } 0 .. $#suppliers;

sub directory ($query, %opt) {
	return api('GET', "/api/v1/suppliers$query",
	    token => $opt{token} // $buyer->{token});
}

sub ids ($body) {
	return [map { $index{$_->{id}} // 'other' } @{ $body->{items} // [] }];
}

# ---- search ------------------------------------------------------------------

my $res = directory("?q=$word");
my $body = is_json_ok($res, 200, 'search by the word');
is(scalar @{ $body->{items} }, 5, 'search: all five found');
is_deeply([sort @{ ids($body) }[0, 1]], [1, 2],
    'search: name matches rank first');
ok(exists $body->{next_cursor} && !defined $body->{next_cursor},
    'search: no next page');
is_deeply([sort keys %{ $body->{items}[0] }],
    [sort qw(id name country categories regions website updated_at)],
    'search: entry fields');

$res = directory("?q=$word&category=logistics");
is_deeply(ids(is_json_ok($res, 200, 'search and category')), [5],
    'category filter');
$res = directory("?q=$word&country=PL");
is_deeply([sort @{ ids(is_json_ok($res, 200, 'search and country')) }],
    [2, 4], 'country filter');
$res = directory("?q=$word+-precision");
is_deeply([sort @{ ids(is_json_ok($res, 200, 'websearch negation')) }],
    [3, 4, 5], 'websearch syntax: -word excludes');
$res = directory("?q=%22Alpha+$word%22");
is_deeply([sort @{ ids(is_json_ok($res, 200, 'websearch phrase')) }],
    [1, 2], 'websearch syntax: quoted phrase');
$res = directory('?q=' . $word . 'nothing');
is_deeply(is_json_ok($res, 200, 'search without match')->{items}, [],
    'no match: empty list');
$res = directory('?q=%26%26%7C%7C');
is(is_json_ok($res, 200, 'search of operators only')->{items}->@*, 0,
    'operators only: empty list');

# ---- paging -----------------------------------------------------------------

# Walk every page with limit=LIMIT; returns the ids in order and the
# cursors seen.
sub walk ($query, $limit) {
	my (@seen, @cursors);
	my $cursor;
	for my $page (1 .. 20) {
		my $q = "$query&limit=$limit"
		    . (defined $cursor ? "&cursor=$cursor" : '');
		my $r = directory($q);
		is($r->{status}, 200, "page $page of $query") or last;
		push @seen, @{ ids($r->{json}) };
		$cursor = $r->{json}{next_cursor};
		last unless defined $cursor;
		push @cursors, $cursor;
	}
	return (\@seen, \@cursors);
}

my ($all) = walk("?q=$word", 50);
my ($paged, $cursors) = walk("?q=$word", 2);
is_deeply($paged, $all, 'relevance pages: same order as one page');
is(scalar @$cursors, 2, 'relevance pages: two cursors for five entries');
like($cursors->[0], qr/^[A-Za-z0-9_-]+$/, 'cursor is base64url');

my ($by_name) = walk("?q=$word&sort=name", 50);
is_deeply($by_name, [1, 2, 3, 4, 5], 'sort=name: by name');
($paged) = walk("?q=$word&sort=name", 1);
is_deeply($paged, $by_name, 'sort=name pages: nothing lost or repeated');

# The whole directory by name, filtered to these suppliers' country and
# category, pages through without repeats.
my ($listed) = walk('?category=metal-fabrication&country=DE', 100);
my ($listed_paged) = walk('?category=metal-fabrication&country=DE', 7);
is_deeply($listed_paged, $listed, 'directory pages: same as one page');
is_deeply([grep { $_ ne 'other' } @$listed], [1, 3],
    'directory: filters without q');

# ---- bad parameters ------------------------------------------------------------

my $cursor = $cursors->[0];
my $flipped = $cursor;
substr($flipped, 3, 1) = substr($flipped, 3, 1) eq 'A' ? 'B' : 'A';
my @bad = (
	["?q=$word&cursor=$flipped", 'cursor', 'changed cursor'],
	["?q=$word&cursor=${cursor}AA", 'cursor', 'longer cursor'],
	["?q=$word&cursor=!!!", 'cursor', 'cursor not base64url'],
	["?q=${word}x&cursor=$cursor", 'cursor', 'cursor of another q'],
	["?q=$word&country=DE&cursor=$cursor", 'cursor',
	    'cursor of another filter'],
	["?q=$word&sort=name&cursor=$cursor", 'cursor',
	    'cursor of another sort'],
	['?category=no-such-category', 'category', 'unknown category'],
	['?category=%27%3B+DROP+TABLE+x', 'category', 'category with SQL'],
	['?country=XX', 'country', 'unknown country'],
	['?country=de', 'country', 'lower-case country'],
	['?sort=name;DROP%20TABLE%20sscn.organizations', 'sort',
	    'sort with SQL'],
	['?sort=name%3BDROP+TABLE+sscn.organizations', 'sort',
	    'encoded sort with SQL'],
	['?sort=updated_at', 'sort', 'sort off the allow-list'],
	['?sort=relevance', 'sort', 'relevance without q'],
	['?limit=0', 'limit', 'limit 0'],
	['?limit=101', 'limit', 'limit 101'],
	['?q=' . ('a' x 201), 'q', 'q too long'],
	['?q=%01', 'q', 'control character in q'],
	['?q=%ff', 'q', 'q not UTF-8'],
	['?page=2', 'query', 'unknown parameter'],
);
for my $case (@bad) {
	my ($query, $field, $name) = @$case;
	$res = directory($query);
	my $err = is_error_response($res, 400, 'validation_failed', $name);
	ok(exists $err->{error}{fields}{$field}, "$name: names $field")
	    or diag(explain($err->{error}{fields}));
}
is(psql_value("SELECT to_regclass('sscn.organizations') IS NOT NULL"), 't',
    'sscn.organizations still exists');

$res = directory('?q=+++');
is($res->{status}, 200, 'blank q counts as absent');

$res = api('GET', "/api/v1/suppliers?q=$word");
is_error_response($res, 401, 'unauthorized', 'directory without login');

# A supplier sees the directory too.
$res = directory("?q=$word", token => $suppliers[0]{token});
is(scalar @{ is_json_ok($res, 200, 'supplier searches')->{items} }, 5,
    'supplier sees all five');

done_testing();
