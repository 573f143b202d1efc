package SSCN::Documents;

# Helpers for the document tests t/23x_*.t: the owner objects a document
# belongs to (RFQs and quotes through the API where it is quick,
# certifications and other states as the superuser), small but valid
# PDF, PNG and JPEG files, and the two upload steps.  Accounts come from
# SSCN::Sourcing.

use v5.36;

use Compress::Zlib ();
use Digest::SHA qw(sha256_hex);
use Exporter qw(import);
use Test::More;

use SSCN::Quotes ();
use SSCN::Rfqs;
use SSCN::Test;

our @EXPORT = qw(
    new_uuid make_profile make_certification make_rfq published_rfq
    make_quote accept_nda pdf_bytes png_bytes jpeg_bytes create_document
    put_content get_content document_row sha256_hex
);

sub new_uuid () {
	return psql_value('SELECT gen_random_uuid()');
}

# The supplier profile of ORG_ID; returns ORG_ID.
sub make_profile ($org_id) {
	psql_value('INSERT INTO sscn.supplier_profiles (organization_id) '
	    . "VALUES ('$org_id') ON CONFLICT DO NOTHING");
	return $org_id;
}

# A claimed ISO 9001 certification of ORG_ID; returns its id.
sub make_certification ($org_id) {
	make_profile($org_id);
	my $id = new_uuid();
	psql_value('INSERT INTO sscn.certifications (id, organization_id, '
	    . 'scheme, certificate_no, issuer, valid_from, valid_until) '
	    . "VALUES ('$id', '$org_id', 'ISO 9001:2015', 'Q-1', 'TUV', "
	    . "'2025-01-01', '2028-01-01')");
	return $id;
}

# An RFQ of the buyer organization ORG_ID, written as the superuser for
# states that the API reaches only in several steps; returns its id.
# Options: status (default published), nda_required (0 or 1), visibility
# (default public).
sub make_rfq ($org_id, %opt) {
	my $id = new_uuid();
	my $status = $opt{status} // 'published';
	my $nda = $opt{nda_required} ? 'true' : 'false';
	my $nda_version = $opt{nda_required} ? "'2026-01'" : 'NULL';
	my $visibility = $opt{visibility} // 'public';
	my $cancel = $status eq 'cancelled'
	    ? "'no longer needed', now()" : 'NULL, NULL';
	psql_value('INSERT INTO sscn.rfqs (id, buyer_org_id, title, category, '
	    . 'quantity, unit, currency, delivery_country, quote_deadline, '
	    . 'visibility, nda_required, nda_version, status, published_at, '
	    . 'cancel_reason, cancelled_at) '
	    . "VALUES ('$id', '$org_id', 'Brackets', 'metal-machining', 100, "
	    . "'pcs', 'EUR', 'DE', now() + interval '7 days', '$visibility', "
	    . "$nda, $nda_version, '$status', now(), $cancel)");
	return $id;
}

# A published RFQ of BUYER (an org_user()), made through the API;
# OVERRIDES go to rfq_body().  Returns its id.
sub published_rfq ($buyer, %overrides) {
	return publish_rfq($buyer, create_rfq($buyer, %overrides))->{id};
}

