#!/usr/bin/perl
# GET /api/v1/documents/{id}/content and GET /api/v1/documents/{id}: who
# may download which document (those who can see its owner object), the
# NDA gate of RFQ attachments, the response headers of a download, and
# the audit row that every download writes.

use v5.36;
use utf8;
use JSON::PP ();
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Documents;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $supplier = org_user('supplier');
my $rival = org_user('supplier');
my $buyer = org_user('buyer');
my $other_buyer = org_user('buyer');

# A stored document of OWNER (a member()) with FIELDS; returns its id.
sub stored ($owner, %fields) {
	my $type = $fields{content_type} //= 'application/pdf';
	$fields{filename} //= 'file.pdf';
	my $res = create_document($owner, \%fields);
	my $id = $res->{json}{id} // die "create failed: $res->{body}\n";
	my $bytes = $type eq 'image/png' ? png_bytes() : pdf_bytes();
	$res = put_content($owner, $id, $bytes);
	die "upload failed: $res->{body}\n" unless $res->{status} == 200;
	return $id;
}

# Check that WHO gets document ID with status 200, or STATUS and CODE.
sub download_is ($who, $id, $status, $code, $name) {
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $res = get_content($who, $id);
	if ($status == 200) {
		is($res->{status}, 200, "$name: status 200")
		    or diag(substr($res->{body} // '', 0, 200));
		return $res;
	}
	is_error_response($res, $status, $code, $name);
	is_error_response(api('GET', "/api/v1/documents/$id",
	    token => $who->{token}), $status, $code, "$name, metadata");
	return $res;
}

# ---- headers ----------------------------------------------------------------

my $cert = make_certification($supplier->{org_id});
my $named = stored($supplier, purpose => 'certificate', owner_id => $cert,
    filename => 'Prüfbericht "Q1" 100%.pdf');
my $res = download_is($buyer, $named, 200, undef,
    'certificate by another organization');
is($res->{body}, pdf_bytes(), 'download: the uploaded bytes');
is(header($res, 'Content-Type'), 'application/pdf', 'download: type');
is(header($res, 'Content-Length'), length pdf_bytes(), 'download: length');
is(header($res, 'Content-Disposition'), 'attachment; '
    . 'filename="Pr_fbericht _Q1_ 100_.pdf"; '
    . "filename*=UTF-8''Pr%C3%BCfbericht%20%22Q1%22%20100%25.pdf",
    'download: attachment with ASCII fallback and UTF-8 name');
is(header_count($res, 'Content-Security-Policy'), 1,
    'download: one Content-Security-Policy');
like(header($res, 'Content-Security-Policy') // '', qr/^sandbox(;|$)/,
    'download: CSP sandbox');
like(header($res, 'Content-Security-Policy') // '',
    qr/default-src 'none'/, "download: CSP default-src 'none'");
is(header_count($res, 'X-Content-Type-Options'), 1,
    'download: one X-Content-Type-Options');
is(header($res, 'X-Content-Type-Options'), 'nosniff', 'download: nosniff');
is(header($res, 'Cache-Control'), 'no-store', 'download: no-store');

my ($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'document.download', 'download: audit action');
is($audit->{result}, 'success', 'download: audit result');
is($audit->{target}, $named, 'download: audit target');
is($audit->{actor_id}, $buyer->{user_id}, 'download: audit actor');
is($audit->{organization_id}, $buyer->{org_id},
    "download: audit names the downloader's organization");

my $plain = stored($supplier, purpose => 'certificate', owner_id => $cert,
    filename => 'plain.pdf');
is(header(get_content($supplier, $plain), 'Content-Disposition'),
    'attachment; filename="plain.pdf"', 'ASCII name: filename only');

my $meta = is_json_ok(api('GET', "/api/v1/documents/$named",
    token => $buyer->{token}), 200, 'metadata of a certificate');
is($meta->{sha256}, sha256_hex(pdf_bytes()), 'metadata: sha256');
is($meta->{status}, 'stored', 'metadata: status');

# ---- pending documents ------------------------------------------------------

my $pending = create_document($supplier, { purpose => 'certificate',
    owner_id => $cert, filename => 'draft.pdf',
    content_type => 'application/pdf' })->{json}{id};
download_is($buyer, $pending, 404, 'not_found',
    'pending certificate, other organization');
is(is_json_ok(api('GET', "/api/v1/documents/$pending",
    token => $supplier->{token}), 200, 'pending, own metadata')->{status},
    'pending', 'pending: own metadata shows pending');
is_error_response(get_content($supplier, $pending), 404, 'not_found',
    'pending, own content');
download_is($buyer, new_uuid(), 404, 'not_found', 'no such document');
is_error_response(get_content($buyer, 'x' x 36), 404, 'not_found',
    'malformed id');
is_error_response(request('GET', "/api/v1/documents/$named/content"), 401,
    'unauthorized', 'download without login');

# ---- RFQ attachments --------------------------------------------------------

my $public = published_rfq($buyer);
my $attachment = stored($buyer, purpose => 'rfq_attachment',
    owner_id => $public, content_type => 'image/png',
    filename => 'drawing.png');
download_is($buyer, $attachment, 200, undef, 'RFQ attachment, buyer');
download_is($supplier, $attachment, 200, undef,
    'public RFQ attachment, supplier');
download_is($other_buyer, $attachment, 404, 'not_found',
    'RFQ attachment, other buyer');

my $draft = create_rfq($buyer)->{id};
my $draft_file = stored($buyer, purpose => 'rfq_attachment',
    owner_id => $draft);
download_is($supplier, $draft_file, 404, 'not_found',
    'draft RFQ attachment, supplier');

my $invited = make_rfq($buyer->{org_id}, visibility => 'invited');
my $invited_file = stored($buyer, purpose => 'rfq_attachment',
    owner_id => $invited);
download_is($supplier, $invited_file, 404, 'not_found',
    'invited RFQ attachment before the invitation');
psql_value('INSERT INTO sscn.rfq_invitations (rfq_id, buyer_org_id, '
    . "supplier_org_id) VALUES ('$invited', '$buyer->{org_id}', "
    . "'$supplier->{org_id}')");
download_is($supplier, $invited_file, 200, undef,
    'invited RFQ attachment after the invitation');
download_is($rival, $invited_file, 404, 'not_found',
    'invited RFQ attachment, supplier not invited');

# ---- NDA gate ---------------------------------------------------------------

my $nda = make_rfq($buyer->{org_id}, nda_required => 1);
my $nda_file = stored($buyer, purpose => 'rfq_attachment',
    owner_id => $nda);
download_is($buyer, $nda_file, 200, undef, 'NDA RFQ attachment, buyer');
$res = download_is($supplier, $nda_file, 403, 'nda_required',
    'NDA RFQ attachment before acceptance');
($audit) = audit_rows(header($res, 'X-Request-ID'));
is($audit->{action}, 'document.download', 'NDA refusal: audited');
is($audit->{result}, 'denied', 'NDA refusal: audit result denied');

# An acceptance of another NDA version does not count.
psql_value("UPDATE sscn.rfqs SET nda_version = '2025-01' WHERE id = '$nda'");
accept_nda($nda, $supplier);
psql_value("UPDATE sscn.rfqs SET nda_version = '2026-01' WHERE id = '$nda'");
download_is($supplier, $nda_file, 403, 'nda_required',
    'NDA RFQ attachment, older version accepted');
accept_nda($nda, $supplier);
download_is($supplier, $nda_file, 200, undef,
    'NDA RFQ attachment after acceptance');
download_is($rival, $nda_file, 403, 'nda_required',
    "NDA RFQ attachment, another supplier's acceptance");

# ---- quote attachments ------------------------------------------------------

my $quote = make_quote($public, $supplier);
my $quote_file = stored($supplier, purpose => 'quote_attachment',
    owner_id => $quote);
download_is($supplier, $quote_file, 200, undef,
    'quote attachment, supplier');
download_is($buyer, $quote_file, 200, undef,
    "quote attachment, the RFQ's buyer");
download_is($rival, $quote_file, 404, 'not_found',
    'quote attachment, another supplier');
download_is($other_buyer, $quote_file, 404, 'not_found',
    'quote attachment, another buyer');

my $sealed = published_rfq($buyer, sealed => JSON::PP::true);
my $sealed_quote = make_quote($sealed, $supplier);
my $sealed_file = stored($supplier, purpose => 'quote_attachment',
    owner_id => $sealed_quote);
download_is($buyer, $sealed_file, 404, 'not_found',
    'sealed quote attachment before the deadline');

done_testing();
