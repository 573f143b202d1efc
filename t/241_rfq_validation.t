#!/usr/bin/perl
# Input checks of POST /api/v1/rfqs and GET /api/v1/rfqs: only buyer
# organizations create RFQs; every field present is validated, also in a
# draft; unknown and server-owned fields are rejected and nothing is
# stored; list filters, sort and paging pass through allow-lists only.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $supplier = org_user('supplier');

sub rfq_count () {
	return psql_value('SELECT count(*) FROM sscn.rfqs WHERE buyer_org_id = '
	    . "'$buyer->{org_id}'");
}

# ---- who may create --------------------------------------------------------

my $res = api('POST', '/api/v1/rfqs', json => rfq_body());
is($res->{status}, 401, 'create: no token 401');
$res = api('POST', '/api/v1/rfqs', token => $supplier->{token},
    json => rfq_body());
is_error_response($res, 403, 'forbidden', 'create as supplier');
is(psql_value('SELECT count(*) FROM sscn.rfqs WHERE created_by = '
    . "'$supplier->{user_id}'"), 0, 'create as supplier: nothing stored');

# ---- a draft may be incomplete ------------------------------------------------

$res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
    json => { title => 'Only a title' });
my $draft = is_json_ok($res, 201, 'title only');
is($draft->{quantity}, undef, 'title only: no quantity');
is($draft->{visibility}, 'public', 'title only: public by default');
is($draft->{nda_required}, JSON::PP::false, 'title only: no NDA by default');

# ---- every field is checked -------------------------------------------------

my @bad = (
    ['title missing', { title => '__delete__' }, 'title'],
    ['title empty', { title => '' }, 'title'],
    ['title too long', { title => 'x' x 201 }, 'title'],
    ['title two lines', { title => "one\ntwo" }, 'title'],
    ['title control', { title => "bell\x07" }, 'title'],
    ['title number', { title => 42 }, 'title'],
    ['description too long', { description => 'x' x 20001 }, 'description'],
    ['description control', { description => "a\x1bb" }, 'description'],
    ['category unknown', { category => 'weapons' }, 'category'],
    ['quantity zero', { quantity => 0 }, 'quantity'],
    ['quantity negative', { quantity => -3 }, 'quantity'],
    ['quantity string', { quantity => '12' }, 'quantity'],
    ['quantity four decimals', { quantity => 1.2345 }, 'quantity'],
    ['quantity too large', { quantity => 1e15 }, 'quantity'],
    ['unit empty', { unit => '' }, 'unit'],
    ['unit too long', { unit => 'u' x 21 }, 'unit'],
    ['currency unknown', { currency => 'XXZ' }, 'currency'],
    ['currency lower case', { currency => 'eur' }, 'currency'],
    ['country unknown', { delivery_country => 'ZZ' }, 'delivery_country'],
    ['country alpha-3', { delivery_country => 'DEU' }, 'delivery_country'],
    ['need_by format', { need_by => '01/02/2030' }, 'need_by'],
    ['need_by impossible', { need_by => '2030-02-30' }, 'need_by'],
    ['deadline no zone', { quote_deadline => '2030-01-01T10:00:00' },
	'quote_deadline'],
    ['deadline date only', { quote_deadline => '2030-01-01' },
	'quote_deadline'],
    ['deadline hour 24', { quote_deadline => '2030-01-01T24:00:00Z' },
	'quote_deadline'],
    ['need_by before deadline', { need_by => rfq_date(2),
	quote_deadline => rfq_timestamp(5 * 86400) }, 'need_by'],
    ['visibility unknown', { visibility => 'secret' }, 'visibility'],
    ['nda_required string', { nda_required => 'yes' }, 'nda_required'],
    ['sealed null', { sealed => undef }, 'sealed'],
    ['id server-owned', { id => '6d58cbbc-729f-387b-18c8-8934d6d7ce5b' }, 'id'],
    ['status server-owned', { status => 'published' }, 'status'],
    ['buyer_org_id server-owned', { buyer_org_id => $supplier->{org_id} },
	'buyer_org_id'],
    ['organization_id server-owned',
	{ organization_id => $supplier->{org_id} }, 'organization_id'],
    ['version server-owned', { version => 7 }, 'version'],
    ['created_by server-owned', { created_by => $supplier->{user_id} },
	'created_by'],
    ['unknown field', { colour => 'red' }, 'colour'],
);
my $before = rfq_count();
for my $case (@bad) {
	my ($name, $override, $field) = @$case;
	my $body = rfq_body();
	for my $key (keys %$override) {
		if (($override->{$key} // '') eq '__delete__') {
			delete $body->{$key};
		} else {
			$body->{$key} = $override->{$key};
		}
	}
	$res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
	    json => $body);
	my $err = is_error_response($res, 400, 'validation_failed', $name);
	ok(exists $err->{error}{fields}{$field}, "$name: names $field")
	    or diag($res->{body});
}
is(rfq_count(), $before, 'invalid bodies: nothing stored');

