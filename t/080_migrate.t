#!/usr/bin/perl
# Migrations with `sscnctl migrate`: on the dev database every file of sql/
# is applied and a second run changes nothing; on a scratch database made
# for this test, from a scratch copy of sql/, --status shows pending files,
# migrate applies them, and a changed applied file is rejected.  The scratch
# database is dropped at the end; sql/ itself is never modified.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(basename);
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use SSCN::Scratch;
use SSCN::Test;
use Test::More;

require_stack();

my $sscnctl = find_program('sscnctl');
plan skip_all => "sscnctl not built in $BUILD" unless $sscnctl;

my $conf_path = "$DEV/sscn.conf";
my @migrations = sort map { basename($_) } glob("$ROOT/sql/[0-9]*.sql");
ok(@migrations, 'sql/ has migration files') or diag("none in $ROOT/sql");

# An applied file's --status line says "applied" or gives the time it was
# applied.
my $APPLIED = qr/\bapplied\b|\d{4}-\d\d-\d\d/i;

# Run sscnctl with ARGS, which name their own configuration file.
sub sscnctl_with (@args) {
	return run_cmd([$sscnctl, @args], timeout => 120);
}

# The line of a `migrate --status` output that names FILE, or undef.
sub status_line ($output, $file) {
	my ($number) = $file =~ /^(\d+)/;
	my @lines = split /\n/, $output;
	my ($line) = grep { /\Q$file\E/ } @lines;
	($line) = grep { /(^|\D)0*$number(\D|$)/ } @lines unless defined $line;
	return $line;
}

# A fingerprint of the migration table's rows, for "nothing changed": the
# row count, a space and an MD5 of all rows.  The table is looked up as
# sscn.schema_migrations or, on the search path, sscn_schema_migrations.
sub migration_rows (@psql_args) {
	my $table = psql_value(q{SELECT coalesce(to_regclass('sscn.schema_migrations'),
	    to_regclass('sscn_schema_migrations'))}, @psql_args);
	if (!$table) {
		diag('no migration table sscn.schema_migrations or sscn_schema_migrations');
		return undef;
	}
	return psql_value(qq{SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text,
	    ',' ORDER BY t::text)), '') FROM $table t}, @psql_args);
}

# ---- the dev database ---------------------------------------------------------

{
	my ($status, $out) = sscnctl_with('-c', $conf_path, 'migrate', '--status');
	is($status, 0, 'migrate --status: exit 0') or diag($out);
	for my $file (@migrations) {
		my $line = status_line($out, $file);
		ok(defined $line, "migrate --status: lists $file") or diag($out);
		like($line // '', $APPLIED, "migrate --status: $file applied");
		unlike($line // '', qr/pending|not applied|changed|modified|mismatch/i,
		    "migrate --status: $file not pending or changed");
	}

	my $rows = migration_rows();
	($status, $out) = sscnctl_with('-c', $conf_path, 'migrate');
	is($status, 0, 'second migrate: exit 0') or diag($out);
	is(migration_rows(), $rows, 'second migrate: table unchanged');
	like($rows // '', qr/^${\ scalar @migrations} /,
	    'migration table has one row per file');
}

# ---- a scratch database and a scratch copy of sql/ ----------------------------

my $scratch_db = "sscn_t080_$$";
my $created = 0;
END {
	if ($created) {
		local $?;
		psql_value("DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)");
	}
}

SKIP: {
	skip "cannot read $conf_path", 1 unless conf_read($conf_path);

	my $created_out = psql_value("CREATE DATABASE $scratch_db OWNER sscn_owner");
	$created = defined $created_out;
	ok($created, "scratch database $scratch_db created");
	skip 'no scratch database', 1 unless $created;

	my $dir = tempdir('sscn-t080-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	mkdir "$dir/sql" or die "mkdir $dir/sql: $!";
	for my $file (glob("$ROOT/sql/*")) {
		copy($file, "$dir/sql/" . basename($file)) or die "copy $file: $!";
	}

	my $scratch_conf = scratch_conf($scratch_db, $dir, "$dir/sql");

	my @db = ('-d', $scratch_db);
	my ($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate', '--status');
	is($status, 0, 'scratch migrate --status before: exit 0') or diag($out);
	for my $file (@migrations) {
		like(status_line($out, $file) // '', qr/pending|not applied/i,
		    "scratch migrate --status before: $file pending");
	}

	($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate');
	is($status, 0, 'scratch migrate: exit 0') or diag($out);
	my $rows = migration_rows(@db);
	like($rows // '', qr/^${\ scalar @migrations} /,
	    'scratch migrate: one row per file');

	($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate', '--status');
	is($status, 0, 'scratch migrate --status after: exit 0') or diag($out);
	for my $file (@migrations) {
		like(status_line($out, $file) // '', $APPLIED,
		    "scratch migrate --status after: $file applied");
	}

	($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate');
	is($status, 0, 'scratch second migrate: exit 0') or diag($out);
	is(migration_rows(@db), $rows, 'scratch second migrate: table unchanged');

	# Change the last applied file by one comment line.
	my $changed = $migrations[-1];
	open(my $fh, '>>', "$dir/sql/$changed") or die "append $changed: $!";
	print $fh "\n-- changed after it was applied\n";
	close $fh;

	($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate');
	isnt($status, 0, 'changed applied file: migrate fails');
	like($out, qr/\Q$changed\E/, 'changed applied file: message names the file');
	like($out, qr/checksum|changed|modified|mismatch/i,
	    'changed applied file: message gives the reason') or diag($out);
	is(migration_rows(@db), $rows, 'changed applied file: table unchanged');

	($status, $out) = sscnctl_with('-c', $scratch_conf, 'migrate', '--status');
	ok(grep({ /\Q$changed\E/ && /checksum|changed|modified|mismatch/i }
	    split /\n/, $out), 'changed applied file: --status flags it')
	    or diag($out);
}

done_testing();
