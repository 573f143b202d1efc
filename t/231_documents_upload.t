#!/usr/bin/perl
# PUT /api/v1/documents/{id}/content, the second upload step: the bytes
# must be the declared PDF, PNG or JPEG by content (libmagic and the file's
# structure), at most 10 MiB (nginx and sscnd both enforce it), sent once
# by the user who created the document.  A stored upload keeps size and
# SHA-256 and comes back byte for byte; a rejected one stores nothing.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Sourcing;
use SSCN::Test;
use SSCN::Documents;
use Test::More;

require_stack();

my $supplier = org_user('supplier');
my $other = org_user('supplier');
my $cert = make_certification($supplier->{org_id});

# A new pending document of the supplier, declared as TYPE.
sub pending ($type, $name = 'file') {
	my $res = create_document($supplier, { purpose => 'certificate',
	    owner_id => $cert, filename => $name, content_type => $type });
	return $res->{json}{id} // die "create failed: $res->{body}\n";
}

# Check that the upload RES was rejected with STATUS and CODE and that
# document ID is still pending, without content and without an upload
# audit row.
sub rejected ($res, $id, $status, $code, $name) {
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is_error_response($res, $status, $code, $name);
	my $row = document_row($id);
	is($row->{status}, 'pending', "$name: document still pending");
	ok(!$row->{has_content}, "$name: no content stored");
	ok(!defined $row->{size} && !defined $row->{sha256},
	    "$name: no size or sha256 stored");
	my $rid = header($res, 'X-Request-ID');
	is(scalar(grep { $_->{action} eq 'document.upload' }
	    audit_rows($rid)), 0, "$name: no upload audit row")
	    if defined $rid;
}

# ---- round trips ------------------------------------------------------------

