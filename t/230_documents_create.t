#!/usr/bin/perl
# POST /api/v1/documents, the first upload step: the body is checked field
# by field, the file name is cleaned (directory parts dropped, control and
# bidirectional characters rejected, NFC, at most 255 bytes), and the
# caller's organization must own the owner object.  Every rejected request
# leaves no row behind; an accepted one writes an audit row.

use v5.36;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Documents;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $supplier = org_user('supplier');
my $other_supplier = org_user('supplier');
my $buyer = org_user('buyer');
my $other_buyer = org_user('buyer');

my $cert = make_certification($supplier->{org_id});
my $other_cert = make_certification($other_supplier->{org_id});
my $rfq = published_rfq($buyer);
my $other_rfq = published_rfq($other_buyer);
my $quote = make_quote($rfq, $supplier);
my $other_quote = make_quote($rfq, $other_supplier);

sub documents_of ($org_id) {
	return psql_value('SELECT count(*) FROM sscn.documents '
	    . "WHERE organization_id = '$org_id'");
}

sub pdf_fields (%opt) {
	return { purpose => 'certificate', owner_id => $cert,
	    filename => 'iso9001.pdf', content_type => 'application/pdf', %opt };
}

# ---- accepted ---------------------------------------------------------------

my $res = create_document($supplier, pdf_fields());
my $doc = is_json_ok($res, 201, 'create certificate');
like($doc->{id} // '', qr/^[0-9a-f-]{36}$/, 'create: id is a UUID');
is($doc->{status}, 'pending', 'create: status pending');
is($doc->{purpose}, 'certificate', 'create: purpose');
is($doc->{owner_id}, $cert, 'create: owner_id');
is($doc->{filename}, 'iso9001.pdf', 'create: filename');
is($doc->{content_type}, 'application/pdf', 'create: content_type');
is($doc->{organization_id}, $supplier->{org_id}, 'create: organization_id');
ok(!defined $doc->{size} && !defined $doc->{sha256},
    'create: no size or sha256 yet');
my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'document.create', 'create: audit action');
is($audit->{target}, $doc->{id}, 'create: audit target');
is_deeply($audit->{details}{fields},
    [qw(purpose owner_id filename content_type)],
    'create: audit names the fields');
unlike(JSON::PP->new->encode($audit->{details}), qr/iso9001/,
    'create: audit leaves the name out');

$doc = is_json_ok(create_document($supplier, pdf_fields(
    owner_id => $supplier->{org_id})), 201, 'create for supplier profile');
is($doc->{owner_id}, $supplier->{org_id}, 'profile: owner_id');

$doc = is_json_ok(create_document($buyer, { purpose => 'rfq_attachment',
    owner_id => $rfq, filename => 'drawing.png',
    content_type => 'image/png' }), 201, 'create RFQ attachment');
$doc = is_json_ok(create_document($supplier, {
    purpose => 'quote_attachment', owner_id => $quote,
    filename => 'offer.jpg', content_type => 'image/jpeg' }), 201,
    'create quote attachment');

# ---- file names -------------------------------------------------------------

my %cleaned = (
	'../../etc/report.pdf' => 'report.pdf',
	'C:\\Users\\anna\\..\\report.pdf' => 'report.pdf',
	'  spaced name.pdf  ' => 'spaced name.pdf',
	"Cafe\x{0301} menu.pdf" => "Caf\x{e9} menu.pdf",
	'Prüfbericht "Q1".pdf' => 'Prüfbericht "Q1".pdf',
	('d/' x 300) . 'deep.pdf' => 'deep.pdf',
);
for my $sent (sort keys %cleaned) {
	my $name = substr($sent =~ s/[^\x20-\x7e]/?/gr, 0, 40);
	my $body = is_json_ok(create_document($supplier,
	    pdf_fields(filename => $sent)), 201, "filename '$name'");
	is($body->{filename}, $cleaned{$sent}, "filename '$name': cleaned");
}

my $before = documents_of($supplier->{org_id});
my %rejected = (
	'control character' => "../evil\x01.pdf",
	'newline' => "report\n.pdf",
	'tab' => "report\t.pdf",
	'DEL' => "report\x7f.pdf",
	'C1 control' => "report\x{85}.pdf",
	'right-to-left override' => "invoice\x{202e}fdp.exe",
	'only a directory' => '../../',
	'only dots' => '..',
	'empty' => '',
	'spaces only' => '   ',
	'256 bytes' => ('a' x 252) . '.pdf',
	'256 bytes of UTF-8' => ('ä' x 126) . '.pdf',
);
for my $case (sort keys %rejected) {
	my $body = is_error_response(create_document($supplier,
	    pdf_fields(filename => $rejected{$case})), 400, 'validation_failed',
	    "filename $case");
	ok(exists $body->{error}{fields}{filename},
	    "filename $case: names the field");
}
is_json_ok(create_document($supplier, pdf_fields(
    filename => ('a' x 251) . '.pdf')), 201, 'filename of 255 bytes');
