#!/usr/bin/perl
# The monthly partitions of the audit log and its seven-year retention
# purge, on a scratch database made for this test.
#
# The database is migrated up to the migration before
# sql/NNNN_audit_partitions.sql and given audit rows spread over nine
# years, chained as the old trigger chains them.  That migration then
# partitions the table:
# every row keeps its id, time and hashes, sits in the partition of its
# month, and `sscnctl audit verify` still passes.  `sscnctl purge` moves a
# row that went to the DEFAULT partition into a new month partition, and
# drops the months older than seven years behind a retention.anchor row;
# verify then starts from the anchor, passes, and still names the row that
# a superuser edits or deletes.  A backup of the purged database passes
# `sscnctl restore-test`, and a backup from before the purge restores in
# place.  Old rows in two more lanes get an anchor each.  Last, a
# backdated row that sits behind kept rows in the chain makes the purge
# fail and drop nothing.

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

my $sscnctl = find_program('sscnctl') or BAIL_OUT('sscnctl is not built');

my $db = "sscn_t522_$$";
my $created = 0;
END {
	if ($created) {
		local $?;
		psql_value("DROP DATABASE IF EXISTS $db WITH (FORCE)");
	}
}

my $dir = tempdir('sscn-t522-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$dir/sql" or die "mkdir $dir/sql: $!";
mkdir "$dir/backups", 0700 or die "mkdir $dir/backups: $!";
my $conf = scratch_conf($db, $dir, "$dir/sql", backup_dir => "$dir/backups")
    or BAIL_OUT("cannot read $DEV/sscn.conf");

# The number of the migration that partitions the audit log.
my ($PARTITIONS) = map { basename($_) =~ /^(\d{4})_/ }
    glob("$ROOT/sql/[0-9]*_audit_partitions.sql");
BAIL_OUT('no sql/NNNN_audit_partitions.sql') unless $PARTITIONS;

# Copy the files of sql/ into the test's sql directory: roles.sql and the
# migrations before the one that partitions the audit log, or with ALL
# every file.
sub copy_migrations ($all) {
	for my $file (glob("$ROOT/sql/*.sql")) {
		my $name = basename($file);
		next if !$all && $name =~ /^(\d{4})_/ && $1 >= $PARTITIONS;
		copy($file, "$dir/sql/$name") or die "copy $file: $!";
	}
}

sub ctl (@args) {
	return run_cmd([$sscnctl, '-c', $conf, @args], timeout => 180);
}

sub sql ($sql) {
	return psql_value($sql, '-d', $db);
}

# Run SQL as ROLE in a transaction that is rolled back; returns psql's
# exit status and output.
sub sql_as ($role, $sql) {
	return dev_tool('psql', '-X', '-q', '-d', $db, '-v', 'ON_ERROR_STOP=1',
	    '-c', "BEGIN; SET LOCAL ROLE $role; $sql; ROLLBACK;");
}

# Run SQL as the superuser with the append-only trigger disabled.
sub superuser_change ($sql) {
	return sql('ALTER TABLE sscn.audit_log DISABLE TRIGGER '
	    . "audit_log_append_only; $sql; ALTER TABLE sscn.audit_log "
	    . 'ENABLE TRIGGER audit_log_append_only');
}

# The row count and one MD5 of id, time, prev_hash and hash of every row,
# or of the rows up to id THROUGH.
sub chain_fingerprint ($through = undef) {
	my $where = defined $through ? "WHERE id <= $through" : '';
	return sql("SELECT count(*) || ' ' || md5(string_agg(id || ' ' || "
	    . "occurred_at || ' ' || encode(prev_hash, 'hex') || ' ' || "
	    . "encode(hash, 'hex'), ',' ORDER BY id)) FROM sscn.audit_log $where");
}

# The time (as verify prints it) and action of audit row ID.
sub row_facts ($id) {
	return split / /, sql("SELECT to_char(occurred_at AT TIME ZONE 'UTC', "
	    . q{'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' ' || action }
	    . "FROM sscn.audit_log WHERE id = $id") // '';
}

# The row with ID as JSON, to put it back after a test deleted it.
sub saved_row ($id) {
	return sql("SELECT row_to_json(a) FROM sscn.audit_log a WHERE id = $id");
}

# Insert a row saved by saved_row() with its own id, time and hashes.
sub restore_row ($json) {
	return sql('ALTER TABLE sscn.audit_log DISABLE TRIGGER audit_log_chain; '
	    . 'INSERT INTO sscn.audit_log SELECT * FROM json_populate_record('
	    . "NULL::sscn.audit_log, \$row\$$json\$row\$::json); "
	    . 'ALTER TABLE sscn.audit_log ENABLE TRIGGER audit_log_chain');
}

# ---- a database before the partitions ---------------------------------------

ok(defined psql_value("CREATE DATABASE $db OWNER sscn_owner"),
    "scratch database $db created") or BAIL_OUT('no scratch database');
$created = 1;
copy_migrations(0);
my ($status, $out) = ctl('migrate');
is($status, 0, 'migrate before partitioning: exit 0') or diag($out);
is(sql("SELECT relkind FROM pg_class WHERE oid = 'sscn.audit_log'::regclass"),
    'r', 'audit log starts as a plain table');

# Forty rows written by the old trigger, then dated back 80 days apart
# (the oldest 3200 days, almost nine years, ago) and chained again in id
# order, as rows written over those years would be.
my $SEED_ROWS = 40;
sql("INSERT INTO sscn.audit_log (action, target, result) SELECT "
    . "'test.seed', 'row ' || g, 'success' FROM generate_series(1, $SEED_ROWS) g");
superuser_change(<<"SQL");
DO \$\$
DECLARE
	r	record;
	prev	bytea := '\\x00';
	n	integer := $SEED_ROWS;
BEGIN
	FOR r IN SELECT id FROM sscn.audit_log ORDER BY id LOOP
		UPDATE sscn.audit_log SET prev_hash = prev,
		    occurred_at = now() - make_interval(days => 80 * n)
		 WHERE id = r.id;
		UPDATE sscn.audit_log a SET hash = sscn.audit_row_hash(prev, a)
		 WHERE id = r.id RETURNING hash INTO prev;
		n := n - 1;
	END LOOP;
END
\$\$
SQL
cmp_ok(sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at < "
    . "now() - interval '8 years'"), '>=', 3, 'seed rows reach back eight years');
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'before partitioning: verify passes') or diag($out);
like($out, qr/^verified $SEED_ROWS audit rows$/m, 'before partitioning: all rows verified');
my $before = chain_fingerprint();

