#!/usr/bin/perl
# A damaged backup is detected before anything is restored: one flipped
# byte fails the manifest's SHA-256; a file whose manifest hash is
# updated to match still fails the authenticated decryption, and so does a
# truncated one.  No database is created in either case.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Backup;
use JSON::PP;
use Test::More;

require_stack();

my $dir = "$DEV/test-backups-502.$$";
my $conf = backup_conf($dir);
my $copy = "sscn_test_damage_$$";

END {
	psql_value("DROP DATABASE IF EXISTS $copy", '-d', 'postgres') if $copy;
	system('rm', '-rf', $dir, "$dir.conf") if $dir;
}

sub database_exists () {
	return psql_value("SELECT count(*) FROM pg_database WHERE datname = "
	    . "'$copy'");
}

sub slurp ($path) {
	open(my $fh, '<:raw', $path) or die "$path: $!";
	local $/;
	return <$fh>;
}

sub spew ($path, $data) {
	open(my $fh, '>:raw', $path) or die "$path: $!";
	print $fh $data;
	close $fh or die "$path: $!";
}

# Set the manifest's SHA-256 to that of the file as it is now.
sub rehash ($file) {
	my $manifest = read_manifest($file);
	$manifest->{sha256} = (split ' ', `sha256sum "$file"`)[0];
	spew("$file.json", encode_json($manifest));
}

my ($status, $out) = sscnctl_with($conf, 'backup');
is($status, 0, 'backup exits 0') or diag($out);
my $file = newest_backup($dir);
my $good = slurp($file);
my $good_manifest = slurp("$file.json");

# ---- one flipped byte ---------------------------------------------------------------

my $damaged = $good;
my $offset = int(length($damaged) / 2);
substr($damaged, $offset, 1) = chr(ord(substr($damaged, $offset, 1)) ^ 0x01);
spew($file, $damaged);
($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
is($status, 1, 'flipped byte: restore exits 1');
like($out, qr/does not match the SHA-256 of its manifest/,
    'flipped byte: hash mismatch reported');
is(database_exists(), 0, 'flipped byte: no database created');

# ---- flipped byte with a matching hash: the stream authentication fails -------------

rehash($file);
($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
is($status, 1, 'rehashed damage: restore exits 1');
like($out, qr/failed to decrypt/, 'rehashed damage: decryption fails');
is(database_exists(), 0, 'rehashed damage: no database created');
is_deeply([glob("$dir/*.restore-*")], [],
    'rehashed damage: no decrypted file left');

# ---- truncated inside a record, and after the first whole record --------------------

# Magic (8), stream header (24), then records of a 4-byte length and
# 64 KiB of plaintext with 17 bytes of tag: the FINAL tag is missing.
my $first_record_end = 8 + 24 + 4 + 65536 + 17;
ok(length($good) > $first_record_end, 'backup has more than one record');
for my $case (['inside a record', length($good) - 100],
    ['after a whole record', $first_record_end]) {
	my ($label, $length) = @$case;
	spew($file, substr($good, 0, $length));
	rehash($file);
	($status, $out) = sscnctl_with($conf, 'restore', $file, '--database',
	    $copy);
	is($status, 1, "truncated $label: restore exits 1");
	like($out, qr/failed to decrypt/, "truncated $label: decryption fails");
	is(database_exists(), 0, "truncated $label: no database created");
}

# ---- restore-test records the damage ---------------------------------------------------

spew($file, $damaged);
spew("$file.json", $good_manifest);
($status, $out) = sscnctl_with($conf, 'restore-test');
is($status, 1, 'restore-test of a damaged backup exits 1');
is(psql_value("SELECT result || ' ' || detail FROM sscn.restore_tests "
    . "ORDER BY id DESC LIMIT 1"), 'failure the restore failed',
    'restore-test records the failure');

# ---- missing manifest and missing backup key --------------------------------------------

spew($file, $good);
unlink "$file.json";
($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
is($status, 1, 'missing manifest: restore exits 1');
like($out, qr/\Q$file.json\E/, 'missing manifest: path named');
spew("$file.json", $good_manifest);

my $keys = "$dir/keys-without-backup";
system('sh', '-c', 'grep -v "^backup " "$0" > "$1" && chmod 600 "$1"',
    "$DEV/keys", $keys);
my $nokey_conf = "$dir/nokey.conf";
system('sh', '-c', 'sed "s|^key_file *=.*|key_file = $2|" "$0" > "$1" && '
    . 'chmod 600 "$1"', $conf, $nokey_conf, $keys);
($status, $out) = sscnctl_with($nokey_conf, 'backup');
is($status, 1, 'no backup key: backup exits 1');
like($out, qr/has no backup key/, 'no backup key: message says so');
is(scalar(() = glob("$dir/sscn-*.backup")), 1,
    'no backup key: no file written');

# ---- the intact file still restores ------------------------------------------------------

($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
is($status, 0, 'intact backup restores') or diag($out);
is(database_exists(), 1, 'intact backup: database created');

done_testing();
