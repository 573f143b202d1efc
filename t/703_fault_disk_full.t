#!/usr/bin/perl
# A full disk under the document store.  Documents live in PostgreSQL
# (sscn.documents.content), so the test mounts a small tmpfs, makes it a
# tablespace and moves sscn.documents there, then uploads incompressible
# 512 KiB PDFs until the file system is full.  The upload that does not
# fit answers 503 unavailable with a JSON error, its document stays
# pending with no content and no upload audit row, and once the table is
# back on the main disk the same upload succeeds.  The table goes back
# and the mount goes away when the file ends, also after a failure.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Documents;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $FILE_SIZE = 512 * 1024;
# Room on the tmpfs beyond what the table and its indexes take now.
my $HEADROOM = 3 * 1024 * 1024;
my $MAX_UPLOADS = 20;

my $supplier = org_user('supplier');
my $cert = make_certification($supplier->{org_id});

# A valid PDF of about FILE_SIZE bytes whose padding is random, so that
# TOAST compression cannot shrink it.
sub random_pdf () {
	open(my $random, '<:raw', '/dev/urandom') or die "/dev/urandom: $!";
	read($random, my $bytes, $FILE_SIZE) == $FILE_SIZE or die 'short read';
	close $random;
	$bytes =~ tr/\r\n/xy/;
	my $pdf = pdf_bytes();
	$pdf =~ s/%%EOF\n$/%$bytes\n%%EOF\n/ or die 'pdf_bytes changed';
	return $pdf;
}

sub pending_document () {
	my $res = create_document($supplier, { purpose => 'certificate',
	    owner_id => $cert, filename => 'scan.pdf',
	    content_type => 'application/pdf' });
	return $res->{json}{id};
}

# ---- a small file system under sscn.documents ------------------------------------

my $mount = tempdir('sscn-t703-XXXXXX', TMPDIR => 1, CLEANUP => 0);
my $moved = 0;

END {
	local $?;
	if ($moved) {
		my ($status, $out) = dev_tool('psql', '-X', '-q', '-c',
		    'ALTER TABLE sscn.documents SET TABLESPACE pg_default');
		diag("moving sscn.documents back failed: $out") if $status;
		dev_tool('psql', '-X', '-q', '-c', 'DROP TABLESPACE IF EXISTS t703_small');
	}
	if ($mount) {
		system('umount', $mount) if `findmnt -n $mount` ne '';
		rmdir $mount;
	}
}

my $table_bytes = psql_value(
    "SELECT pg_total_relation_size('sscn.documents')") // 0;
my $size = $table_bytes + $HEADROOM;
is(system('mount', '-t', 'tmpfs', '-o', "size=$size,mode=0700", 'tmpfs',
    $mount), 0, "tmpfs of $size bytes mounted on $mount")
    or BAIL_OUT('cannot mount a tmpfs; the test needs root');
my ($uid, $gid) = (getpwnam('postgres'))[2, 3];
chown $uid, $gid, $mount or die "chown $mount: $!";

my ($status, $out) = dev_tool('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-c', "CREATE TABLESPACE t703_small LOCATION '$mount'");
is($status, 0, 'tablespace created on the tmpfs') or diag($out);
($status, $out) = dev_tool('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-c', 'ALTER TABLE sscn.documents SET TABLESPACE t703_small');
$moved = 1;
is($status, 0, 'sscn.documents moved to the tmpfs') or diag($out);

# ---- fill it ----------------------------------------------------------------------

my $log_offset = file_size($SSCND_LOG);
my ($full_id, $full_res);
my $stored = 0;
for (1 .. $MAX_UPLOADS) {
	my $id = pending_document() // last;
	my $res = put_content($supplier, $id, random_pdf(),
	    type => 'application/pdf');
	if (($res->{status} // 0) == 200) {
		$stored++;
		next;
	}
	($full_id, $full_res) = ($id, $res);
	last;
}
ok($stored >= 1, "uploads stored before the disk was full: $stored");
ok($full_res, "an upload failed within $MAX_UPLOADS uploads")
    or BAIL_OUT('the tmpfs never filled up');

is_error_response($full_res, 503, 'unavailable', 'upload to a full disk');
my $row = document_row($full_id);
is($row->{status}, 'pending', 'full disk: document still pending');
ok(!$row->{has_content}, 'full disk: no content stored');
ok(!defined $row->{size} && !defined $row->{sha256},
    'full disk: no size or checksum stored');
my $request_id = header($full_res, 'X-Request-ID') // '';
ok(!grep({ $_->{action} eq 'document.upload' } audit_rows($request_id)),
    'full disk: no upload audit row');
like(read_from($SSCND_LOG, $log_offset), qr/event=db_out_of_resources .*sqlstate=53100/,
    'full disk: sscnd logs the disk_full SQLSTATE');

# ---- recovery ---------------------------------------------------------------------

($status, $out) = dev_tool('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-c', 'ALTER TABLE sscn.documents SET TABLESPACE pg_default');
is($status, 0, 'sscn.documents moved back to the main disk') or diag($out);
$moved = 0 if $status == 0;
dev_tool('psql', '-X', '-q', '-c', 'DROP TABLESPACE t703_small');

my $pdf = random_pdf();
my $res = put_content($supplier, $full_id, $pdf, type => 'application/pdf');
is($res->{status}, 200, 'the same upload succeeds with room on the disk')
    or diag($res->{body});
$row = document_row($full_id);
is($row->{status}, 'stored', 'after recovery: document stored');
is($row->{size}, length $pdf, 'after recovery: size of the bytes');
is($row->{sha256}, sha256_hex($pdf), 'after recovery: sha256 of the bytes');

done_testing();
