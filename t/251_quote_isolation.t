#!/usr/bin/perl
# Who reaches which quote.  A supplier sees only its own quote, never
# another's, not even by id; another buyer reaches none of them; the
# buyer reads but cannot change a supplier's quote; server-owned fields
# cannot be set by PATCH; a sealed RFQ hides its quotes from the buyer
# until it closes; an NDA RFQ takes quotes only after the NDA is
# accepted.  Every refused request leaves the database as it was.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Quotes;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $other_buyer = org_user('buyer');
my $alpha = org_user('supplier');
my $beta = org_user('supplier');

my $rfq = make_rfq($buyer);
my $qa = submit_quote($alpha, $rfq)->{json}{id};
my $qb = submit_quote($beta, $rfq, unit_price => '7')->{json}{id};
ok($qa && $qb, 'setup: two quotes');

# The state of quote ID that no refused request may change.
sub quote_state ($id) {
	return psql_value("SELECT q.status || ' ' || q.current_revision || ' ' "
	    . "|| v.unit_price || ' ' || coalesce(q.decided_at::text, '-') "
	    . "FROM sscn.quotes q JOIN sscn.quote_revisions v ON "
	    . "v.quote_id = q.id AND v.revision = q.current_revision "
	    . "WHERE q.id = '$id'");
}
my %before = ($qa => quote_state($qa), $qb => quote_state($qb));
my $rfq_before = psql_value("SELECT status || version FROM sscn.rfqs "
    . "WHERE id = '$rfq'");

# ---- suppliers see only their own ---------------------------------------

my $res = api('GET', "/api/v1/rfqs/$rfq/quotes", token => $alpha->{token});
my $body = is_json_ok($res, 200, 'supplier list');
is(scalar @{ $body->{items} }, 1, 'supplier list: one item');
is($body->{items}[0]{id}, $qa, 'supplier list: its own quote');
ok(!grep({ $_->{id} eq $qb } @{ $body->{items} }),
    'supplier list: no other quote');

my %as_alpha = (
    'GET quote' => ['GET', "/api/v1/quotes/$qb"],
    'PATCH quote' => ['PATCH', "/api/v1/quotes/$qb", { unit_price => '1' }],
    'withdraw' => ['POST', "/api/v1/quotes/$qb/withdraw"],
    'award' => ['POST', "/api/v1/quotes/$qb/award"],
);
for my $name (sort keys %as_alpha) {
	my ($method, $path, $json) = @{ $as_alpha{$name} };
	is_error_response(api($method, $path, token => $alpha->{token},
	    defined $json ? (json => $json) : ()), 404, 'not_found',
	    "other supplier's quote: $name");
}
is_error_response(api('GET', '/api/v1/quotes/00000000-0000-0000-0000-000000000000',
    token => $alpha->{token}), 404, 'not_found', 'missing quote');
is_error_response(api('GET', '/api/v1/quotes/not-a-uuid',
    token => $alpha->{token}), 404, 'not_found', 'malformed quote id');

# ---- another buyer reaches nothing ---------------------------------------

my %as_other = (
    'list' => ['GET', "/api/v1/rfqs/$rfq/quotes"],
    'submit' => ['POST', "/api/v1/rfqs/$rfq/quotes", quote_terms()],
    'GET quote' => ['GET', "/api/v1/quotes/$qa"],
    'PATCH quote' => ['PATCH', "/api/v1/quotes/$qa", { unit_price => '1' }],
    'withdraw' => ['POST', "/api/v1/quotes/$qa/withdraw"],
    'award' => ['POST', "/api/v1/quotes/$qa/award"],
);
for my $name (sort keys %as_other) {
	my ($method, $path, $json) = @{ $as_other{$name} };
	is_error_response(api($method, $path, token => $other_buyer->{token},
	    defined $json ? (json => $json) : ()), 404, 'not_found',
	    "other buyer: $name");
}

# ---- the buyer reads but does not change a supplier's quote --------------

is_json_ok(api('GET', "/api/v1/quotes/$qa", token => $buyer->{token}), 200,
    'buyer reads a quote');
is_error_response(api('PATCH', "/api/v1/quotes/$qa", token => $buyer->{token},
    json => { unit_price => '1' }), 403, 'forbidden', 'buyer revises');
is_error_response(api('POST', "/api/v1/quotes/$qa/withdraw",
    token => $buyer->{token}), 403, 'forbidden', 'buyer withdraws');

# ---- mass assignment -----------------------------------------------------

