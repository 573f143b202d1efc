#!/usr/bin/perl
# The whole life of the quotes of one RFQ through the API: two suppliers
# quote, one revises (the history stays), the deadline passes, the buyer
# reads both quotes and awards one; the other is rejected, the RFQ is
# awarded and both suppliers get their mail.  Also the guards around it:
# validation of the terms, one quote per organization, no revision or
# withdrawal after the deadline, no award while the RFQ is published.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Quotes;
use Test::More;

require_stack();

my $buyer = org_user('buyer');
my $alpha = org_user('supplier');
my $beta = org_user('supplier');
my $rfq = make_rfq($buyer, title => 'Flanged bushings');
invite_supplier($rfq, $buyer, $alpha);

# ---- submit -------------------------------------------------------------

my $res = submit_quote($alpha, $rfq, unit_price => '12.3456');
my $body = is_json_ok($res, 201, 'submit');
my $qa = $body->{id};
like($qa // '', qr/^[0-9a-f-]{36}$/, 'submit: quote id is a UUID');
is(header($res, 'Location'), "/api/v1/quotes/$qa",
    'submit: Location names the quote');
is($body->{status}, 'submitted', 'submit: status submitted');
is($body->{revision}, 1, 'submit: revision 1');
is($body->{unit_price}, '12.3456', 'submit: price stored exactly');
is($body->{supplier_org_id}, $alpha->{org_id}, 'submit: supplier organization');
is($body->{locked}, JSON::PP::false, 'submit: not locked');
is($body->{notes}, "Material 1.4301.\nDelivery ex works.",
    'submit: multi-line notes kept');
is(psql_value("SELECT unit_price FROM sscn.quote_revisions "
    . "WHERE quote_id = '$qa'"), '12.3456', 'submit: numeric in database');
is(psql_value("SELECT response FROM sscn.rfq_invitations "
    . "WHERE rfq_id = '$rfq' AND supplier_org_id = '$alpha->{org_id}'"),
    'quoted', 'submit: invitation answered quoted');
my @audit = audit_rows(header($res, 'X-Request-ID'));
is(scalar(grep { $_->{action} eq 'quote.submit' && $_->{target} eq $qa }
    @audit), 1, 'submit: audit row');

$res = submit_quote($beta, $rfq, unit_price => 9);
$body = is_json_ok($res, 201, 'submit whole number');
my $qb = $body->{id};
is($body->{unit_price}, '9.0000', 'submit: whole number price');

is_error_response(submit_quote($alpha, $rfq), 409, 'conflict',
    'second quote of one organization');
is(sql_row_count('sscn.quotes', "rfq_id = '$rfq'"), 2,
    'second quote: nothing stored');

is_error_response(submit_quote($buyer, $rfq), 403, 'forbidden',
    'buyer cannot quote');

# ---- validation ---------------------------------------------------------

my $gamma = org_user('supplier');
my @bad = (
    [{ unit_price => 12.5 }, 'unit_price', 'fractional JSON number'],
    [{ unit_price => '-1' }, 'unit_price', 'negative price'],
    [{ unit_price => '1.23456' }, 'unit_price', 'five decimals'],
    [{ unit_price => '123456789012345' }, 'unit_price', '15 digits'],
    [{ unit_price => '1e3' }, 'unit_price', 'exponent'],
    [{ currency => 'XXX' }, 'currency', 'unknown currency'],
    [{ currency => 'USD' }, 'currency', 'currency other than the RFQ'],
    [{ lead_time_days => 3651 }, 'lead_time_days', 'lead time too long'],
    [{ lead_time_days => -1 }, 'lead_time_days', 'negative lead time'],
    [{ valid_until => '2020-01-01' }, 'valid_until', 'past valid_until'],
    [{ valid_until => '2027-02-30' }, 'valid_until', 'impossible date'],
    [{ notes => 'x' x 5001 }, 'notes', 'notes too long'],
    [{ notes => "bell\x07" }, 'notes', 'control character in notes'],
    [{ status => 'awarded' }, 'status', 'server-owned status'],
    [{ supplier_org_id => $beta->{org_id} }, 'supplier_org_id',
	'server-owned supplier'],
);
for my $case (@bad) {
	my ($over, $field, $name) = @$case;
	my $b = is_error_response(submit_quote($gamma, $rfq, %$over), 400,
	    'validation_failed', "submit $name");
	ok(exists $b->{error}{fields}{$field}, "submit $name: names $field");
}
is(sql_row_count('sscn.quotes', "supplier_org_id = '$gamma->{org_id}'"), 0,
    'invalid submits: nothing stored');

$res = api('POST', "/api/v1/rfqs/$rfq/quotes", token => $gamma->{token},
    json => { currency => 'EUR' });
$body = is_error_response($res, 400, 'validation_failed', 'submit missing');
for my $field (qw(unit_price lead_time_days valid_until)) {
	ok(exists $body->{error}{fields}{$field},
	    "submit missing: names $field");
}
is(api('POST', "/api/v1/rfqs/$rfq/quotes", json => quote_terms())->{status},
    401, 'submit without login: 401');

# ---- revise -------------------------------------------------------------

$res = api('PATCH', "/api/v1/quotes/$qa", token => $alpha->{token},
    json => { unit_price => '11.90', notes => 'Revised.' });
$body = is_json_ok($res, 200, 'revise');
is($body->{revision}, 2, 'revise: revision 2');
is($body->{unit_price}, '11.9000', 'revise: new price');
is($body->{lead_time_days}, 21, 'revise: unchanged field kept');
@audit = audit_rows(header($res, 'X-Request-ID'));
my ($revise_row) = grep { $_->{action} eq 'quote.revise' } @audit;
ok($revise_row, 'revise: audit row');
is_deeply([sort @{ $revise_row->{details}{fields} // [] }],
    ['notes', 'unit_price'], 'revise: audit names the fields');

$res = api('GET', "/api/v1/quotes/$qa", token => $alpha->{token});
$body = is_json_ok($res, 200, 'get own quote');
is(scalar @{ $body->{revisions} // [] }, 2, 'history: two revisions');
is($body->{revisions}[0]{unit_price}, '12.3456', 'history: first price kept');
is($body->{revisions}[1]{unit_price}, '11.9000', 'history: second price');
is($body->{revisions}[0]{notes}, "Material 1.4301.\nDelivery ex works.",
    'history: first notes kept');

# An empty PATCH reconfirms a quote whose RFQ terms changed.
psql_value("UPDATE sscn.quotes SET status = 'needs_reconfirmation' "
    . "WHERE id = '$qb'");
$res = api('PATCH', "/api/v1/quotes/$qb", token => $beta->{token}, json => {});
$body = is_json_ok($res, 200, 'reconfirm');
is($body->{status}, 'submitted', 'reconfirm: submitted again');
is($body->{revision}, 2, 'reconfirm: new revision');

# ---- buyer's view while published ---------------------------------------

$res = api('GET', "/api/v1/rfqs/$rfq/quotes", token => $buyer->{token});
$body = is_json_ok($res, 200, 'buyer list');
is(scalar @{ $body->{items} }, 2, 'buyer list: both quotes');
my ($listed) = grep { $_->{id} eq $qa } @{ $body->{items} };
is($listed->{supplier_name}, $alpha->{org_name}, 'buyer list: supplier name');
is($listed->{unit_price}, '11.9000', 'buyer list: current revision');

$res = api('GET', "/api/v1/rfqs/$rfq/quotes?limit=1",
    token => $buyer->{token});
$body = is_json_ok($res, 200, 'buyer page 1');
is(scalar @{ $body->{items} }, 1, 'page 1: one item');
ok(defined $body->{next_cursor}, 'page 1: next cursor');
my $first = $body->{items}[0]{id};
$res = api('GET', "/api/v1/rfqs/$rfq/quotes?limit=1&cursor="
    . $body->{next_cursor}, token => $buyer->{token});
$body = is_json_ok($res, 200, 'buyer page 2');
is(scalar @{ $body->{items} }, 1, 'page 2: one item');
isnt($body->{items}[0]{id}, $first, 'page 2: the other quote');
is($body->{next_cursor}, undef, 'page 2: last page');
is_error_response(api('GET', "/api/v1/rfqs/$rfq/quotes?cursor=bogus",
    token => $buyer->{token}), 400, 'validation_failed', 'bad cursor');
is_error_response(api('GET', "/api/v1/rfqs/$rfq/quotes?limit=101",
    token => $buyer->{token}), 400, 'validation_failed', 'limit 101');

is_error_response(api('POST', "/api/v1/quotes/$qa/award",
    token => $buyer->{token}), 409, 'conflict', 'award while published');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$qa'"),
    'submitted', 'award while published: quote unchanged');
is(psql_value("SELECT status FROM sscn.rfqs WHERE id = '$rfq'"),
    'published', 'award while published: RFQ unchanged');

# ---- the deadline passes ------------------------------------------------

rfq_set($rfq, quote_deadline => "now() - interval '1 minute'");

is_error_response(api('PATCH', "/api/v1/quotes/$qa",
    token => $alpha->{token}, json => { unit_price => '1' }), 409,
    'conflict', 'revise after deadline');
is_error_response(api('POST', "/api/v1/quotes/$qb/withdraw",
    token => $beta->{token}), 409, 'conflict', 'withdraw after deadline');
is(psql_value("SELECT current_revision || status FROM sscn.quotes "
    . "WHERE id = '$qa'"), '2submitted', 'after deadline: quote A unchanged');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$qb'"),
    'submitted', 'after deadline: quote B not withdrawn');
is_error_response(submit_quote($gamma, $rfq), 409, 'conflict',
    'submit after deadline');

$res = api('GET', "/api/v1/quotes/$qa", token => $alpha->{token});
is($res->{json}{locked}, JSON::PP::true, 'after deadline: quote locked');

$res = api('GET', "/api/v1/rfqs/$rfq/quotes", token => $buyer->{token});
$body = is_json_ok($res, 200, 'buyer list closed');
is(scalar @{ $body->{items} }, 2, 'buyer list closed: both quotes');

# ---- award --------------------------------------------------------------

is_error_response(api('POST', "/api/v1/quotes/$qa/award",
    token => $alpha->{token}), 403, 'forbidden', 'supplier awards own quote');

$res = api('POST', "/api/v1/quotes/$qa/award", token => $buyer->{token});
$body = is_json_ok($res, 200, 'award');
is($body->{status}, 'awarded', 'award: quote awarded');
ok(defined $body->{decided_at}, 'award: decided_at set');
is(psql_value("SELECT status || ' ' || (decided_at IS NOT NULL) "
    . "FROM sscn.quotes WHERE id = '$qb'"), 'rejected true',
    'award: other quote rejected');
is(psql_value("SELECT status || ' ' || awarded_quote_id || ' ' || "
    . "(awarded_at IS NOT NULL) || ' ' || (closed_at = quote_deadline) "
    . "|| ' ' || version FROM sscn.rfqs WHERE id = '$rfq'"),
    "awarded $qa true true 2", 'award: RFQ awarded, closed at deadline');

my %actions;
$actions{$_->{action}}++ for audit_rows(header($res, 'X-Request-ID'));
is($actions{'quote.award'}, 1, 'award: quote.award audited');
is($actions{'quote.reject'}, 1, 'award: quote.reject audited');
is($actions{'rfq.award'}, 1, 'award: rfq.award audited');

my @won = mail_for($alpha->{user}{email}, 'quote_awarded');
is(scalar @won, 1, 'award: mail to the awarded supplier');
like($won[0]{body} // '', qr/Flanged bushings/, 'award mail: names the RFQ');
is(scalar mail_for($beta->{user}{email}, 'quote_rejected'), 1,
    'award: mail to the rejected supplier');
is(scalar mail_for($beta->{user}{email}, 'quote_awarded'), 0,
    'award: no award mail to the rejected supplier');

is_error_response(api('POST', "/api/v1/quotes/$qb/award",
    token => $buyer->{token}), 409, 'conflict', 'second award');
is(psql_value("SELECT awarded_quote_id FROM sscn.rfqs WHERE id = '$rfq'"),
    $qa, 'second award: RFQ unchanged');

$res = api('GET', "/api/v1/quotes/$qb", token => $beta->{token});
is($res->{json}{status}, 'rejected', 'rejected supplier sees rejected');

# ---- withdraw and award guards on a second RFQ ---------------------------

my $rfq2 = make_rfq($buyer);
my $q2 = submit_quote($alpha, $rfq2)->{json}{id};
my $q3 = submit_quote($beta, $rfq2, valid_until => quote_terms()->{valid_until})
    ->{json}{id};
$res = api('POST', "/api/v1/quotes/$q2/withdraw", token => $alpha->{token});
$body = is_json_ok($res, 200, 'withdraw');
is($body->{status}, 'withdrawn', 'withdraw: status withdrawn');
ok(grep({ $_->{action} eq 'quote.withdraw' }
    audit_rows(header($res, 'X-Request-ID'))), 'withdraw: audited');
is_error_response(api('POST', "/api/v1/quotes/$q2/withdraw",
    token => $alpha->{token}), 409, 'conflict', 'withdraw twice');
is_error_response(api('PATCH', "/api/v1/quotes/$q2",
    token => $alpha->{token}, json => { notes => 'back' }), 409, 'conflict',
    'revise withdrawn');
is(scalar @{ api('GET', "/api/v1/rfqs/$rfq2/quotes",
    token => $buyer->{token})->{json}{items} }, 1,
    'buyer does not see the withdrawn quote');

# A quote whose valid_until passed cannot be awarded.
rfq_set($rfq2, quote_deadline => "now() - interval '1 minute'");
psql_value("UPDATE sscn.quote_revisions SET valid_until = current_date - 1 "
    . "WHERE quote_id = '$q3'");
$res = api('GET', "/api/v1/quotes/$q3", token => $buyer->{token});
is($res->{json}{status}, 'expired', 'expired quote reads expired');
is_error_response(api('POST', "/api/v1/quotes/$q3/award",
    token => $buyer->{token}), 409, 'conflict', 'award expired quote');
is(psql_value("SELECT status FROM sscn.rfqs WHERE id = '$rfq2'"), 'published',
    'award expired: RFQ unchanged');

done_testing();
