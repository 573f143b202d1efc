#!/usr/bin/perl
# `sscnctl restore-test` restores the newest backup into a scratch
# database, checks it, drops it and records the result and duration in
# sscn.restore_tests and the audit log, a failure included.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Backup;
use Test::More;

require_stack();

my $dir = "$DEV/test-backups-501.$$";
my $conf = backup_conf($dir);

END {
	system('rm', '-rf', $dir, "$dir.conf") if $dir;
}

sub scratch_databases () {
	return psql_value("SELECT count(*) FROM pg_database WHERE datname "
	    . "LIKE 'sscn\\_restore\\_test\\_%'");
}

sub last_test () {
	my $row = psql_value("SELECT result, backup_file, duration_ms, "
	    . "coalesce(schema_version::text, ''), coalesce(detail, '') FROM "
	    . "sscn.restore_tests ORDER BY id DESC LIMIT 1", '-F', '|');
	return [split /\|/, $row // '', -1];
}

my $tests_before = psql_value('SELECT count(*) FROM sscn.restore_tests');
my $audit_before = psql_value("SELECT count(*) FROM sscn.audit_log WHERE "
    . "action = 'backup.restore_test'");

# ---- no backup yet: a recorded failure ---------------------------------------------

my ($status, $out) = sscnctl_with($conf, 'restore-test');
is($status, 1, 'restore-test without a backup exits 1');
like($out, qr/no backup/, 'message says no backup was found');
my $row = last_test();
is($row->[0], 'failure', 'failure recorded without a backup');
is($row->[4], 'no backup found', 'failure detail recorded');

# ---- a good backup passes -----------------------------------------------------------

($status, $out) = sscnctl_with($conf, 'backup');
is($status, 0, 'backup exits 0') or diag($out);
my $file = newest_backup($dir);
my ($name) = $file =~ m{([^/]+)$};

($status, $out) = sscnctl_with($conf, 'restore-test');
is($status, 0, 'restore-test exits 0') or diag($out);
like($out, qr/passed in \d+ ms/, 'restore-test prints its duration');
$row = last_test();
is($row->[0], 'success', 'success recorded');
is($row->[1], $name, 'tested backup file recorded');
like($row->[2], qr/^\d+$/, 'duration recorded');
is($row->[3], psql_value('SELECT max(version) FROM sscn.schema_migrations'),
    'schema version recorded');
is($row->[4], '', 'no detail on success');
is(scratch_databases(), 0, 'scratch database dropped');
is(psql_value('SELECT count(*) FROM sscn.restore_tests'), $tests_before + 2,
    'one row per run');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'backup.restore_test'"), $audit_before + 2, 'each run is audited');
is(psql_value("SELECT details->>'result' FROM sscn.audit_log WHERE action "
    . "= 'backup.restore_test' ORDER BY id DESC LIMIT 1"), 'success',
    'audit row names the result');
ok(psql_value("SELECT has_table_privilege('sscn_maint', "
    . "'sscn.restore_tests', 'SELECT')") eq 't',
    'sscn_maint may read the evidence');

# ---- a newer backup without a manifest is skipped ------------------------------------

my $incomplete = "$dir/sscn-99991231T235959999Z.backup";
open(my $junk, '>', $incomplete) or die "$incomplete: $!";
print $junk "interrupted";
close $junk;
($status, $out) = sscnctl_with($conf, 'restore-test');
is($status, 0, 'backup without manifest: restore-test exits 0') or diag($out);
is(last_test()->[1], $name, 'backup without manifest: older backup tested');
unlink $incomplete;

# ---- a manifest that disagrees with the data fails the check ---------------------------

my $json = do { local $/; open(my $f, '<', "$file.json") or die; <$f> };
(my $wrong = $json) =~ s/"users":(\d+)/'"users":' . ($1 + 1)/e;
isnt($wrong, $json, 'manifest changed for the test');
open(my $f, '>', "$file.json") or die;
print $f $wrong;
close $f;
($status, $out) = sscnctl_with($conf, 'restore-test');
is($status, 1, 'restore-test with a wrong row count exits 1');
$row = last_test();
is($row->[0], 'failure', 'failure recorded');
is($row->[4], 'row count of sscn.users differs from the manifest',
    'failure names the table');
is(scratch_databases(), 0, 'scratch database dropped after a failure');

done_testing();