for my $field (qw(status rfq_id supplier_org_id buyer_org_id revision
    current_revision id decided_at submitted_at)) {
	my $value = $field =~ /revision/ ? 9 : $field eq 'status' ? 'awarded'
	    : $field =~ /_at$/ ? '2020-01-01T00:00:00Z' : $beta->{org_id};
	my $b = is_error_response(api('PATCH', "/api/v1/quotes/$qa",
	    token => $alpha->{token}, json => { $field => $value }), 400,
	    'validation_failed', "PATCH $field");
	ok(exists $b->{error}{fields}{$field}, "PATCH $field: names the field");
}
is_error_response(api('PATCH', "/api/v1/quotes/$qa", token => $alpha->{token},
    json => { unit_price => '2', status => 'awarded' }), 400,
    'validation_failed', 'PATCH price with status');

is(quote_state($_), $before{$_}, "quote $_ unchanged") for ($qa, $qb);
is(psql_value("SELECT status || version FROM sscn.rfqs WHERE id = '$rfq'"),
    $rfq_before, 'RFQ unchanged');
is(sql_row_count('sscn.quotes', "rfq_id = '$rfq'"), 2,
    'no quote added by the other buyer');

# ---- RFQs a supplier cannot see ------------------------------------------

my $invited = make_rfq($buyer, visibility => 'invited');
is_error_response(submit_quote($alpha, $invited), 404, 'not_found',
    'submit to an RFQ without invitation');
invite_supplier($invited, $buyer, $alpha);
is(submit_quote($alpha, $invited)->{status}, 201,
    'submit after the invitation');
my $draft = make_rfq($buyer, status => 'draft');
is_error_response(submit_quote($alpha, $draft), 404, 'not_found',
    'submit to a draft');
is(sql_row_count('sscn.quotes', "rfq_id = '$draft'"), 0,
    'draft: nothing stored');

# ---- sealed RFQ ----------------------------------------------------------

my $sealed = make_rfq($buyer, sealed => 1);
my $qs = submit_quote($alpha, $sealed)->{json}{id};
ok($qs, 'sealed: supplier quotes');
$res = api('GET', "/api/v1/rfqs/$sealed/quotes", token => $buyer->{token});
$body = is_json_ok($res, 200, 'sealed list before deadline');
is(scalar @{ $body->{items} }, 0, 'sealed before deadline: no quotes');
is_error_response(api('GET', "/api/v1/quotes/$qs", token => $buyer->{token}),
    404, 'not_found', 'sealed before deadline: GET quote');
is_error_response(api('POST', "/api/v1/quotes/$qs/award",
    token => $buyer->{token}), 404, 'not_found', 'sealed: award');
is(scalar @{ api('GET', "/api/v1/rfqs/$sealed/quotes",
    token => $alpha->{token})->{json}{items} }, 1,
    'sealed: the supplier sees its own quote');

rfq_set($sealed, quote_deadline => "now() - interval '1 second'");
$res = api('GET', "/api/v1/rfqs/$sealed/quotes", token => $buyer->{token});
$body = is_json_ok($res, 200, 'sealed list after deadline');
is(scalar @{ $body->{items} }, 1, 'sealed after deadline: the quote');
is_json_ok(api('GET', "/api/v1/quotes/$qs", token => $buyer->{token}), 200,
    'sealed after deadline: GET quote');

my $sealed2 = make_rfq($buyer, sealed => 1);
submit_quote($beta, $sealed2);
rfq_set($sealed2, status => "'closed'", closed_at => 'now()');
is(scalar @{ api('GET', "/api/v1/rfqs/$sealed2/quotes",
    token => $buyer->{token})->{json}{items} }, 1,
    'sealed closed by the buyer: the quote');

# ---- NDA gate ------------------------------------------------------------

my $nda = make_rfq($buyer, nda => 1);
is_error_response(submit_quote($alpha, $nda), 403, 'nda_required',
    'submit before the NDA');
is_error_response(api('GET', "/api/v1/rfqs/$nda/quotes",
    token => $alpha->{token}), 403, 'nda_required', 'list before the NDA');
accept_nda($nda, $buyer, $alpha, '2025-01');
is_error_response(submit_quote($alpha, $nda), 403, 'nda_required',
    'submit after accepting another version');
is(sql_row_count('sscn.quotes', "rfq_id = '$nda'"), 0,
    'NDA refused: nothing stored');
accept_nda($nda, $buyer, $alpha);
is(submit_quote($alpha, $nda)->{status}, 201, 'submit after the NDA');
is(scalar @{ api('GET', "/api/v1/rfqs/$nda/quotes",
    token => $buyer->{token})->{json}{items} }, 1,
    'buyer needs no NDA acceptance');

done_testing();