# ---- the migration partitions the table ---------------------------------------

copy_migrations(1);
($status, $out) = ctl('migrate');
is($status, 0, 'migrate partitioning: exit 0') or diag($out);
is(sql("SELECT relkind FROM pg_class WHERE oid = 'sscn.audit_log'::regclass"),
    'p', 'partitioned: audit log is partitioned');
is(chain_fingerprint(), $before, 'partitioned: ids, times and hashes unchanged');
is(sql("SELECT count(*) FROM sscn.audit_log a WHERE tableoid::regclass::text "
    . "<> 'sscn.audit_log_' || to_char(occurred_at AT TIME ZONE 'UTC', "
    . "'YYYYMM')"), 0, 'partitioned: every row in the partition of its month');
is(sql('SELECT count(*) FROM sscn.audit_log_default'), 0,
    'partitioned: DEFAULT partition empty');
is(sql("SELECT count(*) FROM generate_series(0, 3) m WHERE to_regclass("
    . "'sscn.audit_log_' || to_char(now() AT TIME ZONE 'UTC' + "
    . "make_interval(months => m), 'YYYYMM')) IS NULL"), 0,
    'partitioned: partitions exist for this month and the next three');
($status, $out) = ctl('audit', 'verify', '--batch', '7');
is($status, 0, 'after partitioning: verify passes') or diag($out);
like($out, qr/^verified $SEED_ROWS audit rows$/m, 'after partitioning: all rows verified');

ok(defined sql("SET ROLE sscn_app; INSERT INTO sscn.audit_log (action, "
    . "result) VALUES ('test.app', 'success')"), 'runtime role inserts a row');
($status, $out) = sql_as('sscn_app', "INSERT INTO sscn.audit_log (action, "
    . "result, occurred_at) VALUES ('test.app', 'success', "
    . "'2001-01-01T00:00:00Z')");
