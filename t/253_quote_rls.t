#!/usr/bin/perl
# Row-level security under the quote and message handlers: SQL run as
# the runtime role sscn_app with one organization's settings, as the
# session check sets them, sees and changes none of another supplier's
# quotes, quote revisions and messages, and another buyer sees none at
# all.  The buyer sees a sealed RFQ's quotes only after its deadline.

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

my $rfq = make_rfq($buyer, sealed => 1);
my $qa = submit_quote($alpha, $rfq)->{json}{id};
my $qb = submit_quote($beta, $rfq)->{json}{id};
ok($qa && $qb, 'setup: two quotes');
is(api('POST', "/api/v1/rfqs/$rfq/messages", token => $beta->{token},
    json => { body => 'Beta only.' })->{status}, 201, 'setup: beta message');
is(api('POST', "/api/v1/rfqs/$rfq/messages", token => $alpha->{token},
    json => { body => 'Alpha only.' })->{status}, 201,
    'setup: alpha message');

my %of_beta = (
    'sscn.quotes' => "supplier_org_id = '$beta->{org_id}'",
    'sscn.quote_revisions' => "supplier_org_id = '$beta->{org_id}'",
    'sscn.messages' => "supplier_org_id = '$beta->{org_id}'",
);
for my $table (sort keys %of_beta) {
	is(sql_as($alpha, "SELECT count(*) FROM $table "
	    . "WHERE $of_beta{$table}"), 0, "alpha sees no row of beta: $table");
	is(sql_as($alpha, "SELECT count(*) FROM $table "
	    . "WHERE supplier_org_id = '$alpha->{org_id}'"), 1,
	    "alpha sees its own row: $table");
	is(sql_as($other_buyer, "SELECT count(*) FROM $table "
	    . "WHERE buyer_org_id = '$buyer->{org_id}'"), 0,
	    "other buyer sees no row: $table");
}
is(sql_as($alpha, 'SELECT count(*) FROM sscn.quotes q '
    . 'JOIN sscn.quote_revisions v ON v.quote_id = q.id '
    . "WHERE q.rfq_id = '$rfq'"), 1, 'alpha counts only its own quote');

# Changes to beta's rows do not reach them.
is(sql_as($alpha, "UPDATE sscn.quotes SET status = "
    . "'withdrawn' WHERE id = '$qb' RETURNING 1"), '',
    'alpha cannot withdraw beta');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$qb'"),
    'submitted', 'beta quote unchanged');
like(sql_as_refused($alpha, 'INSERT INTO sscn.messages (id, '
    . 'rfq_id, buyer_org_id, supplier_org_id, author_id, author_org_id, '
    . "body) VALUES (gen_random_uuid(), '$rfq', '$buyer->{org_id}', "
    . "'$beta->{org_id}', '$alpha->{user_id}', '$beta->{org_id}', 'x')"),
    qr/row-level security/, 'alpha cannot write into beta thread');
is(sql_row_count('sscn.messages', "rfq_id = '$rfq'"), 2,
    'no message added');
like(sql_as_refused($alpha, 'INSERT INTO sscn.quote_revisions '
    . '(quote_id, buyer_org_id, supplier_org_id, revision, unit_price, '
    . 'currency, lead_time_days, valid_until, created_by) VALUES '
    . "('$qb', '$buyer->{org_id}', '$beta->{org_id}', 2, 1, 'EUR', 1, "
    . "current_date + 9, '$alpha->{user_id}')"),
    qr/row-level security/, 'alpha cannot revise beta');
is(sql_row_count('sscn.quote_revisions', "quote_id = '$qb'"), 1,
    'no revision added');

# The buyer: messages at once, sealed quotes only after the deadline.
is(sql_as($buyer, "SELECT count(*) FROM sscn.messages "
    . "WHERE rfq_id = '$rfq'"), 2, 'buyer sees both threads');
is(sql_as($buyer, "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 0, 'buyer sees no sealed quote before');
is(sql_as($buyer, "SELECT count(*) FROM sscn.quote_revisions "
    . "WHERE buyer_org_id = '$buyer->{org_id}'"), 0,
    'buyer sees no sealed revision before');
rfq_set($rfq, quote_deadline => "now() - interval '1 second'");
is(sql_as($buyer, "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 2, 'buyer sees both quotes after');
is(sql_as($other_buyer, "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 0, 'other buyer still sees none');

# The award mail recipients answer only the RFQ's buyer.
is(sql_as($other_buyer, 'SELECT count(*) FROM '
    . "sscn.quote_award_recipients('$rfq')"), 0,
    'award recipients: none for another buyer');
is(sql_as($alpha, 'SELECT count(*) FROM '
    . "sscn.quote_award_recipients('$rfq')"), 0,
    'award recipients: none for a supplier');

done_testing();
