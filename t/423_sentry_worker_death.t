#!/usr/bin/perl
# The master reports a worker killed by a signal: one fatal event after
# the respawn, naming the signal and the worker, sent from a short-lived
# child so the master keeps serving.  A second death from the same signal
# within a minute sends nothing, and a worker that a reload retires is
# not reported.

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

my $master = master_pid();
ok($master, 'sscnd master is running') or BAIL_OUT('no master');
my @before = child_pids($master);
ok(@before >= 2, 'master has workers');

my $victim = $before[0];
my $offset = file_size($SSCND_LOG);
ok(kill('KILL', $victim), "worker $victim killed with SIGKILL");

ok(wait_for(sub { read_from($SSCND_LOG, $offset) =~ /event=worker_respawned/ },
    10), 'master respawns the worker');
my @requests = $mock->wait_requests(1, 10);
is(scalar @requests, 1, 'one envelope for the dead worker');
my ($envelope, $item, $payload, $event) =
    SSCN::Sentry::parse_envelope(($requests[0] // {})->{body} // '');
$event //= {};
is($event->{level}, 'fatal', 'worker death is fatal');
is($event->{tags}{signal}, 'KILL', 'event names the signal');
like($event->{message}{formatted} // '', qr/\(pid $victim\) died from signal KILL/,
    'message names the pid and the signal');
like($event->{event_id} // '', qr/^[0-9a-f]{32}\z/, 'event id is 32 hex');
is($event->{platform}, 'c', 'platform is c');
is($event->{environment}, 'test', 'environment comes from sscn.conf');
like(($requests[0] // {})->{headers}{'x-sentry-auth'} // '',
    qr/sentry_key=\Q$SSCN::Sentry::PUBLIC_KEY\E/, 'report is authenticated');

# The sender child logs the send after Sentry's response, which can come
# after the mock stored the request.
my $log;
wait_for(sub {
	$log = read_from($SSCND_LOG, $offset);
	return $log =~ /event=sentry_event_sent/;
}, 5);
my $respawned = index($log, 'event=worker_respawned');
my $sent = index($log, 'event=sentry_event_sent');
ok($sent > $respawned && $respawned >= 0, 'report is sent after the respawn');
is(master_pid(), $master, 'master still runs');
is(request('GET', '/api/health/live')->{status}, 200, 'service answers');

# The sender child is reaped: no zombie and no unknown-child line.
sleep 1;
sub is_zombie ($pid) {
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	return (<$fh> // '') =~ /\) Z /;
}
my @zombies = grep { is_zombie($_) } child_pids($master);
is(scalar @zombies, 0, 'report sender leaves no zombie');
unlike(read_from($SSCND_LOG, $offset), qr/reason=unknown_child/,
    'report sender is not an unknown child');

# ---- the same signal again within a minute -------------------------------------

my ($second) = grep { process_alive($_) } child_pids($master);
$offset = file_size($SSCND_LOG);
ok(kill('KILL', $second), "second worker $second killed");
ok(wait_for(sub { read_from($SSCND_LOG, $offset) =~ /event=worker_respawned/ },
    10), 'master respawns the second worker');
sleep 3;
is(scalar($mock->requests), 1, 'second death from KILL is rate-limited');

# ---- a reload retires workers without reports -----------------------------------

ok(sscnd_reload(), 'reload replaces every worker');
sleep 2;
is(scalar($mock->requests), 1, 'retired workers are not reported');

done_testing;