like($out, qr/permission denied/, 'runtime role cannot choose the time');

# ---- a row in the DEFAULT partition ----------------------------------------------

# Eight months ahead no partition exists yet, so the row goes to the
# DEFAULT partition; the chain trigger still links it.
sql("INSERT INTO sscn.audit_log (action, result, occurred_at) VALUES "
    . "('test.future', 'success', now() + interval '8 months')");
is(sql('SELECT count(*) FROM sscn.audit_log_default'), 1,
    'row of a month without partition goes to DEFAULT');
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'row in DEFAULT: verify passes') or diag($out);

# A backup from before the purge, restored in place at the end.
($status, $out) = ctl('backup');
is($status, 0, 'backup before the purge: exit 0') or diag($out);
my ($early_backup) = glob("$dir/backups/sscn-*.backup");

# ---- the retention purge -----------------------------------------------------------

my $boundary = "date_trunc('month', (now() - make_interval(secs => "
    . "220903200)) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
my $old_rows = sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at "
    . "< $boundary");
cmp_ok($old_rows, '>=', 3, 'rows older than seven years exist');
my ($last_id, $last_hash) = split / /, sql("SELECT id || ' ' || "
    . "encode(hash, 'hex') FROM sscn.audit_log WHERE occurred_at < $boundary "
    . 'ORDER BY id DESC LIMIT 1');
my $kept = sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at >= $boundary");

($status, $out) = ctl('purge', '--dry-run');
is($status, 0, 'purge --dry-run: exit 0') or diag($out);
like($out, qr/^audit_log\s+would remove $old_rows$/m,
    'purge --dry-run: counts the rows of the old months');
is(sql('SELECT count(*) FROM sscn.audit_log'), $old_rows + $kept,
    'purge --dry-run: no row removed');

($status, $out) = ctl('purge');
is($status, 0, 'purge: exit 0') or diag($out);
like($out, qr/^audit_log\s+$old_rows$/m, 'purge: prints the removed rows');
like($out, qr/^audit_partitions_created\s+1$/m,
    'purge: creates the partition of the DEFAULT row');
is(sql('SELECT count(*) FROM sscn.audit_log_default'), 0,
    'purge: DEFAULT partition emptied');
is(sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at < $boundary"),
    0, 'purge: rows older than the boundary removed');
is(sql("SELECT count(*) FROM sscn.audit_partitions() WHERE range_start < "
    . $boundary), 0, 'purge: their partitions dropped');
is(sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at >= $boundary "
    . "AND action NOT IN ('retention.anchor', 'retention.purge')"), $kept,
    'purge: younger rows kept');

my $anchor = sql("SELECT id FROM sscn.audit_log WHERE action = "
    . "'retention.anchor'");
like($anchor // '', qr/^\d+$/, 'purge: one anchor row');
is(sql("SELECT details->>'last_removed_id' FROM sscn.audit_log WHERE id = "
    . ($anchor || 0)), $last_id, 'anchor: names the last removed row');
is(sql("SELECT details->>'last_removed_hash' FROM sscn.audit_log WHERE id = "
    . ($anchor || 0)), $last_hash, 'anchor: records its hash');
is(sql("SELECT details->>'removed_rows' FROM sscn.audit_log WHERE id = "
    . ($anchor || 0)), $old_rows, 'anchor: counts the removed rows');
is(sql("SELECT encode(prev_hash, 'hex') FROM sscn.audit_log ORDER BY id "
    . 'LIMIT 1'), $last_hash, 'first row left links to the anchored hash');
is(sql("SELECT details->>'audit_anchor_id' FROM sscn.audit_log WHERE "
    . "action = 'retention.purge' ORDER BY id DESC LIMIT 1"), $anchor,
    'purge audit row names the anchor');

($status, $out) = ctl('audit', 'verify', '--batch', '5');
is($status, 0, 'after purge: verify passes') or diag($out);
like($out, qr/^chain starts at retention anchor id $anchor: rows up to id $last_id,/m,
    'after purge: verify starts from the anchor');
my $rows = sql('SELECT count(*) FROM sscn.audit_log');
like($out, qr/^verified $rows audit rows$/m, 'after purge: every row verified');

($status, $out) = ctl('purge');
is($status, 0, 'second purge: exit 0') or diag($out);
like($out, qr/^audit_log\s+0$/m, 'second purge: removes nothing');
is(sql("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'retention.anchor'"), 1, 'second purge: no second anchor');

# ---- a superuser's edit or deletion after the purge ---------------------------------

my $first = sql('SELECT min(id) FROM sscn.audit_log');
my $second = sql("SELECT min(id) FROM sscn.audit_log WHERE id > $first");
my $target = sql("SELECT id FROM sscn.audit_log WHERE id > $second "
    . "AND action = 'test.seed' ORDER BY id LIMIT 1");
my ($time, $action) = row_facts($target);
my $original = sql("SELECT target FROM sscn.audit_log WHERE id = $target");
superuser_change("UPDATE sscn.audit_log SET target = 'edited' "
    . "WHERE id = $target");
($status, $out) = ctl('audit', 'verify');
is($status, 1, 'edited row after purge: exit 1');
like($out, qr/chain broken at id $target, time \Q$time\E, action \Q$action\E: hash does not match/,
    'edited row after purge: names the row');
superuser_change("UPDATE sscn.audit_log SET target = '$original' "
    . "WHERE id = $target");
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'edited row restored: verify passes') or diag($out);

