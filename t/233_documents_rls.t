#!/usr/bin/perl
# Row-level security of sscn.documents one level below the API: SQL run
# as the runtime role sscn_app with organization A's settings sees none
# of organization B's pending documents, none of B's stored documents
# whose owner A cannot see, and can neither store content into B's
# documents nor insert a document in B's name.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Documents;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $buyer_a = org_user('buyer');
my $buyer_b = org_user('buyer');
my $supplier = org_user('supplier');

my $rfq_b = create_rfq($buyer_b)->{id};
my @pending_b = map {
	create_document($buyer_b, { purpose => 'rfq_attachment', owner_id => $rfq_b,
	    filename => "b$_.pdf", content_type => 'application/pdf' })
	    ->{json}{id}
} 1 .. 3;
my $stored_b = create_document($buyer_b, { purpose => 'rfq_attachment',
    owner_id => $rfq_b, filename => 'b.pdf',
    content_type => 'application/pdf' })->{json}{id};
is(put_content($buyer_b, $stored_b, pdf_bytes())->{status}, 200,
    "B's draft attachment stored");
my $cert = make_certification($supplier->{org_id});
my $pending_cert = create_document($supplier, { purpose => 'certificate',
    owner_id => $cert, filename => 'c.pdf',
    content_type => 'application/pdf' })->{json}{id};
ok(!grep({ !defined } @pending_b, $stored_b, $pending_cert),
    'documents created');

my $list_b = join ', ', map { "'$_'" } @pending_b, $stored_b;

is(sql_as($buyer_b, "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 4, "B sees its own four documents");
is(sql_as($buyer_a, "SELECT count(*) FROM sscn.documents "
    . "WHERE organization_id = '$buyer_b->{org_id}'"), 0,
    "A sees none of B's documents");
is(sql_as($buyer_a, "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 0, "A sees none of B's documents by id");
is(sql_as($supplier, "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 0,
    "a supplier sees no attachment of a draft RFQ");
is(sql_as($buyer_a, "SELECT count(*) FROM sscn.documents "
    . "WHERE id = '$pending_cert'"), 0,
    "A sees no pending certificate of a supplier");
is(sql_as($buyer_a, "SELECT count(*) FROM sscn.documents "
    . "WHERE status = 'pending' AND organization_id <> '$buyer_a->{org_id}'"), 0,
    "A sees no pending document of any other organization");

is(sql_as($buyer_a, "UPDATE sscn.documents SET status = 'stored', "
    . "content = '\\x00', size = 1, sha256 = sha256('\\x00'), "
    . "stored_at = now() WHERE id IN ($list_b) RETURNING id"), '',
    "A updates none of B's documents");
is(psql_value("SELECT count(*) FROM sscn.documents WHERE id IN ($list_b) "
    . "AND status = 'pending'"), 3, "B's pending documents unchanged");

like(sql_as_refused({ user_id => $buyer_a->{user_id},
    org_id => $buyer_a->{org_id} }, "INSERT INTO sscn.documents (id, "
    . "organization_id, purpose, owner_id, filename, content_type, "
    . "created_by) VALUES (gen_random_uuid(), '$buyer_b->{org_id}', "
    . "'rfq_attachment', '$rfq_b', 'x.pdf', 'application/pdf', "
    . "'$buyer_a->{user_id}')"), qr/violates row-level security policy/,
    "A cannot insert a document in B's name: row-level security");

is(sql_as($buyer_a, 'SELECT count(*) FROM sscn.documents '
    . "WHERE id = '$stored_b'"), 0, "A sees no stored attachment of B's "
    . 'draft RFQ');
is(sql_as({}, 'SELECT count(*) FROM sscn.documents'), 0,
    'no settings: no document visible');

done_testing();
