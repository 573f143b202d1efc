#!/usr/bin/perl
# `sscnctl audit verify` walks the audit log's hash chain.  It passes on
# the log as the service wrote it, in one batch and in small batches, and
# with two transactions that wrote to different lanes at once.  A
# superuser then edits one row's field (with the append-only trigger
# disabled, as a superuser could), and later deletes one row: each time
# verify exits 1 and names the first broken row by id, time and action.
# Removing the newest row breaks no link, but verify finds it through the
# chain head.  The test restores each row so the chain is whole again
# afterwards.
#
# No role but the superuser changes a row: UPDATE, DELETE and TRUNCATE
# fail for the runtime, maintenance and owner roles, on the table and on
# its month partitions, and the maintenance role's purge refuses a
# retention under seven years.  t/522_audit_retention.t tests the purge.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $program = find_program('sscnctl') or BAIL_OUT('sscnctl is not built');
my $conf = "$DEV/sscn.conf";

# Run `sscnctl audit ARGS`; returns (exit status, output with stderr).
sub audit (@args) {
	return run_cmd([$program, '-c', $conf, 'audit', @args], timeout => 60);
}

# Run SQL as the superuser with the append-only trigger disabled, in one
# transaction that enables it again.
sub superuser_change ($sql) {
	return psql_value('ALTER TABLE sscn.audit_log DISABLE TRIGGER '
	    . "audit_log_append_only; $sql; ALTER TABLE sscn.audit_log "
	    . 'ENABLE TRIGGER audit_log_append_only');
}

