#!/usr/bin/perl
# Row-level security under the quote and message handlers: SQL run as
# the runtime role sscn_app with one organization's settings, as the
# session check sets them, sees and changes none of another supplier's
# quotes, quote revisions and messages, and another buyer sees none at
# all.  The buyer sees a sealed RFQ's quotes only after its deadline.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Quotes;
use Test::More;

require_stack();

my $buyer = party('buyer');
my $other_buyer = party('buyer');
my $alpha = party('supplier');
my $beta = party('supplier');

my $rfq = make_rfq($buyer, sealed => 1);
my $qa = submit_quote($alpha, $rfq)->{json}{id};
my $qb = submit_quote($beta, $rfq)->{json}{id};
ok($qa && $qb, 'setup: two quotes');
is(api('POST', "/api/v1/rfqs/$rfq/messages", token => $beta->{token},
    json => { body => 'Beta only.' })->{status}, 201, 'setup: beta message');
is(api('POST', "/api/v1/rfqs/$rfq/messages", token => $alpha->{token},
    json => { body => 'Alpha only.' })->{status}, 201,
    'setup: alpha message');

# Output of SQL run as sscn_app with the settings of PARTY acting as KIND.
sub as_party ($party, $kind, $sql) {
	my $out = psql_value("BEGIN; SET LOCAL ROLE sscn_app; "
	    . "SELECT set_config('sscn.user_id', '$party->{user_id}', true), "
	    . "set_config('sscn.org_id', '$party->{org}', true), "
	    . "set_config('sscn.org_role', 'owner', true), "
	    . "set_config('sscn.org_kind', '$kind', true); $sql; COMMIT");
	return undef unless defined $out;

	# The first line is the output of set_config.
	my @lines = split /\n/, $out;
	shift @lines;
	return join("\n", @lines);
}

# The error text of SQL that must fail as sscn_app with PARTY's settings,
# or '' when it succeeded.
sub refused_as ($party, $kind, $sql) {
	my ($status, $out) = dev_tool('psql', '-X', '-q', '-A', '-t', '-v',
	    'ON_ERROR_STOP=1', '-c', "BEGIN; SET LOCAL ROLE sscn_app; "
	    . "SELECT set_config('sscn.user_id', '$party->{user_id}', true), "
	    . "set_config('sscn.org_id', '$party->{org}', true), "
	    . "set_config('sscn.org_kind', '$kind', true); $sql; COMMIT");
	return $status != 0 ? $out : '';
}

my %of_beta = (
    'sscn.quotes' => "supplier_org_id = '$beta->{org}'",
    'sscn.quote_revisions' => "supplier_org_id = '$beta->{org}'",
    'sscn.messages' => "supplier_org_id = '$beta->{org}'",
);
for my $table (sort keys %of_beta) {
	is(as_party($alpha, 'supplier', "SELECT count(*) FROM $table "
	    . "WHERE $of_beta{$table}"), 0, "alpha sees no row of beta: $table");
	is(as_party($alpha, 'supplier', "SELECT count(*) FROM $table "
	    . "WHERE supplier_org_id = '$alpha->{org}'"), 1,
	    "alpha sees its own row: $table");
	is(as_party($other_buyer, 'buyer', "SELECT count(*) FROM $table "
	    . "WHERE buyer_org_id = '$buyer->{org}'"), 0,
	    "other buyer sees no row: $table");
}
is(as_party($alpha, 'supplier', 'SELECT count(*) FROM sscn.quotes q '
    . 'JOIN sscn.quote_revisions v ON v.quote_id = q.id '
    . "WHERE q.rfq_id = '$rfq'"), 1, 'alpha counts only its own quote');

# Changes to beta's rows do not reach them.
is(as_party($alpha, 'supplier', "UPDATE sscn.quotes SET status = "
    . "'withdrawn' WHERE id = '$qb' RETURNING 1"), '',
    'alpha cannot withdraw beta');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$qb'"),
    'submitted', 'beta quote unchanged');
like(refused_as($alpha, 'supplier', 'INSERT INTO sscn.messages (id, '
    . 'rfq_id, buyer_org_id, supplier_org_id, author_id, author_org_id, '
    . "body) VALUES (gen_random_uuid(), '$rfq', '$buyer->{org}', "
    . "'$beta->{org}', '$alpha->{user_id}', '$beta->{org}', 'x')"),
    qr/row-level security/, 'alpha cannot write into beta thread');
is(sql_row_count('sscn.messages', "rfq_id = '$rfq'"), 2,
    'no message added');
like(refused_as($alpha, 'supplier', 'INSERT INTO sscn.quote_revisions '
    . '(quote_id, buyer_org_id, supplier_org_id, revision, unit_price, '
    . 'currency, lead_time_days, valid_until, created_by) VALUES '
    . "('$qb', '$buyer->{org}', '$beta->{org}', 2, 1, 'EUR', 1, "
    . "current_date + 9, '$alpha->{user_id}')"),
    qr/row-level security/, 'alpha cannot revise beta');
is(sql_row_count('sscn.quote_revisions', "quote_id = '$qb'"), 1,
    'no revision added');

# The buyer: messages at once, sealed quotes only after the deadline.
is(as_party($buyer, 'buyer', "SELECT count(*) FROM sscn.messages "
    . "WHERE rfq_id = '$rfq'"), 2, 'buyer sees both threads');
is(as_party($buyer, 'buyer', "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 0, 'buyer sees no sealed quote before');
is(as_party($buyer, 'buyer', "SELECT count(*) FROM sscn.quote_revisions "
    . "WHERE buyer_org_id = '$buyer->{org}'"), 0,
    'buyer sees no sealed revision before');
rfq_set($rfq, quote_deadline => "now() - interval '1 second'");
is(as_party($buyer, 'buyer', "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 2, 'buyer sees both quotes after');
is(as_party($other_buyer, 'buyer', "SELECT count(*) FROM sscn.quotes "
    . "WHERE rfq_id = '$rfq'"), 0, 'other buyer still sees none');

# The award mail recipients answer only the RFQ's buyer.
is(as_party($other_buyer, 'buyer', 'SELECT count(*) FROM '
    . "sscn.quote_award_recipients('$rfq')"), 0,
    'award recipients: none for another buyer');
is(as_party($alpha, 'supplier', 'SELECT count(*) FROM '
    . "sscn.quote_award_recipients('$rfq')"), 0,
    'award recipients: none for a supplier');

done_testing();