# The quote of SUPPLIER (an org_user()) for RFQ_ID, submitted through the
# API; returns its id or dies.
sub make_quote ($rfq_id, $supplier) {
	my $res = SSCN::Quotes::submit_quote($supplier, $rfq_id);
	die "submit quote: status $res->{status} $res->{body}\n"
	    unless ($res->{status} // 0) == 201;
	return $res->{json}{id};
}

# Record that SUPPLIER (a member()) accepted the NDA of RFQ_ID.
sub accept_nda ($rfq_id, $supplier) {
	psql_value('INSERT INTO sscn.nda_acceptances (rfq_id, buyer_org_id, '
	    . 'supplier_org_id, user_id, nda_version, nda_sha256) '
	    . "SELECT id, buyer_org_id, '$supplier->{org_id}', "
	    . "'$supplier->{user_id}', nda_version, "
	    . "sha256(convert_to(nda_version, 'UTF8')) "
	    . "FROM sscn.rfqs WHERE id = '$rfq_id'");
}

# ---- files ------------------------------------------------------------------

# A one-page PDF with a correct cross-reference table; PADDING bytes of
# comment lines make it as large as a test needs.
sub pdf_bytes ($padding = 0) {
	my @objects = (
	    "<< /Type /Catalog /Pages 2 0 R >>",
	    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	);
	my $pdf = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
	my @offsets;
	for my $i (0 .. $#objects) {
		push @offsets, length $pdf;
		$pdf .= ($i + 1) . " 0 obj\n$objects[$i]\nendobj\n";
	}
	my $xref = length $pdf;
	$pdf .= "xref\n0 " . (@objects + 1) . "\n0000000000 65535 f \n";
	$pdf .= sprintf("%010d 00000 n \n", $_) for @offsets;
	$pdf .= "trailer\n<< /Size " . (@objects + 1) . " /Root 1 0 R >>\n"
	    . "startxref\n$xref\n";
	if ($padding > 0) {
		my $line = '%' . ('p' x 1022) . "\n";
		$pdf .= $line x int($padding / 1024);
		$pdf .= '%' . ('p' x ($padding % 1024 - 2)) . "\n"
		    if $padding % 1024 >= 2;
		$pdf .= "\n" if $padding % 1024 == 1;
	}
	return $pdf . "%%EOF\n";
}

sub _png_chunk ($type, $data) {
	return pack('N', length $data) . $type . $data
	    . pack('N', Compress::Zlib::crc32($type . $data));
}

# A 2x2 grey PNG.
sub png_bytes () {
	return "\x89PNG\r\n\x1a\n"
	    . _png_chunk('IHDR', pack('NNCCCCC', 2, 2, 8, 0, 0, 0, 0))
	    . _png_chunk('IDAT', Compress::Zlib::compress("\0\x80\x80\0\x80\x80"))
	    . _png_chunk('IEND', '');
}

# A 1x1 JPEG: SOI, JFIF APP0, a quantization table, an arithmetic-coded
# frame header (SOF9), its conditioning table, the scan and EOI.
sub jpeg_bytes () {
	return pack('H*', join '',
	    'ffd8ffe000104a46494600010101004800480000',
	    'ffdb004300030202020202030202020303030304060404040404080606050609',
	    '080a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210',
	    '130f101010',
	    'ffc9000b080001000101011100',
	    'ffcc000600101005',
	    'ffda0008010100003f00d2cf20',
	    'ffd9');
}

# ---- requests ---------------------------------------------------------------

# POST /api/v1/documents as MEMBER with FIELDS (a hash reference, or a
# JSON string sent as it is).
sub create_document ($member, $fields) {
	return api('POST', '/api/v1/documents', token => $member->{token},
	    json => $fields);
}

# PUT the bytes BODY as the content of document ID.  Options: type (the
# Content-Type, default application/octet-stream; undef sends none),
# addr (straight to sscnd, see api()).
sub put_content ($member, $id, $body, %opt) {
	my $type = exists $opt{type} ? $opt{type} : 'application/octet-stream';
	my @headers = ('Authorization' => "Bearer $member->{token}");
	push @headers, 'Content-Type' => $type if defined $type;
	if (defined $opt{addr}) {
		my %params = (REMOTE_ADDR => $opt{addr},
		    CONTENT_LENGTH => length $body,
		    CONTENT_TYPE => $type // '',
		    HTTP_AUTHORIZATION => "Bearer $member->{token}");
		my $res = fcgi_request(params => [fcgi_params('PUT',
		    "/api/v1/documents/$id/content", %params)], stdin => $body,
		    timeout => 60);
		$res->{json} = decode_json_body($res);
		return $res;
	}
	my $res = request('PUT', "/api/v1/documents/$id/content",
	    headers => \@headers, body => $body, timeout => 60);
	$res->{json} = decode_json_body($res);
	return $res;
}

# GET /api/v1/documents/ID/content as MEMBER; the bytes are in "body".
sub get_content ($member, $id) {
	my $res = request('GET', "/api/v1/documents/$id/content",
	    headers => ['Authorization' => "Bearer $member->{token}"],
	    timeout => 60);
	$res->{json} = decode_json_body($res) if (header($res, 'Content-Type')
	    // '') =~ m{^application/json};
	return $res;
}

# The stored state of document ID: {status, size, sha256 (hex),
# has_content (t or f), filename}, or undef when there is no such row.
sub document_row ($id) {
	my $rows = psql_json('SELECT status, size, encode(sha256, \'hex\') '
	    . 'AS sha256, content IS NOT NULL AS has_content, filename '
	    . "FROM sscn.documents WHERE id = '$id'");
	return $rows && @$rows ? $rows->[0] : undef;
}

1;