# The time (as verify prints it), action and result of audit row "id".
sub row_facts ($id) {
	my $row = psql_value("SELECT to_char(occurred_at AT TIME ZONE 'UTC', "
	    . q{'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' ' || action || ' ' || result }
	    . "FROM sscn.audit_log WHERE id = $id");
	return split / /, $row // '';
}

# ---- usage -------------------------------------------------------------------

my ($status, $out) = audit();
is($status, 2, 'audit without a subcommand: usage, exit 2');
($status, $out) = audit('verify', '--batch', '0');
is($status, 2, 'audit verify --batch 0: exit 2');
like($out, qr/invalid --batch "0"/, 'audit verify --batch 0: message names the value');
($status, $out) = audit('verify', '--batch', 'x10');
is($status, 2, 'audit verify --batch x10: exit 2');

# ---- an intact chain -----------------------------------------------------------

# A registration leaves audit rows, so the log has rows after any row
# the test picks below.
verified_user();
verified_user();
my $rows = psql_value('SELECT count(*) FROM sscn.audit_log');
cmp_ok($rows, '>=', 4, 'audit log has rows to check');

($status, $out) = audit('verify');
is($status, 0, 'intact chain: exit 0') or diag($out);
like($out, qr/^verified (\d+) audit rows$/m, 'intact chain: prints the count');
my ($count) = $out =~ /verified (\d+)/;
cmp_ok($count, '>=', $rows, 'intact chain: counts every row');

($status, $out) = audit('verify', '--batch', '3');
is($status, 0, 'intact chain, batches of 3: exit 0') or diag($out);
like($out, qr/verified $count audit rows/, 'batches of 3: same count');

# ---- lanes ------------------------------------------------------------------------

# A transaction keeps its lane until it ends, so an audit row written
# meanwhile goes to another lane, and both chains verify.
my $insert = 'INSERT INTO sscn.audit_log (action, result) '
    . "VALUES ('test.lane', 'success') RETURNING lane";
open(my $held, '-|', "$ROOT/tools/dev", 'psql', '-X', '-q', '-A', '-t',
    '-v', 'ON_ERROR_STOP=1', '-c',
    "BEGIN; $insert; SELECT pg_sleep(3) IS NULL; COMMIT")
    or BAIL_OUT("psql: $!");
sleep 1;
my $other_lane = psql_value($insert);
my @held_output = <$held>;
close($held);
chomp(my $held_lane = $held_output[0] // '');
like($held_lane, qr/^[0-7]$/, 'lanes: first transaction has a lane');
like($other_lane // '', qr/^[0-7]$/, 'lanes: second transaction has a lane');
isnt($other_lane, $held_lane, 'lanes: concurrent transactions differ');
($status, $out) = audit('verify');
is($status, 0, 'lanes: both chains verify') or diag($out);

# ---- an edited row --------------------------------------------------------------

# Ids that the chain check of sscn-security(7) returns, in order.
sub chain_breaks () {
	return psql_value("SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') "
	    . 'FROM (' . audit_chain_query() . ') breaks');
}

is(chain_breaks(), '', 'manual query: intact chain');

my $target = psql_value('SELECT id FROM sscn.audit_log ORDER BY id DESC '
    . 'OFFSET 2 LIMIT 1');
my ($time, $action, $result) = row_facts($target);
my $before = psql_value('SELECT count(*) FROM sscn.audit_log '
    . "WHERE id < $target");

my $other = $result eq 'failure' ? 'success' : 'failure';
superuser_change("UPDATE sscn.audit_log SET result = '$other' "
    . "WHERE id = $target");
is(psql_value("SELECT result FROM sscn.audit_log WHERE id = $target"),
    $other, 'edit: the superuser changed the row');

($status, $out) = audit('verify', '--batch', '2');
is($status, 1, 'edited row: exit 1');
like($out, qr/^verified $before audit rows$/m,
    'edited row: counts the rows before it');
like($out, qr/chain broken at id $target, time \Q$time\E, action \Q$action\E:/,
    'edited row: names the row');
like($out, qr/hash does not match/, 'edited row: says the hash differs');
is(chain_breaks(), $target, 'edited row: manual query finds it');

superuser_change("UPDATE sscn.audit_log SET result = '$result' "
    . "WHERE id = $target");
($status, $out) = audit('verify');
is($status, 0, 'row restored: exit 0') or diag($out);

# ---- a deleted row ----------------------------------------------------------------

my $saved = psql_value("SELECT row_to_json(a) FROM sscn.audit_log a "
    . "WHERE id = $target");
my $next = psql_value('SELECT id FROM sscn.audit_log WHERE lane = '
    . "(SELECT lane FROM sscn.audit_log WHERE id = $target) "
    . "AND id > $target ORDER BY id LIMIT 1");
my ($next_time, $next_action) = row_facts($next);

superuser_change("DELETE FROM sscn.audit_log WHERE id = $target");
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE id = $target"),
    0, 'delete: the superuser removed the row');

($status, $out) = audit('verify');
is($status, 1, 'deleted row: exit 1');
like($out, qr/^verified $before audit rows$/m,
    'deleted row: counts the rows before the gap');
like($out, qr/chain broken at id $next, time \Q$next_time\E, action \Q$next_action\E:/,
    'deleted row: names the row after the gap');
like($out, qr/prev_hash does not match/, 'deleted row: says the link is broken');
is(chain_breaks(), $next, 'deleted row: manual query finds gap');

# Put a deleted row back as it was, from its JSON, with the chain trigger
# off so it keeps its id, time and hash.
sub restore_row ($json) {
	return psql_value('ALTER TABLE sscn.audit_log DISABLE TRIGGER '
	    . 'audit_log_chain; INSERT INTO sscn.audit_log '
	    . 'SELECT * FROM json_populate_record(NULL::sscn.audit_log, '
	    . "\$row\$$json\$row\$::json); "
	    . 'ALTER TABLE sscn.audit_log ENABLE TRIGGER audit_log_chain');
}

restore_row($saved);
($status, $out) = audit('verify');
is($status, 0, 'deleted row restored: exit 0') or diag($out);
is(chain_breaks(), '', 'deleted row restored: manual query passes');

# ---- a removed tail -----------------------------------------------------------------

# Removing the newest row leaves no broken link behind.  The head of its
# lane, which the insert trigger moves with every row, still names it.
my $newest = psql_value('SELECT max(id) FROM sscn.audit_log');
is(psql_value('SELECT h.last_id FROM sscn.audit_chain_head h '
    . "JOIN sscn.audit_log a ON a.lane = h.lane WHERE a.id = $newest"),
    $newest, 'chain head names the newest row');
my $tail = psql_value("SELECT row_to_json(a) FROM sscn.audit_log a "
    . "WHERE id = $newest");
my ($tail_time) = row_facts($newest);

superuser_change("DELETE FROM sscn.audit_log WHERE id = $newest");
($status, $out) = audit('verify');
is($status, 1, 'removed tail: exit 1');
like($out, qr/chain broken at id $newest, time \Q$tail_time\E, action -: the chain head names this row as the newest of its lane/,
    'removed tail: names the row that the head records');
is(chain_breaks(), '', 'removed tail: manual query sees no broken link');

restore_row($tail);
($status, $out) = audit('verify');
is($status, 0, 'tail restored: exit 0') or diag($out);

# The head is evidence too: only the trigger, running as the owner,
# changes it.
my ($head_failed, $head_message) = sql_as('sscn_app',
    "UPDATE sscn.audit_chain_head SET last_hash = '\\x00'");
like($head_message, qr/permission denied/, 'sscn_app: may not move the chain head');
($head_failed, $head_message) = sql_as('sscn_owner', 'DELETE FROM sscn.audit_chain_head');
like($head_message, qr/the audit log is append-only/,
    'sscn_owner: may not delete the chain head');

# ---- who may change the log ------------------------------------------------------

is(psql_value("SELECT relkind FROM pg_class WHERE oid = 'sscn.audit_log'::regclass"),
    'p', 'audit log is partitioned');
my $partition = psql_value("SELECT tableoid::regclass FROM sscn.audit_log "
    . "WHERE id = $target");
is($partition, psql_value("SELECT 'sscn.audit_log_' || to_char(occurred_at "
    . "AT TIME ZONE 'UTC', 'YYYYMM') FROM sscn.audit_log WHERE id = $target"),
    'a row is in the partition of its month');

# Run SQL as ROLE in a transaction that is rolled back; returns psql's
# exit status and output.
sub sql_as ($role, $sql) {
	return dev_tool('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
	    '-c', "BEGIN; SET LOCAL ROLE $role; $sql; ROLLBACK;");
}

my %refusal = (
	sscn_app	=> qr/permission denied/,
	sscn_maint	=> qr/permission denied/,
	sscn_owner	=> qr/the audit log is append-only/,
);
for my $role (sort keys %refusal) {
	for my $case (
	    ['UPDATE', "UPDATE sscn.audit_log SET result = 'denied' WHERE id = $target"],
	    ['DELETE', "DELETE FROM sscn.audit_log WHERE id = $target"],
	    ['TRUNCATE', 'TRUNCATE sscn.audit_log'],
	    ['partition UPDATE', "UPDATE $partition SET result = 'denied' WHERE id = $target"],
	    ['partition DELETE', "DELETE FROM $partition WHERE id = $target"]) {
		my ($name, $sql) = @$case;
		my ($failed, $message) = sql_as($role, $sql);
		isnt($failed, 0, "$role: $name fails");
		like($message, $refusal{$role}, "$role: $name refused")
		    or diag($message);
	}
}
for my $role (qw(sscn_app sscn_maint)) {
	my ($failed, $message) = sql_as($role, "DROP TABLE $partition");
	isnt($failed, 0, "$role: DROP of a partition fails");
	like($message, qr/must be owner/, "$role: DROP of a partition refused");
}
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE id = $target"), 1,
    'target row still there');

my ($failed, $message) = sql_as('sscn_app', 'SELECT sscn.audit_purge(220903200, true)');
like($message, qr/permission denied for function audit_purge/,
    'sscn_app: may not run the purge');
($failed, $message) = sql_as('sscn_app', 'SELECT sscn.audit_prepare_partitions(1)');
like($message, qr/permission denied for function audit_prepare_partitions/,
    'sscn_app: may not create partitions');
($failed, $message) = sql_as('sscn_maint', 'SELECT sscn.audit_purge(31536000, false)');
like($message, qr/below the minimum of 220903200/,
    'sscn_maint: purge refuses a retention under seven years');
($failed, $message) = sql_as('sscn_maint', 'SELECT sscn.audit_prepare_partitions(13)');
like($message, qr/months_ahead must be 0 to 12/,
    'sscn_maint: at most twelve months of partitions ahead');
($failed, $message) = sql_as('sscn_maint', 'SELECT sscn.audit_purge(220903200, true)');
is($failed, 0, 'sscn_maint: may run the purge') or diag($message);

($status, $out) = audit('verify');
is($status, 0, 'after the refused changes: exit 0') or diag($out);

done_testing();
