#!/usr/bin/perl
# `sscnctl backup` writes an encrypted dump and a manifest; `sscnctl
# restore FILE --database NAME` brings every table's rows and an intact
# audit chain back in a new database.  Old backups beyond backup_keep are
# removed, and the backup and the restore are audited.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Backup;
use Test::More;

require_stack();

my $dir = "$DEV/test-backups-500.$$";
my $conf = backup_conf($dir);
my $copy = "sscn_test_restore_$$";

END {
	psql_value("DROP DATABASE IF EXISTS $copy", '-d', 'postgres') if $copy;
	system('rm', '-rf', $dir, "$dir.conf") if $dir;
}

my $audit_before = psql_value("SELECT count(*) FROM sscn.audit_log "
    . "WHERE action = 'backup.create'");
my $source_before = table_fingerprints('sscn');

# ---- backup ------------------------------------------------------------------

my ($status, $out) = sscnctl_with($conf, 'backup');
is($status, 0, 'backup exits 0') or diag($out);
my $file = newest_backup($dir);
ok(defined $file, 'backup file written') or BAIL_OUT('no backup');
is($out, "$file\n", 'backup prints the file path');
is((stat $file)[2] & 0777, 0600, 'backup file mode 0600');
is((stat "$file.json")[2] & 0777, 0600, 'manifest mode 0600');
is_deeply([glob("$dir/*.tmp")], [], 'no temporary file left');

open(my $fh, '<:raw', $file) or die "$file: $!";
read($fh, my $magic, 8);
close $fh;
is($magic, "SSCNBK1\n", 'backup starts with the magic');
my $plain = do { local $/; open(my $f, '<:raw', $file); <$f> };
unlike($plain, qr/PGDMP/, 'no plain pg_dump header in the file');

my $manifest = read_manifest($file);
ok(ref $manifest eq 'HASH', 'manifest is JSON') or BAIL_OUT('no manifest');
my $sha = `sha256sum "$file"`;
is($manifest->{sha256}, (split ' ', $sha)[0], 'manifest SHA-256 matches');
is($manifest->{schema_version},
    psql_value('SELECT max(version) FROM sscn.schema_migrations'),
    'manifest schema version');
is($manifest->{key_version}, 1, 'manifest key version');
like($manifest->{created}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'manifest time is RFC 3339 UTC');
ok(exists $manifest->{tables}{users}, 'manifest counts users');
ok($manifest->{tables}{audit_log} > 0, 'manifest counts audit rows');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'backup.create'"), $audit_before + 1, 'backup is audited');

# ---- restore into a new database ------------------------------------------------

($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
is($status, 0, 'restore exits 0') or diag($out);

my $source_after = table_fingerprints('sscn');
my $restored = table_fingerprints($copy);
is_deeply([sort keys %$restored], [sort keys %$source_before],
    'restored database has every table');
for my $table (sort keys %{ $manifest->{tables} }) {
	my ($count) = split /:/, $restored->{$table} // '';
	is($count, $manifest->{tables}{$table}, "row count of $table");
	next unless ($source_before->{$table} // '') eq
	    ($source_after->{$table} // 'x');
	# The table did not change while the backup ran: same rows.
	is($restored->{$table}, $source_before->{$table}, "rows of $table");
}
is(psql_value('SELECT count(*) FROM (' . audit_chain_query() . ') breaks',
    '-d', $copy), 0, 'restored audit chain intact');
is(psql_value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE "
    . "datname = '$copy'"), 'sscn_owner', 'restored database owner');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'backup.restore' AND target = '$copy'"), 1, 'restore is audited');

($status, $out) = sscnctl_with($conf, 'restore', $file, '--database', $copy);
isnt($status, 0, 'restore into an existing database fails');
like($out, qr/already exists/, 'restore names the existing database');

# ---- retention -------------------------------------------------------------------

my $keep_conf = "$dir-keep.conf";
system('sh', '-c', 'sed "s/^#*backup_keep *=.*//" "$0" > "$1" && '
    . 'echo "backup_keep = 2" >> "$1" && chmod 600 "$1"', $conf, $keep_conf);
for (1 .. 3) {
	($status, $out) = sscnctl_with($keep_conf, 'backup');
	is($status, 0, "backup $_ with backup_keep 2") or diag($out);
}
my @kept = sort glob("$dir/sscn-*.backup");
is(scalar @kept, 2, 'backup_keep 2 keeps two backups');
is(scalar(() = glob("$dir/sscn-*.backup.json")), 2,
    'old manifests are removed');
ok(!-e $file, 'oldest backup removed');
unlink $keep_conf;

# ---- usage --------------------------------------------------------------------------

($status, $out) = sscnctl_with($conf, 'backup', '--dir');
is($status, 2, 'backup --dir without a value is a usage error');
($status, $out) = sscnctl_with($conf, 'restore');
is($status, 2, 'restore without a file is a usage error');
($status, $out) = sscnctl_with($conf, 'restore', $kept[-1], '--database',
    'Bad-Name;');
is($status, 2, 'restore rejects an invalid database name');
like($out, qr/invalid database name/, 'message names the problem');
is(psql_value("SELECT count(*) FROM pg_database WHERE datname = "
    . "'Bad-Name;'"), 0, 'no database made for an invalid name');

done_testing();
