#!/usr/bin/perl
# Reload under load: SIGHUP to the master while wrk keeps GET
# /api/health/live busy over keep-alive connections.  wrk must see no non-2xx
# answer and no socket error, every worker must be replaced while the load
# still runs, and the master keeps its pid.  The first round is a light load
# (1 thread, 4 connections); the second keeps more connections open than
# there are workers, so a connection is always waiting in the listen queue
# and a worker that only notices its stop signal while idle never stops.
# A last round reloads nginx and then sscnd under load.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Load;
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();

my ($wrk_status) = run_cmd(['wrk', '--version'], timeout => 10);
if ($wrk_status == 127) {
	plan skip_all => 'wrk not installed (Debian package wrk)';
}

my $master = master_pid();
ok($master, "master pid read from $DEV/run/sscnd.pid");
unless ($master) {
	done_testing();
	exit;
}

# wrk runs for LOAD_SECONDS; SIGHUP goes out HUP_AFTER seconds in.  A
# replacement of every worker is expected within REPLACE_SECONDS of the
# SIGHUP, well before the load ends.
my $LOAD_SECONDS = 6;
my $HUP_AFTER = 1;
my $REPLACE_SECONDS = 3;

# Run one reload under wrk with THREADS threads and CONNECTIONS connections;
# NAME prefixes the assertions.
sub reload_under_load ($name, $threads, $connections) {
	my @before = child_pids($master);
	ok(@before >= 1, "$name: master has workers");
	my %old = map { $_ => 1 } @before;

	my $t0 = time;
	open(my $wrk, '-|', 'timeout', '--kill-after=5', $LOAD_SECONDS + 30,
	    'wrk', "-t$threads", "-c$connections", "-d${LOAD_SECONDS}s",
	    '--timeout', '5s', "$URL/api/health/live")
	    or die "cannot start wrk: $!";

	sleep $HUP_AFTER;
	my ($status, $out) = dev_tool('reload', { timeout => 30 });
	is($status, 0, "$name: tools/dev reload exit 0") or diag($out);
	my $hup_at = time - $t0;

	# Poll the worker set while wrk runs, so the replacement can be timed.
	my $replaced_at;
	my @during;
	while (time - $t0 < $LOAD_SECONDS - 0.2) {
		@during = child_pids($master);
		if (!defined $replaced_at && @during >= @before
		    && !grep { $old{$_} } @during) {
			$replaced_at = time - $t0;
		}
		sleep 0.1;
	}

	my $report = do { local $/; <$wrk> } // '';
	close $wrk;
	is($? >> 8, 0, "$name: wrk exit 0") or diag($report);
	note($report);

	my ($requests) = $report =~ /(\d+) requests in /;
	my ($non_2xx) = $report =~ /Non-2xx or 3xx responses: (\d+)/;
	my ($connect, $read, $write, $timeout) = $report
	    =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
	ok(defined $requests && $requests > 0, "$name: wrk made requests")
	    or diag($report);
	is($non_2xx // 0, 0, "$name: zero non-2xx answers") or diag($report);
	is(($connect // 0) + ($read // 0) + ($write // 0) + ($timeout // 0), 0,
	    "$name: zero socket errors") or diag($report);

	ok(defined $replaced_at && $replaced_at - $hup_at <= $REPLACE_SECONDS,
	    "$name: workers replaced within ${REPLACE_SECONDS}s under load")
	    or diag(sprintf("SIGHUP at %.2f s; workers before: @before; "
	    . "%s; at the end of the load: @during", $hup_at,
	    defined $replaced_at ? sprintf('all replaced at %.2f s', $replaced_at)
	    : 'not all replaced while the load ran'));
	diag(sprintf("$name: SIGHUP at %.2f s, all workers replaced at %.2f s",
	    $hup_at, $replaced_at)) if defined $replaced_at;

	# Whatever the timing, the old workers must be gone in the end.
	my @after;
	my $done = wait_for(sub {
		@after = child_pids($master);
		return @after >= @before && !grep { $old{$_} } @after;
	}, 30);
	ok($done, "$name: every worker pid changed")
	    or diag("before: @before, after: @after");
	is(scalar @after, scalar @before, "$name: same number of workers");
	is(master_pid(), $master, "$name: master pid unchanged")
	    or diag('sscnd was restarted during the test, for example by '
	    . 'tools/dev up after a rebuild');
}

reload_under_load('light load', 1, 4);
reload_under_load('saturating load', 2, 32);

# nginx re-reads its configuration on SIGHUP and replaces its workers,
# which finish the requests they hold; wrk must see no failure.  The old
# workers also close their idle keep-alive connections, and a request
# that wrk sends on one at that moment gets a read error that a browser
# would retry (RFC 9112, section 9.3.1), so this round opens a
# connection per request.
{
	my $load = load_start('/api/health/live', seconds => $LOAD_SECONDS,
	    threads => 2, connections => 16, headers => [Connection => 'close']);
	sleep $HUP_AFTER;
	my ($status, $out) = dev_tool('nginx-reload', { timeout => 30 });
	is($status, 0, 'nginx reload: tools/dev nginx-reload exit 0') or diag($out);
	sleep 1;
	($status, $out) = dev_tool('reload', { timeout => 30 });
	is($status, 0, 'nginx reload: then tools/dev reload exit 0') or diag($out);

	load_finish_clean($load, 'nginx reload');
}

my $res = request('GET', '/api/health/ready');
is($res->{status}, 200, 'ready after reloads: status 200');

done_testing();