$before++;
is(documents_of($supplier->{org_id}), $before,
    'rejected names: nothing stored');

# ---- other fields -----------------------------------------------------------

my %bad_bodies = (
	'unknown field' => [pdf_fields(status => 'stored'), 'status'],
	'organization_id' => [pdf_fields(organization_id =>
	    $other_supplier->{org_id}), 'organization_id'],
	'unknown purpose' => [pdf_fields(purpose => 'avatar'), 'purpose'],
	'missing purpose' => [{ %{ pdf_fields() }, purpose => undef },
	    'purpose'],
	'content type text/html' => [pdf_fields(content_type => 'text/html'),
	    'content_type'],
	'content type upper case' => [pdf_fields(
	    content_type => 'APPLICATION/PDF'), 'content_type'],
	'owner_id not a UUID' => [pdf_fields(owner_id => "1' OR '1'='1"),
	    'owner_id'],
	'filename a number' => [pdf_fields(filename => 7), 'filename'],
);
for my $case (sort keys %bad_bodies) {
	my ($fields, $field) = @{ $bad_bodies{$case} };
	delete $fields->{$_} for grep { !defined $fields->{$_} } keys %$fields;
	my $body = is_error_response(create_document($supplier, $fields), 400,
	    'validation_failed', $case);
	ok(exists $body->{error}{fields}{$field}, "$case: names $field");
}
is_error_response(create_document($supplier, '[1]'), 400,
    'validation_failed', 'body not an object');
is_error_response(api('POST', '/api/v1/documents', json => pdf_fields()),
    401, 'unauthorized', 'no login');

# ---- owner objects ----------------------------------------------------------

my %not_found = (
	"another supplier's certification" => [$supplier, pdf_fields(
	    owner_id => $other_cert)],
	"another supplier's profile" => [$supplier, pdf_fields(
	    owner_id => $other_supplier->{org_id})],
	'a certification, as a buyer' => [$buyer, pdf_fields()],
	"another buyer's RFQ" => [$buyer, { purpose => 'rfq_attachment',
	    owner_id => $other_rfq, filename => 'a.pdf',
	    content_type => 'application/pdf' }],
	'an RFQ, as a supplier' => [$supplier, { purpose => 'rfq_attachment',
	    owner_id => $rfq, filename => 'a.pdf',
	    content_type => 'application/pdf' }],
	"another supplier's quote" => [$supplier, {
	    purpose => 'quote_attachment', owner_id => $other_quote,
	    filename => 'a.pdf', content_type => 'application/pdf' }],
	'a quote, as its buyer' => [$buyer, { purpose => 'quote_attachment',
	    owner_id => $quote, filename => 'a.pdf',
	    content_type => 'application/pdf' }],
	'an RFQ id as a quote' => [$buyer, { purpose => 'quote_attachment',
	    owner_id => $rfq, filename => 'a.pdf',
	    content_type => 'application/pdf' }],
	'no such object' => [$supplier, pdf_fields(owner_id => new_uuid())],
);
my %counts = map { $_->{org_id} => documents_of($_->{org_id}) }
    $supplier, $buyer;
for my $case (sort keys %not_found) {
	my ($who, $fields) = @{ $not_found{$case} };
	is_error_response(create_document($who, $fields), 404, 'not_found',
	    "owner $case");
}
is(documents_of($_->{org_id}), $counts{$_->{org_id}},
    "wrong owners: nothing stored for $_->{user}{organization_kind}")
    for $supplier, $buyer;

my $cancelled = published_rfq($buyer);
is(api('POST', "/api/v1/rfqs/$cancelled/cancel", token => $buyer->{token},
    json => { reason => 'no longer needed' })->{status}, 200,
    'setup: RFQ cancelled');
is_error_response(create_document($buyer, { purpose => 'rfq_attachment',
    owner_id => $cancelled, filename => 'a.pdf',
    content_type => 'application/pdf' }), 409, 'conflict',
    'cancelled RFQ');
my $draft = create_rfq($buyer)->{id};
is_json_ok(create_document($buyer, { purpose => 'rfq_attachment',
    owner_id => $draft, filename => 'a.pdf',
    content_type => 'application/pdf' }), 201, 'draft RFQ');
is(api('POST', "/api/v1/quotes/$quote/withdraw",
    token => $supplier->{token})->{status}, 200, 'setup: quote withdrawn');
is_error_response(create_document($supplier, {
    purpose => 'quote_attachment', owner_id => $quote, filename => 'a.pdf',
    content_type => 'application/pdf' }), 409, 'conflict',
    'withdrawn quote');

# Certificates belong to the supplier profile, which only owners and
# admins edit.
my $plain = colleague($supplier, 'member');
is_error_response(create_document($plain, pdf_fields()), 403, 'forbidden',
    'certificate by a plain member');
my $admin = colleague($supplier, 'admin');
is_json_ok(create_document($admin, pdf_fields()), 201,
    'certificate by an admin');

done_testing();