# Deleting the oldest row left leaves the next one linked to a hash that
# no anchor records.
my $saved = saved_row($first);
($time, $action) = row_facts($second);
superuser_change("DELETE FROM sscn.audit_log WHERE id = $first");
($status, $out) = ctl('audit', 'verify');
is($status, 1, 'first row deleted after purge: exit 1');
like($out, qr/chain broken at id $second, time \Q$time\E, action \Q$action\E: the first row links neither to the start of the chain nor to a retention anchor/,
    'first row deleted after purge: names the next row');
restore_row($saved);
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'first row restored: verify passes') or diag($out);

# Without its anchor, the oldest row links to a hash that nothing records.
$saved = saved_row($anchor);
superuser_change("DELETE FROM sscn.audit_log WHERE id = $anchor");
($status, $out) = ctl('audit', 'verify');
is($status, 1, 'anchor deleted: exit 1');
like($out, qr/chain broken at id $first, time [^,]+, action test\.seed: the first row links neither/,
    'anchor deleted: the first row no longer links to an anchor');
restore_row($saved);
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'anchor restored: verify passes') or diag($out);
superuser_change("UPDATE sscn.audit_log SET details = details || "
    . "'{\"removed_rows\": 0}' WHERE id = $anchor");
($status, $out) = ctl('audit', 'verify');
is($status, 1, 'anchor edited: exit 1');
like($out, qr/chain broken at id $anchor, time [^,]+, action retention\.anchor: hash does not match/,
    'anchor edited: names the anchor');
superuser_change("UPDATE sscn.audit_log SET details = details || "
    . "'{\"removed_rows\": $old_rows}' WHERE id = $anchor");
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'anchor details restored: verify passes') or diag($out);

# ---- backup and restore test of the purged log ---------------------------------------

