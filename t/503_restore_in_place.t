#!/usr/bin/perl
# `sscnctl restore FILE` without --database replaces the objects of the
# configured database with the backup's: a row written after the backup
# is gone, the audit chain is intact, and sscnd keeps serving.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Backup;
use Test::More;

require_stack();

my $dir = "$DEV/test-backups-503.$$";
my $conf = backup_conf($dir);

END {
	system('rm', '-rf', $dir, "$dir.conf") if $dir;
}

my ($status, $out) = sscnctl_with($conf, 'backup');
is($status, 0, 'backup exits 0') or diag($out);
my $file = newest_backup($dir);
my $manifest = read_manifest($file);

my $marker = "in-place-marker-$$.backup";
psql_value("INSERT INTO sscn.restore_tests (started_at, duration_ms, "
    . "backup_file, result) VALUES (now(), 0, '$marker', 'success')");
is(psql_value("SELECT count(*) FROM sscn.restore_tests WHERE backup_file "
    . "= '$marker'"), 1, 'marker row written after the backup');

($status, $out) = sscnctl_with($conf, 'restore', $file);
is($status, 0, 'restore in place exits 0') or diag($out);
is(psql_value("SELECT count(*) FROM sscn.restore_tests WHERE backup_file "
    . "= '$marker'"), 0, 'marker row is gone');
is(psql_value('SELECT count(*) FROM sscn.users'), $manifest->{tables}{users},
    'users as in the manifest');
is(psql_value('SELECT count(*) FROM (' . audit_chain_query() . ') breaks'),
    0, 'audit chain intact after the restore');
is(psql_value("SELECT action FROM sscn.audit_log ORDER BY id DESC LIMIT 1"),
    'backup.restore', 'restore is audited');

my $res = request('GET', '/api/health/');
is($res->{status}, 200, 'sscnd serves after the restore');

done_testing();
