#!/usr/bin/perl
# Row-level security one level below the API: SQL run as the runtime role
# sscn_app with buyer A's settings sees no row of buyer B in sscn.rfqs,
# sscn.rfq_invitations and sscn.nda_acceptances, and can change none; a
# supplier sees only what it was invited to or what is public; and the
# owner-run helper functions answer only the RFQ's own buyer.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $buyer_a = org_user('buyer');
my $buyer_b = org_user('buyer');
my $supplier = org_user('supplier');
my $stranger = org_user('supplier');

# Buyer B: a draft, and a published invited RFQ with an NDA and an
# acceptance by the supplier.
my $draft_b = create_rfq($buyer_b);
my $rfq_b = publish_rfq($buyer_b, create_rfq($buyer_b, visibility => 'invited',
    nda_required => JSON::PP::true), $supplier);
my $accept = api('POST', "/api/v1/rfqs/$rfq_b->{id}/nda/accept",
    token => $supplier->{token}, json => { version => $rfq_b->{nda_version} });
is($accept->{status}, 201, 'setup: supplier accepted the NDA');
my $rfq_a = create_rfq($buyer_a);

my $b_org = $buyer_b->{org_id};
for my $table (qw(rfqs rfq_invitations nda_acceptances)) {
	ok(psql_value("SELECT count(*) FROM sscn.$table WHERE buyer_org_id = "
	    . "'$b_org'") > 0, "setup: buyer B has rows in $table");
	is(sql_as($buyer_a, "SELECT count(*) FROM sscn.$table "
	    . "WHERE buyer_org_id = '$b_org'"), 0,
	    "rls: buyer A sees none of B's $table");
	is(sql_as($buyer_a, "SELECT count(*) FROM sscn.$table"),
	    $table eq 'rfqs' ? 1 : 0, "rls: buyer A sees only its own $table");
	is(sql_as($buyer_b, "SELECT count(*) FROM sscn.$table "
	    . "WHERE buyer_org_id = '$b_org'"),
	    psql_value("SELECT count(*) FROM sscn.$table WHERE buyer_org_id = "
	    . "'$b_org'"), "rls: buyer B sees all of its $table");
}

is(sql_as($buyer_a, "UPDATE sscn.rfqs SET title = 'taken' "
    . "WHERE buyer_org_id = '$b_org' RETURNING 1"), '',
    'rls: buyer A updates no RFQ of B');
is(psql_value("SELECT count(*) FROM sscn.rfqs WHERE title = 'taken'"), 0,
    'rls: titles of B unchanged');
like(sql_as_refused($buyer_a, "INSERT INTO sscn.rfqs (id, buyer_org_id, "
    . "title) VALUES (gen_random_uuid(), '$b_org', 'planted')"),
    qr/row-level security/, 'rls: buyer A cannot insert an RFQ for B');
is(psql_value("SELECT count(*) FROM sscn.rfqs WHERE title = 'planted'"), 0,
    'rls: nothing planted');

# Suppliers: the invited one sees the published RFQ and its own rows; a
# stranger sees neither; nobody sees a draft.
is(sql_as($supplier, "SELECT count(*) FROM sscn.rfqs "
    . "WHERE id = '$rfq_b->{id}'"), 1, 'rls: invited supplier sees the RFQ');
is(sql_as($supplier, "SELECT count(*) FROM sscn.rfqs "
    . "WHERE id = '$draft_b->{id}'"), 0, 'rls: supplier sees no draft');
is(sql_as($supplier, "SELECT count(*) FROM "
    . "sscn.nda_acceptances WHERE rfq_id = '$rfq_b->{id}'"), 1,
    'rls: supplier sees its acceptance');
for my $table (qw(rfqs rfq_invitations nda_acceptances)) {
	is(sql_as($stranger, "SELECT count(*) FROM "
	    . "sscn.$table WHERE buyer_org_id = '$b_org'"), 0,
	    "rls: stranger sees none of B's $table");
}
is(sql_as($supplier, "UPDATE sscn.rfqs SET title = 'x' "
    . "WHERE id = '$rfq_b->{id}' RETURNING 1"), '',
    'rls: supplier cannot update the RFQ');

# The settings are what isolates: with none, nothing is visible.
is(sql_as({}, 'SELECT count(*) FROM sscn.rfqs'), 0,
    'rls: no settings, no rows');

# Owner-run helpers refuse anyone but the RFQ's buyer.
is(sql_as($buyer_a, "SELECT count(*) FROM "
    . "sscn.rfq_supplier_contacts('$rfq_b->{id}')"), 0,
    'contacts: another buyer gets none');
is(sql_as($supplier, "SELECT count(*) FROM "
    . "sscn.rfq_supplier_contacts('$rfq_b->{id}')"), 0,
    'contacts: a supplier gets none');
is(sql_as($buyer_b, "SELECT count(*) FROM "
    . "sscn.rfq_supplier_contacts('$rfq_b->{id}')"), 1,
    'contacts: the buyer gets the invitee owner');

my $quote = psql_value('SELECT gen_random_uuid()');
psql_value('INSERT INTO sscn.quotes (id, rfq_id, buyer_org_id, '
    . "supplier_org_id) VALUES ('$quote', '$rfq_b->{id}', '$b_org', "
    . "'$supplier->{org_id}')");
is(sql_as($buyer_a, "SELECT sscn.rfq_move_quotes("
    . "'$rfq_b->{id}', 'rejected')"), 0, 'move quotes: another buyer moves none');
is(psql_value("SELECT status FROM sscn.quotes WHERE id = '$quote'"),
    'submitted', 'move quotes: quote unchanged');

done_testing();
