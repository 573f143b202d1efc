#!/usr/bin/perl
# Worker deaths under load: while wrk reads GET /api/health/live and two
# writers create RFQs, a worker is killed with SIGKILL every 2 s.  A
# worker serves one request at a time, so each kill may fail at most the
# one request in flight on it; every other answer is 2xx.  Each RFQ that
# was answered 201 exists exactly once, and no RFQ exists twice, so no
# committed write was lost or doubled.  t/040 checks one kill without
# load and the respawn log line.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use SSCN::Load;
use SSCN::Rfqs;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
plan skip_all => 'wrk not installed (Debian package wrk)' unless wrk_available();

my $LOAD_SECONDS = 14;
my $KILL_EVERY = 2;
my $KILLS = 5;
my $WRITERS = 2;

my $master = master_pid();
ok($master, 'sscnd master is running') or BAIL_OUT('no sscnd master');
my @workers = child_pids($master);
my $workers = @workers;
ok($workers >= 2, "master has $workers workers");

my $buyer = org_user('buyer');
my $run = substr(random_id(), 0, 8);

# Create RFQs titled "t700 RUN WRITER-N" until the deadline and write one
# line "TITLE STATUS" per request to FILE.  Runs in a child process.
sub write_rfqs ($writer, $deadline, $file) {
	open(my $log, '>', $file) or die "$file: $!";
	$log->autoflush(1);
	my $n = 0;
	while (time < $deadline) {
		my $title = "t700 $run $writer-" . $n++;
		my $res = api('POST', '/api/v1/rfqs', token => $buyer->{token},
		    json => rfq_body(title => $title));
		printf $log "%s\t%s\n", $title, $res->{status} // 'none';
	}
	close $log;
}

my $load = load_start('/api/health/live', seconds => $LOAD_SECONDS,
    threads => 2, connections => 8);

my $deadline = time + $LOAD_SECONDS;
my %writer_files;
for my $writer (1 .. $WRITERS) {
	my $file = "/tmp/t700-$run-$writer.log";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		eval { write_rfqs($writer, $deadline, $file) };
		POSIX::_exit($@ ? 1 : 0);
	}
	$writer_files{$pid} = $file;
}

# Kill a different worker each time, after the load has warmed up.
my @killed;
for my $kill (1 .. $KILLS) {
	sleep $KILL_EVERY;
	my @pids = child_pids($master);
	my ($victim) = grep { my $p = $_; !grep { $_ == $p } @killed } @pids;
	next unless $victim;
	push @killed, $victim if kill('KILL', $victim);
}
is(scalar @killed, $KILLS, "$KILLS workers killed with SIGKILL")
    or diag("killed: @killed");

for my $pid (keys %writer_files) {
	waitpid($pid, 0);
	is($?, 0, "writer $pid finished");
}
my $result = load_finish($load);
note($result->{report});

# ---- answers -------------------------------------------------------------------

my (%status_of, @failed_writes);
for my $file (values %writer_files) {
	open(my $fh, '<', $file) or next;
	while (my $line = <$fh>) {
		chomp $line;
		my ($title, $status) = split /\t/, $line;
		$status_of{$title} = $status;
		push @failed_writes, "$title: $status" if $status ne '201';
	}
	close $fh;
	unlink $file;
}
my $created = grep { $_ eq '201' } values %status_of;

ok($result->{requests} > 100, "wrk made $result->{requests} requests");
ok($created > 10, "writers created $created RFQs");
my $failed_reads = $result->{non_2xx} + $result->{socket_errors};
ok($failed_reads + @failed_writes <= scalar @killed,
    'failed requests at most one per killed worker')
    or diag("wrk: $result->{non_2xx} non-2xx, $result->{socket_errors} "
    . "socket errors; writes: @failed_writes");
diag("failed: $failed_reads reads and " . scalar(@failed_writes)
    . ' writes for ' . scalar(@killed) . ' kills');
# nginx answers a request whose worker died with 502, which
# sscn-common.conf turns into its own 503 unavailable.  The row counts
# below check that no write was lost or stored twice.
for my $failure (@failed_writes) {
	like($failure, qr/: (?:502|503|none)$/,
	    "failed write $failure is a lost connection, not an application error");
}

# ---- rows -----------------------------------------------------------------------

my %rows = map { split /\t/ } split /\n/, psql_value(
    "SELECT string_agg(title || E'\\t' || n, E'\\n') FROM (SELECT title, "
    . "count(*) AS n FROM sscn.rfqs WHERE title LIKE 't700 $run %' "
    . 'GROUP BY title) AS t') // '';

my @lost = grep { $status_of{$_} eq '201' && !$rows{$_} } keys %status_of;
is(scalar @lost, 0, 'every RFQ answered 201 is stored') or diag("lost: @lost");
my @doubled = grep { $rows{$_} > 1 } keys %rows;
is(scalar @doubled, 0, 'no RFQ is stored twice') or diag("doubled: @doubled");
my @unknown = grep { !exists $status_of{$_} } keys %rows;
is(scalar @unknown, 0, 'every stored RFQ was requested') or diag("@unknown");
my $stored_after_failure = grep { $status_of{$_} ne '201' && $rows{$_} }
    keys %status_of;
ok($stored_after_failure <= @failed_writes,
    'RFQs stored without a 201 only for failed requests');

# ---- recovery -------------------------------------------------------------------

my @after;
ok(wait_for(sub { @after = child_pids($master); @after == $workers }, 10),
    "master respawned back to $workers workers") or diag("workers: @after");
is(master_pid(), $master, 'master pid unchanged');
my $res = request('GET', '/api/health/ready');
is($res->{status}, 200, 'ready after the kills: status 200');

done_testing();
