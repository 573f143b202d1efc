#!/usr/bin/perl
# Row-level security of sscn.documents one level below the API: SQL run
# as the runtime role sscn_app with organization A's settings sees none
# of organization B's pending documents, none of B's stored documents
# whose owner A cannot see, and can neither store content into B's
# documents nor insert a document in B's name.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Documents;
use Test::More;

require_stack();

my $buyer_a = member('buyer');
my $buyer_b = member('buyer');
my $supplier = member('supplier');

my $rfq_b = make_rfq($buyer_b->{org_id}, status => 'draft');
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

# Run SQL as sscn_app with the session settings of MEMBER (a member(),
# acting with ROLE and KIND); returns psql's output after the settings.
sub as_member ($member, $kind, $sql) {
	my $settings = join ' ', map { "SELECT set_config('sscn.$_->[0]', "
	    . "'$_->[1]', true);" } ['user_id', $member->{user_id}],
	    ['org_id', $member->{org_id}], ['org_role', 'owner'],
	    ['org_kind', $kind];
	my $out = psql_value("BEGIN; SET LOCAL ROLE sscn_app; $settings "
	    . "$sql; ROLLBACK") // return undef;
	my @lines = split /\n/, $out;
	splice(@lines, 0, 4);
	return join("\n", @lines);
}

is(as_member($buyer_b, 'buyer', "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 4, "B sees its own four documents");
is(as_member($buyer_a, 'buyer', "SELECT count(*) FROM sscn.documents "
    . "WHERE organization_id = '$buyer_b->{org_id}'"), 0,
    "A sees none of B's documents");
is(as_member($buyer_a, 'buyer', "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 0, "A sees none of B's documents by id");
is(as_member($supplier, 'supplier', "SELECT count(*) FROM sscn.documents "
    . "WHERE id IN ($list_b)"), 0,
    "a supplier sees no attachment of a draft RFQ");
is(as_member($buyer_a, 'buyer', "SELECT count(*) FROM sscn.documents "
    . "WHERE id = '$pending_cert'"), 0,
    "A sees no pending certificate of a supplier");
is(as_member($buyer_a, 'buyer', "SELECT count(*) FROM sscn.documents "
    . "WHERE status = 'pending' AND organization_id <> '$buyer_a->{org_id}'"), 0,
    "A sees no pending document of any other organization");

is(as_member($buyer_a, 'buyer', "UPDATE sscn.documents SET status = 'stored', "
    . "content = '\\x00', size = 1, sha256 = sha256('\\x00'), "
    . "stored_at = now() WHERE id IN ($list_b) RETURNING id"), '',
    "A updates none of B's documents");
is(psql_value("SELECT count(*) FROM sscn.documents WHERE id IN ($list_b) "
    . "AND status = 'pending'"), 3, "B's pending documents unchanged");

my ($status, $out) = dev_tool('psql', '-X', '-q', '-A', '-t', '-v',
    'ON_ERROR_STOP=1', '-c', "BEGIN; SET LOCAL ROLE sscn_app; "
    . "SELECT set_config('sscn.user_id', '$buyer_a->{user_id}', true); "
    . "SELECT set_config('sscn.org_id', '$buyer_a->{org_id}', true); "
    . "INSERT INTO sscn.documents (id, organization_id, purpose, owner_id, "
    . "filename, content_type, created_by) VALUES (gen_random_uuid(), "
    . "'$buyer_b->{org_id}', 'rfq_attachment', '$rfq_b', 'x.pdf', "
    . "'application/pdf', '$buyer_a->{user_id}'); COMMIT");
isnt($status, 0, "A cannot insert a document in B's name");
like($out, qr/violates row-level security policy/,
    "insert in B's name: rejected by row-level security");

is(as_member($buyer_a, 'buyer', 'SELECT count(*) FROM sscn.documents '
    . "WHERE id = '$stored_b'"), 0, "A sees no stored attachment of B's "
    . 'draft RFQ');
is(psql_value("BEGIN; SET LOCAL ROLE sscn_app; "
    . "SELECT count(*) FROM sscn.documents; ROLLBACK"), 0,
    'no settings: no document visible');

done_testing();
