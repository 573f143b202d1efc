#!/usr/bin/perl
# The whole sourcing flow through the API, across its parts: a buyer
# creates an RFQ with an NDA, invites two suppliers and publishes; the
# suppliers accept the NDA, quote and one revises; the deadline passes;
# the buyer sees both quotes and awards one; the other is rejected, the
# RFQ is awarded, mails are queued and every step left its audit row.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();

my $buyer = org_user('buyer');
my $first = org_user('supplier');
my $second = org_user('supplier');
my $DEADLINE = 8;

# ---- the buyer creates, invites and publishes ---------------------------

my $created = time;
my $rfq = create_rfq($buyer, visibility => 'invited',
    nda_required => JSON::PP::true, sealed => JSON::PP::true,
    quote_deadline => rfq_timestamp($DEADLINE), need_by => rfq_date(20));
is($rfq->{status}, 'draft', 'flow: created as draft');
my $published = publish_rfq($buyer, $rfq, $first, $second);
is($published->{status}, 'published', 'flow: published');
ok(scalar(mail_for($first->{user}{email})) >= 1,
    'flow: invitation mail queued for the first supplier');

# ---- suppliers accept the NDA and quote ---------------------------------

my $gated = api('GET', "/api/v1/rfqs/$rfq->{id}", token => $first->{token});
is($gated->{status}, 403, 'flow: details locked before the NDA');
is($gated->{json}{error}{code}, 'nda_required', 'flow: code nda_required');

my $nda = api('GET', '/api/v1/legal/nda')->{json}{version};
for my $supplier ($first, $second) {
	my $res = api('POST', "/api/v1/rfqs/$rfq->{id}/nda/accept",
	    token => $supplier->{token}, json => { version => $nda });
	is($res->{status}, 201, 'flow: NDA accepted');
}
is(api('GET', "/api/v1/rfqs/$rfq->{id}", token => $first->{token})
    ->{status}, 200, 'flow: details open after the NDA');

my %quote;
for my $supplier ($first, $second) {
	my $res = api('POST', "/api/v1/rfqs/$rfq->{id}/quotes",
	    token => $supplier->{token},
	    json => { unit_price => $supplier == $first ? '12.50' : '11.75',
		currency => 'EUR', lead_time_days => 21,
		valid_until => rfq_date(60), notes => 'Flow test quote.' });
	is($res->{status}, 201, 'flow: quote submitted') or diag($res->{body});
	$quote{$supplier} = $res->{json}{id};
}

my $revised = api('PATCH', "/api/v1/quotes/$quote{$first}",
    token => $first->{token}, json => { unit_price => '11.20' });
is($revised->{status}, 200, 'flow: quote revised') or diag($revised->{body});
my $history = api('GET', "/api/v1/quotes/$quote{$first}",
    token => $first->{token})->{json};
is(scalar @{ $history->{revisions} // [] }, 2,
    'flow: revision history kept');

my $own = api('GET', "/api/v1/rfqs/$rfq->{id}/quotes",
    token => $second->{token})->{json};
is(scalar @{ $own->{items} // [] }, 1, 'flow: a supplier sees one quote');
is($own->{items}[0]{id}, $quote{$second}, 'flow: and it is its own');

my $sealed = api('GET', "/api/v1/rfqs/$rfq->{id}/quotes",
    token => $buyer->{token})->{json};
is(scalar @{ $sealed->{items} // [] }, 0,
    'flow: sealed quotes hidden before the deadline');

# ---- the deadline passes, the buyer awards --------------------------------

my $wait = $created + $DEADLINE + 1 - time;
sleep $wait if $wait > 0;

is(api('GET', "/api/v1/rfqs/$rfq->{id}", token => $buyer->{token})
    ->{json}{status}, 'closed', 'flow: closed at the deadline');
my $late = api('PATCH', "/api/v1/quotes/$quote{$second}",
    token => $second->{token}, json => { unit_price => '9.00' });
is($late->{status}, 409, 'flow: no revision after the deadline');

my $visible = api('GET', "/api/v1/rfqs/$rfq->{id}/quotes",
    token => $buyer->{token})->{json};
is(scalar @{ $visible->{items} // [] }, 2,
    'flow: the buyer sees both quotes after the deadline');

my $award = api('POST', "/api/v1/quotes/$quote{$first}/award",
    token => $buyer->{token});
is($award->{status}, 200, 'flow: award') or diag($award->{body});

is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$quote{$first}'"),
    'awarded', 'flow: the chosen quote is awarded');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$quote{$second}'"),
    'rejected', 'flow: the other quote is rejected');
is(psql_value("SELECT status || ' ' || awarded_quote_id FROM sscn.rfqs "
    . "WHERE id = '$rfq->{id}'"), "awarded $quote{$first}",
    'flow: the RFQ is awarded to that quote');
ok(scalar(mail_for($first->{user}{email}, 'quote_awarded')),
    'flow: award mail queued');
ok(scalar(mail_for($second->{user}{email}, 'quote_rejected')),
    'flow: rejection mail queued');

# ---- the audit trail --------------------------------------------------------

for my $action (qw(rfq.create rfq.invite rfq.publish rfq.nda_accept quote.submit
    quote.revise quote.award quote.reject rfq.award)) {
	cmp_ok(psql_value("SELECT count(*) FROM sscn.audit_log "
	    . "WHERE action = '$action' AND (target = '$rfq->{id}' OR target "
	    . "IN ('$quote{$first}', '$quote{$second}'))"), '>=', 1,
	    "flow: audit row $action");
}

# ---- the buyer's name on the RFQ follows a rename ---------------------------

is(api('GET', "/api/v1/rfqs/$rfq->{id}", token => $first->{token})
    ->{json}{buyer}{name}, $buyer->{org_name}, 'flow: buyer name on the RFQ');
is(api('PATCH', "/api/v1/organizations/$buyer->{org_id}",
    token => $buyer->{token}, json => { name => 'Renamed Buyer AG' })
    ->{status}, 200, 'flow: buyer renamed');
is(api('GET', "/api/v1/rfqs/$rfq->{id}", token => $first->{token})
    ->{json}{buyer}{name}, 'Renamed Buyer AG',
    'flow: the RFQ shows the new name at once');

done_testing();
