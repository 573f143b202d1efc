#!/usr/bin/perl
# PostgreSQL restart under load: while wrk reads GET /api/health/live,
# PostgreSQL stops and starts again.  /api/health/ready reports the outage
# with 503, an authenticated read fails with a JSON 503 in the meantime,
# wrk sees no failed answer, and afterwards the same workers serve the
# authenticated read again, so they reconnected without a restart.  A
# second restart, with no request during it, leaves every worker with a
# connection the server has closed: the first reads and writes after it
# must still succeed, on a new connection.  The server's messages about
# the shutdown reach sscnd's log as key=value lines, like every other
# line.  t/050 covers the outage's error bodies without load.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Load;
use SSCN::Rfqs;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
plan skip_all => 'wrk not installed (Debian package wrk)' unless wrk_available();
# pg_stop() of SSCN::Test starts PostgreSQL again when the file ends.
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $LOAD_SECONDS = 16;

my $log_offset = file_size($SSCND_LOG);
my $master = master_pid();
ok($master, 'sscnd master is running') or BAIL_OUT('no sscnd master');
my @workers = sort { $a <=> $b } child_pids($master);
my $buyer = org_user('buyer');

my $res = api('GET', '/api/v1/me', token => $buyer->{token});
is($res->{status}, 200, 'me before the restart: status 200');

my $load = load_start('/api/health/live', seconds => $LOAD_SECONDS,
    threads => 2, connections => 8);
sleep 1;

# ---- outage ---------------------------------------------------------------------

my ($status, $out) = pg_stop();
is($status, 0, 'tools/dev pg-stop: exit 0') or diag($out);

my $ready;
ok(wait_for(sub {
	$ready = request('GET', '/api/health/ready', timeout => 10);
	($ready->{status} // 0) == 503;
}, 15, 0.2), 'ready during the outage: 503 within 15 s')
    or diag('last answer: ' . ($ready->{status} // $ready->{error}));

my $t0 = time;
$res = api('GET', '/api/v1/me', token => $buyer->{token});
my $elapsed = time - $t0;
is_error_response($res, 503, 'unavailable', 'me during the outage');
ok($elapsed < 10, sprintf('me during the outage answers in %.1f s', $elapsed));

# ---- recovery -------------------------------------------------------------------

ok(pg_start(), 'tools/dev pg-start: exit 0');
my $streak = 0;
my $last;
ok(wait_for(sub {
	$last = api('GET', '/api/v1/me', token => $buyer->{token});
	$streak = ($last->{status} // 0) == 200 ? $streak + 1 : 0;
	$streak >= 2 * @workers;
}, 20, 0.1), 'me after the restart: ' . 2 * @workers . ' answers of 200 in a row')
    or diag('last answer: ' . ($last->{status} // $last->{error}));
is(request('GET', '/api/health/ready')->{status}, 200,
    'ready after the restart: status 200');

load_finish_clean($load, 'live under load');

is_deeply([sort { $a <=> $b } child_pids($master)], \@workers,
    'same worker pids: the workers reconnected without a restart');
is(master_pid(), $master, 'master pid unchanged');

# ---- a restart no request sees ---------------------------------------------------

# Let every worker use its connection, so that each holds one the stop closes.
for (1 .. 4 * @workers) {
	api('GET', '/api/v1/me', token => $buyer->{token});
}
($status, $out) = pg_stop();
is($status, 0, 'second stop: exit 0') or diag($out);
ok(pg_start(), 'second start: exit 0');

# Reads and writes alternate, so that each kind reaches old connections.
my @failed;
my $title = 'Unseen restart ' . random_id();
for my $i (1 .. 3 * @workers) {
	my $read = api('GET', '/api/v1/me', token => $buyer->{token});
	push @failed, "me: $read->{status}" if $read->{status} != 200;
	my $write = api('POST', '/api/v1/rfqs', token => $buyer->{token},
	    json => rfq_body(title => "$title $i"));
	push @failed, "rfq: $write->{status}" if $write->{status} != 201;
}
is_deeply(\@failed, [], 'unseen restart: no request failed')
    or diag(explain(\@failed));
is(psql_value('SELECT count(*) FROM sscn.rfqs WHERE title LIKE $$' . $title
    . ' %$$'), 3 * @workers, 'unseen restart: each RFQ once');

# ---- the log --------------------------------------------------------------------

my @raw = grep { !/^\S+ sscnd\[\d+\]: level=\w+ event=\w+/ }
    split /\n/, read_from($SSCND_LOG, $log_offset);
is_deeply(\@raw, [], 'log: key=value lines only')
    or diag(explain([@raw[0 .. ($#raw < 4 ? $#raw : 4)]]));

done_testing();
