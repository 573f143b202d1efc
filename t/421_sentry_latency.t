#!/usr/bin/perl
# A Sentry that hangs for 10 s adds no latency to users' requests: the
# failed request that causes the report, and requests served while the
# report waits, are answered as fast as without Sentry.  The worker gives
# up after its 2 s send timeout, counts it in /metrics and then sends
# nothing for 30 s.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Sentry;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
my $mock = SSCN::Sentry->start;
ok(conf_override($mock->conf_keys), 'sscnd reloads with the mock DSN')
    or BAIL_OUT('cannot configure the mock Sentry');

# Seconds that REQUEST takes, with its response.
sub timed ($method, $path) {
	my $start = time;
	my $res = request($method, $path, body => $method eq 'POST' ? '' : undef);
	return (time - $start, $res);
}

# Baseline: the same failure while Sentry answers at once.
my ($baseline, $res) = timed('POST', '/api/v1/test/fail/a');
is($res->{status}, 500, 'baseline failure answers 500');
$mock->wait_requests(1);

my $TRANSPORT = 'sscn_sentry_send_failures_total{kind="transport"}';
my $transport_before = (metrics_scrape())[1]{$TRANSPORT} // 0;
$mock->mode('hang', 10);
my $offset = file_size($SSCND_LOG);
my ($elapsed, $hung) = timed('POST', '/api/v1/test/fail/b');
is($hung->{status}, 500, 'failure with hanging Sentry answers 500');
diag(sprintf('baseline %.3f s, with hanging Sentry %.3f s', $baseline,
    $elapsed));
cmp_ok($elapsed, '<', 1.0, 'failed request is not delayed by Sentry');
cmp_ok($elapsed, '<', $baseline + 0.5, 'failed request is as fast as baseline');

# While one worker waits on Sentry, the others answer at once.
my @times;
for (1 .. 5) {
	my ($t, $r) = timed('GET', '/api/health/live');
	push @times, $t;
	is($r->{status}, 200, 'health answers while Sentry hangs');
}
my ($slowest) = sort { $b <=> $a } @times;
cmp_ok($slowest, '<', 1.0, 'requests during the hang are not delayed');

ok(scalar($mock->wait_requests(2)) >= 2, 'hanging Sentry got the envelope');
my $failed = wait_for(sub {
	read_from($SSCND_LOG, $offset) =~ /event=sentry_send_failed[^\n]*result="timed out"/
}, 6);
ok($failed, 'send timeout is logged');
is(((metrics_scrape())[1]{$TRANSPORT} // 0) - $transport_before, 1,
    'send timeout is counted in /metrics');
my ($line) = grep { /event=sentry_send_failed/ }
    split /\n/, read_from($SSCND_LOG, $offset);
like($line // '', qr/backoff_s=30/, 'timeout log line shows the back-off');

# After the timeout the workers back off: a new failure sends nothing.
$mock->mode('ok');
my $count = scalar $mock->requests;
($elapsed, $res) = timed('POST', '/api/v1/test/fail/c');
is($res->{status}, 500, 'failure during the back-off answers 500');
sleep 2;
is(scalar($mock->requests), $count, 'no envelope during the back-off');

done_testing;