# Valid edge values.
$res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
    json => rfq_body(quantity => 0.001, title => "Caf\x{e9} \x{2013} \x{1F529}",
    quote_deadline => '2031-03-01T10:00:00.5+02:00', need_by => '2031-03-02'));
my $edge = is_json_ok($res, 201, 'edge values');
is($edge->{quantity}, 0.001, 'edge values: smallest quantity');
is($edge->{quote_deadline}, '2031-03-01T08:00:00Z', 'edge values: UTC');
is($edge->{title}, "Caf\x{e9} \x{2013} \x{1F529}", 'edge values: Unicode title');

# NFC: a decomposed title is stored composed.
$res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
    json => rfq_body(title => "Cafe\x{301}"));
is(is_json_ok($res, 201, 'NFC')->{title}, "Caf\x{e9}", 'NFC: composed');

# ---- lists --------------------------------------------------------------------

for my $query ('sort=title%3BDROP%20TABLE%20rfqs', 'sort=title;DROP+TABLE+rfqs',
    'sort=title', 'order=sideways',
    'sort=created_at%20desc', 'status=open', "status=draft'--", 'limit=0',
    'limit=101', 'limit=x', 'cursor=abc', 'mine=yes') {
	$res = api('GET', "/api/v1/rfqs?$query", token => $buyer->{token});
	is_error_response($res, 400, 'validation_failed', "list ?$query");
}
is(psql_value("SELECT to_regclass('sscn.rfqs') IS NOT NULL"), 't',
    'list: rfqs table still there');

# Paging through the buyer's own RFQs, newest first and oldest first.
my @mine = map { create_rfq($buyer, title => "Page $_")->{id} } 1 .. 3;
my @seen;
my $cursor;
for (1 .. 10) {
	my $path = '/api/v1/rfqs?limit=2' . ($cursor ? "&cursor=$cursor" : '');
	my $page = api('GET', $path, token => $buyer->{token})->{json};
	push @seen, map { $_->{id} } @{ $page->{items} };
	$cursor = $page->{next_cursor} or last;
}
my $total = rfq_count();
is(scalar @seen, $total, 'paging: every RFQ once');
my %unique = map { $_ => 1 } @seen;
is(scalar keys %unique, $total, 'paging: no repeats');
is($seen[0], $mine[-1], 'paging: newest first');

my $asc = api('GET', '/api/v1/rfqs?order=asc&limit=100',
    token => $buyer->{token})->{json}{items};
is($asc->[-1]{id}, $mine[-1], 'order=asc: newest last');

my $by_deadline = api('GET', '/api/v1/rfqs?sort=quote_deadline&order=asc'
    . '&limit=100', token => $buyer->{token})->{json}{items};
my @deadlines = map { $_->{quote_deadline} // '~' } @$by_deadline;
is_deeply(\@deadlines, [sort @deadlines], 'sort=quote_deadline: ascending');

my $drafts = api('GET', '/api/v1/rfqs?status=draft&limit=100',
    token => $buyer->{token})->{json}{items};
ok(@$drafts && !(grep { $_->{status} ne 'draft' } @$drafts),
    'status=draft: drafts only');
ok(!(grep { exists $_->{description} } @$drafts),
    'list: items leave out the description');

my $other_buyer = org_user('buyer');
my $others = api('GET', '/api/v1/rfqs?limit=100',
    token => $other_buyer->{token})->{json}{items};
is(scalar @$others, 0, 'list: another buyer sees none of them');

done_testing();