my %files = (
	'application/pdf' => pdf_bytes(),
	'image/png' => png_bytes(),
	'image/jpeg' => jpeg_bytes(),
);
for my $type (sort keys %files) {
	my $bytes = $files{$type};
	my $id = pending($type);
	my $res = put_content($supplier, $id, $bytes, type => $type);
	my $doc = is_json_ok($res, 200, "upload $type");
	is($doc->{status}, 'stored', "$type: status stored");
	is($doc->{size}, length $bytes, "$type: size");
	is($doc->{sha256}, sha256_hex($bytes), "$type: sha256 of the bytes");
	like($doc->{stored_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
	    "$type: stored_at");

	my $row = document_row($id);
	is($row->{sha256}, sha256_hex($bytes), "$type: database sha256");
	is(psql_value("SELECT encode(sha256(content), 'hex') "
	    . "FROM sscn.documents WHERE id = '$id'"), sha256_hex($bytes),
	    "$type: database content intact");

	my ($audit) = grep { $_->{action} eq 'document.upload' }
	    audit_rows(header($res, 'X-Request-ID'));
	ok($audit, "$type: upload audited");
	is($audit->{target}, $id, "$type: audit target");
	is($audit->{result}, 'success', "$type: audit result");
	is($audit->{details}{size}, length $bytes, "$type: audit size");

	my $get = get_content($supplier, $id);
	is($get->{status}, 200, "$type: download status");
	is(header($get, 'Content-Type'), $type, "$type: download type");
	is(sha256_hex($get->{body}), sha256_hex($bytes),
	    "$type: download has the same sha256");
}

# The declared type or application/octet-stream, parameters aside.
for my $sent ('application/pdf', 'Application/PDF; charset=binary',
    'application/octet-stream') {
	my $id = pending('application/pdf');
	is(put_content($supplier, $id, pdf_bytes(), type => $sent)->{status},
	    200, "Content-Type '$sent' accepted");
}

# ---- rejected content -------------------------------------------------------

my $png_as_pdf = pending('application/pdf', 'drawing.pdf');
rejected(put_content($supplier, $png_as_pdf, png_bytes()), $png_as_pdf, 415,
    'unsupported_media_type', 'PNG declared as PDF');

my $html = pending('application/pdf', 'invoice.pdf');
rejected(put_content($supplier, $html, "<!DOCTYPE html>\n<html><body>"
    . "<script>alert(document.cookie)</script></body></html>\n"), $html,
    415, 'unsupported_media_type', 'HTML named .pdf');

# libmagic calls this application/pdf; the markup check does not.
my $polyglot = pending('application/pdf', 'polyglot.pdf');
rejected(put_content($supplier, $polyglot, "%PDF-1.4\n<html><script>"
    . "alert(1)</script></html>\n%%EOF\n"), $polyglot, 415,
    'unsupported_media_type', 'PDF header with HTML');

my %broken = (
	'PDF without %%EOF' => ['application/pdf',
	    substr(pdf_bytes(), 0, -6)],
	'PDF with data after %%EOF' => ['application/pdf',
	    pdf_bytes() . "<html></html>\n"],
	'PNG without IEND' => ['image/png', substr(png_bytes(), 0, -12)],
	'PNG signature cut' => ['image/png', substr(png_bytes(), 0, 4)],
	'PNG with a ZIP after IEND' => ['image/png',
	    png_bytes() . "PK\x03\x04" . ("\0" x 26)],
	'JPEG without EOI' => ['image/jpeg', substr(jpeg_bytes(), 0, -2)],
	'JPEG as PNG' => ['image/png', jpeg_bytes()],
	'PDF as JPEG' => ['image/jpeg', pdf_bytes()],
	'text as PDF' => ['application/pdf', "just some text\n"],
);
for my $case (sort keys %broken) {
	my ($type, $bytes) = @{ $broken{$case} };
	my $id = pending($type);
	rejected(put_content($supplier, $id, $bytes), $id, 415,
	    'unsupported_media_type', $case);
}

my $wrong_header = pending('application/pdf');
rejected(put_content($supplier, $wrong_header, pdf_bytes(),
    type => 'image/png'), $wrong_header, 415, 'unsupported_media_type',
    'Content-Type another type');
rejected(put_content($supplier, $wrong_header, pdf_bytes(),
    type => 'text/html'), $wrong_header, 415, 'unsupported_media_type',
    'Content-Type text/html');
rejected(put_content($supplier, $wrong_header, pdf_bytes(), type => undef),
    $wrong_header, 415, 'unsupported_media_type', 'no Content-Type');
rejected(put_content($supplier, $wrong_header, ''), $wrong_header, 400,
    'validation_failed', 'empty body');

# ---- size -------------------------------------------------------------------

my $max = 10 * 1024 * 1024;
my $base = length pdf_bytes();
my $largest = pdf_bytes($max - $base);
is(length $largest, $max, 'largest PDF is 10 MiB');

my $too_large = pending('application/pdf');
rejected(put_content($supplier, $too_large, pdf_bytes($max - $base + 1)),
    $too_large, 413, 'payload_too_large', '10 MiB + 1 through nginx');
rejected(put_content($supplier, $too_large, pdf_bytes($max - $base + 1),
    addr => client_addr()), $too_large, 413, 'payload_too_large',
    '10 MiB + 1 to sscnd');

my $full = pending('application/pdf');
my $doc = is_json_ok(put_content($supplier, $full, $largest), 200,
    'upload of 10 MiB');
is($doc->{size}, $max, '10 MiB: size');
is($doc->{sha256}, sha256_hex($largest), '10 MiB: sha256');
my $get = get_content($supplier, $full);
is(length($get->{body}), $max, '10 MiB: download length');
is(sha256_hex($get->{body}), sha256_hex($largest),
    '10 MiB: download has the same sha256');

# JSON bodies keep their limit of 1 MiB.
is_error_response(api('POST', '/api/v1/documents', token => $supplier->{token},
    json => '{"filename":"' . ('a' x 1048576) . '"}', addr => client_addr()),
    413, 'payload_too_large', 'JSON body over 1 MiB');

# ---- who and when -----------------------------------------------------------

my $stored = pending('image/png');
is(put_content($supplier, $stored, png_bytes())->{status}, 200,
    'first upload');
my $sha = document_row($stored)->{sha256};
is_error_response(put_content($supplier, $stored, pdf_bytes()), 409,
    'conflict', 'second upload');
is(document_row($stored)->{sha256}, $sha, 'second upload: content kept');

my $theirs = pending('image/png');
rejected(put_content($other, $theirs, png_bytes()), $theirs, 404,
    'not_found', 'upload by another organization');
rejected(put_content($other, new_uuid(), png_bytes()), $theirs, 404,
    'not_found', 'upload to no document');
rejected(put_content($other, 'not-a-uuid', png_bytes()), $theirs, 404,
    'not_found', 'upload to a malformed id');
my $colleague = colleague($supplier, 'admin');
rejected(put_content($colleague, $theirs, png_bytes()), $theirs, 403,
    'forbidden', 'upload by another member');
rejected(request('PUT', "/api/v1/documents/$theirs/content",
    headers => ['Content-Type' => 'image/png'], body => png_bytes()),
    $theirs, 401, 'unauthorized', 'upload without login');

done_testing();
