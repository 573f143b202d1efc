#!/usr/bin/perl
# The counters of GET /metrics live in memory that the master shares with
# its workers: after every worker is killed with SIGKILL, the new workers
# report at least the counts of the dead ones, and the worker restarts are
# counted.  While PostgreSQL is stopped, /metrics still answers with the
# counters and sscn_health_ready 0 and leaves the database gauges out.
# After PostgreSQL is back, the lost connections and the reconnects are
# counted.
#
# PostgreSQL is always started again before the file ends, also when an
# assertion dies, so the stack is left healthy.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $LIVE = 'sscn_http_requests_total{method="GET",route="/api/health/live",'
    . 'status="200"}';
my $RESTARTS = 'sscn_worker_restarts_total';
my $RECONNECTS = 'sscn_db_reconnects_total';
my $LOST = 'sscn_db_errors_total{kind="connection_lost"}';
my $CONNECT = 'sscn_db_errors_total{kind="connect"}';

# pg_stop() of SSCN::Test starts PostgreSQL again when the file ends.
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# ---- counters survive killed workers ----------------------------------------------

my $master = master_pid();
ok($master, "master pid read from $DEV/run/sscnd.pid")
    or BAIL_OUT('sscnd is not running');
my @workers = child_pids($master);
ok(@workers >= 2, 'master has several workers') or diag("workers: @workers");

# Enough requests that, with nginx's spread over the workers, the counts
# come from several of them.
for (1 .. 4 * @workers) {
	request('GET', '/api/health/live');
}
my ($res, $before) = metrics_scrape();
is($res->{status}, 200, 'scrape before the kill: status 200');
cmp_ok($before->{$LIVE} // 0, '>=', 4 * @workers,
    'scrape before the kill: the requests are counted');

ok(kill('KILL', @workers) == @workers, 'SIGKILL sent to every worker');
my @after;
my $respawned = wait_for(sub {
	@after = child_pids($master);
	my %old = map { $_ => 1 } @workers;
	return @after == @workers && !grep { $old{$_} } @after;
}, 40, 0.1);
ok($respawned, 'every worker replaced')
    or diag("before: @workers, after: @after");

my $after;
wait_for(sub {
	($res, $after) = metrics_scrape();
	return ($res->{status} // 0) == 200;
}, 10);
is($res->{status}, 200, 'scrape after the kill: status 200');
cmp_ok($after->{$LIVE} // 0, '>=', $before->{$LIVE} // 0,
    'scrape after the kill: the dead workers\' counts are kept');
is(($after->{$RESTARTS} // 0) - ($before->{$RESTARTS} // 0), scalar @workers,
    'worker restarts: one per killed worker');

# ---- PostgreSQL stopped and started again -----------------------------------------

# Each worker opens its connection on first use, so make every worker
# connect before the stop.
for (1 .. 4 * @workers) {
	request('GET', '/api/health/ready');
}
$before = (metrics_scrape())[1];

my ($status, $out) = pg_stop();
is($status, 0, 'PostgreSQL stopped') or diag($out);

# Spread requests over the workers, so that each finds its connection lost.
for (1 .. 4 * @workers) {
	request('GET', '/api/health/ready');
}
my $down;
($res, $down) = metrics_scrape();
is($res->{status}, 200, 'database down: /metrics still answers 200');
is($down->{sscn_health_ready}, 0, 'database down: sscn_health_ready 0');
ok(!exists $down->{sscn_mail_outbox_backlog_messages},
    'database down: the database gauges are left out');
cmp_ok(($down->{$LOST} // 0) + ($down->{$CONNECT} // 0), '>',
    ($before->{$LOST} // 0) + ($before->{$CONNECT} // 0),
    'database down: lost connections and failed connects counted');

ok(pg_start(), 'PostgreSQL started again');
my $ready = wait_for(sub {
	for (1 .. 4 * @workers) {
		request('GET', '/api/health/ready');
	}
	$after = (metrics_scrape())[1];
	return ($after->{sscn_health_ready} // 0) == 1
	    && ($after->{$RECONNECTS} // 0) > ($before->{$RECONNECTS} // 0);
}, 30, 0.5);
ok($ready, 'database back: sscn_health_ready 1 again');
cmp_ok($after->{$RECONNECTS} // 0, '>', $before->{$RECONNECTS} // 0,
    'database back: reconnects counted');

done_testing();