$rows = sql('SELECT count(*) FROM sscn.audit_log');
($status, $out) = ctl('backup');
is($status, 0, 'backup of the purged database: exit 0') or diag($out);
my ($manifest) = (sort glob("$dir/backups/sscn-*.backup.json"))[-1];
my $listed = do { local (@ARGV, $/) = ($manifest // '/dev/null'); <> };
like($listed, qr/"audit_log"\s*:\s*$rows\b/, 'manifest: counts the audit log');
unlike($listed, qr/"audit_log_\d{6}"/, 'manifest: lists no partition');
($status, $out) = ctl('restore-test');
is($status, 0, 'restore-test of the purged database: exit 0') or diag($out);

# The months that the purge dropped come back with the older backup.
($status, $out) = ctl('restore', $early_backup);
is($status, 0, 'restore in place of the backup before the purge: exit 0')
    or diag($out);
cmp_ok(sql("SELECT count(*) FROM sscn.audit_log WHERE occurred_at < $boundary"),
    '==', $old_rows, 'restore in place: old months back');
($status, $out) = ctl('audit', 'verify');
is($status, 0, 'restore in place: verify passes') or diag($out);
unlike($out, qr/retention anchor/, 'restore in place: chain starts at its first row');

# ---- lanes --------------------------------------------------------------------------------

# Old rows in lanes 1 and 2 and a young one in lane 1, each written in a
# transaction that chose its lane.  The purge anchors every lane that
# loses rows: lane 0, which the restore filled again, and lanes 1 and 2.
sub insert_in_lane ($lane, $action, $age) {
	return sql('INSERT INTO sscn.audit_log (action, result, occurred_at) '
	    . "SELECT '$action', 'success', now() - interval '$age' FROM "
	    . "(SELECT set_config('sscn.audit_lane', '$lane', true)) chosen "
	    . 'RETURNING id');
}

my %old_row = (1 => insert_in_lane(1, 'test.lane_old', '7 years 3 months'),
    2 => insert_in_lane(2, 'test.lane_old', '7 years 2 months'));
my $young = insert_in_lane(1, 'test.lane_young', '0 days');
is(sql("SELECT string_agg(lane::text, ',' ORDER BY id) FROM sscn.audit_log "
    . "WHERE id IN ($old_row{1}, $old_row{2}, $young)"), '1,2,1',
    'lanes: rows went to the lanes chosen');
my $anchors_before = sql("SELECT count(*) FROM sscn.audit_log "
    . "WHERE action = 'retention.anchor'");

($status, $out) = ctl('purge');
is($status, 0, 'lanes: purge exit 0') or diag($out);
my %anchor_of = map { split /\|/ } split /\n/, sql("SELECT lane || '|' || "
    . "id FROM sscn.audit_log WHERE action = 'retention.anchor' "
    . "AND id > $young ORDER BY lane");
is(join(',', sort keys %anchor_of), '0,1,2', 'lanes: one anchor per lane that lost rows');
for my $lane (1, 2) {
	is(sql("SELECT details->>'lane' || ' ' || (details->>'last_removed_id') "
	    . "FROM sscn.audit_log WHERE id = " . ($anchor_of{$lane} // 0)),
	    "$lane $old_row{$lane}", "lanes: anchor of lane $lane names its row");
}
is(sql("SELECT prev_hash = (SELECT decode(details->>'last_removed_hash', 'hex') "
    . 'FROM sscn.audit_log WHERE id = ' . ($anchor_of{1} // 0) . ') '
    . "FROM sscn.audit_log WHERE id = $young"), 't',
    'lanes: first row left in lane 1 links to the anchor');

($status, $out) = ctl('audit', 'verify', '--batch', '4');
is($status, 0, 'lanes: verify passes') or diag($out);
for my $lane (0, 1, 2) {
	like($out, qr/^chain starts at retention anchor id $anchor_of{$lane}: .*\(lane $lane\)$/m,
	    "lanes: verify starts lane $lane at its anchor");
}

# ---- rows that interleave ---------------------------------------------------------------

# A superuser's backdated row sits in an old month but after kept rows in
# the chain: dropping its month would leave those rows unprovable.
my $month = sql("SELECT to_char(($boundary - interval '1 month') AT TIME ZONE 'UTC', 'YYYYMM')");
sql("INSERT INTO sscn.audit_log (action, result, occurred_at) VALUES "
    . "('test.backdated', 'success', $boundary - interval '20 days')");
my $fingerprint = chain_fingerprint();
my $newest = sql('SELECT max(id) FROM sscn.audit_log');
($status, $out) = ctl('purge');
is($status, 1, 'interleaved rows: purge exits 1');
like($out, qr/audit row \d+ is kept but older in the chain than row \d+/,
    'interleaved rows: message names both rows');
is(chain_fingerprint($newest), $fingerprint, 'interleaved rows: nothing removed');
is(sql("SELECT result FROM sscn.audit_log WHERE action = 'retention.purge' "
    . 'ORDER BY id DESC LIMIT 1'), 'failure',
    'interleaved rows: purge audit row says failure');
is(sql("SELECT to_regclass('sscn.audit_log_$month') IS NOT NULL"), 't',
    'interleaved rows: partition kept');
is(sql("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'retention.anchor'"), $anchors_before + 3, 'interleaved rows: no anchor written');

done_testing();
