#!/usr/bin/perl
# Worker respawn: a worker killed with SIGKILL is replaced by a new process,
# the master logs the dead worker's pid and signal, and requests keep
# succeeding meanwhile and afterwards.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(time);

require_stack();

my $master = master_pid();
ok($master, "master pid read from $DEV/run/sscnd.pid");
unless ($master) {
	done_testing();
	exit;
}

my @before = child_pids($master);
ok(@before >= 1, 'master has workers') or diag("children of $master: none");

# Send COUNT sequential GET /api/health/live requests and return how many
# were answered 200.
sub successes ($count) {
	my $ok = 0;
	my @failures;
	for (1 .. $count) {
		my $res = request('GET', '/api/health/live', timeout => 10);
		if (($res->{status} // 0) == 200) {
			$ok++;
		} elsif (@failures < 5) {
			push @failures, $res->{status} // $res->{error};
		}
	}
	diag("failed answers: @failures") if @failures;
	return $ok;
}

SKIP: {
	skip 'no worker to kill', 6 unless @before;

	my $victim = $before[-1];
	my $offset = file_size($SSCND_LOG);
	my $t0 = time;
	ok(kill('KILL', $victim), "SIGKILL sent to worker $victim");

	is(successes(100), 100, 'requests after SIGKILL: 100 of 100 succeed');

	# The new worker appears within respawn_delay_max (30 s by default)
	# even if the killed one counts as dying young.
	my @after;
	my $respawned = wait_for(sub {
		@after = child_pids($master);
		my %old = map { $_ => 1 } @before;
		return !process_alive($victim) && @after == @before
		    && grep { !$old{$_} } @after;
	}, 40, 0.1);
	ok($respawned, 'respawn: new worker pid appears')
	    or diag("before: @before, after: @after");
	diag(sprintf('new worker seen %.2f s after SIGKILL, checked after the '
	    . '100 requests', time - $t0)) if $respawned;
	ok(!grep({ $_ == $victim } @after), 'respawn: killed pid gone');

	my @lines;
	wait_for(sub {
		@lines = grep { /\b$victim\b/ && /(signal|sig)\b.*?(9|KILL)\b/i }
		    split /\n/, read_from($SSCND_LOG, $offset);
		return @lines;
	}, 5);
	ok(@lines, 'respawn: log names the pid and SIGKILL')
	    or diag("log since the kill:\n" . read_from($SSCND_LOG, $offset));

	is(successes(100), 100, 'requests after respawn: 100 of 100 succeed');
}

is(master_pid(), $master, 'master pid unchanged')
    or diag('sscnd was restarted during the test, for example by '
    . 'tools/dev up after a rebuild; the results above may not be about '
    . 'the killed worker');

done_testing();
