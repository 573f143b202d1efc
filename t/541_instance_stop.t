#!/usr/bin/perl
# Stopping one of two instances under load fails no request.  An nginx
# upstream lists the dev stack's sscnd (instance A) and a second sscnd
# (instance B), and two wrk runs keep it busy: GET /api/v1/me, and POST
# /api/v1/rfqs, which creates a draft RFQ with a unique title each time.
# B gets more of these connections than it has workers, so its listen
# queue is rarely empty.  SIGTERM goes to B's master in the middle of the
# load.
#
# What must hold: every answer is 2xx, with no socket error; B removes
# its socket's path first, so that nginx's next connect to B fails and it
# takes A instead; B's workers serve what was already queued and stop;
# B exits with status 0 well within shutdown_timeout; and no RFQ exists
# twice, because nginx sends a POST only once after it reached an
# instance (fastcgi_next_upstream without non_idempotent).

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP ();
use SSCN::Test;
use SSCN::Instances;
use SSCN::Rfqs;
use SSCN::Sourcing;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my ($wrk_status) = run_cmd(['wrk', '--version'], timeout => 10);
plan skip_all => 'wrk not installed (Debian package wrk)' if $wrk_status == 127;

# wrk runs LOAD_SECONDS; SIGTERM goes to B STOP_AFTER seconds in.  B's
# shutdown_timeout is the default, 30 s.
my $LOAD_SECONDS = 8;
my $STOP_AFTER = 3;
my $SHUTDOWN_TIMEOUT = 30;
# Connections per wrk run.  nginx spreads them over both instances, which
# keeps more connections on B than its 2 workers serve at once, so B's
# queue is not empty when SIGTERM arrives.
my $CONNECTIONS = 16;

my $buyer = org_user('buyer');
my $b_instance = start_instance('b', workers => 2);
my $pool = start_pool_nginx($FCGI_SOCKET, $b_instance->{socket});

# ---- the POST script: one unique title per request ----------------------------------

my $run = substr(random_id(), 0, 12);
my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->canonical->encode(rfq_body(title => '@TITLE@'));
my ($before, $after) = split /\@TITLE\@/, $json, 2;
my $script = "$tmp/post_rfq.lua";
open(my $fh, '>', $script) or die "write $script: $!";
print $fh <<"LUA";
-- POST /api/v1/rfqs with the title "stop RUN THREAD-N", N counting up.
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("thread_number", threads)
end
local counter = 0
request = function()
	counter = counter + 1
	local title = "stop $run " .. thread_number .. "-" .. counter
	return wrk.format("POST", "/api/v1/rfqs", {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer $buyer->{token}",
	}, [==[$before]==] .. title .. [==[$after]==])
end
LUA
close $fh;

# ---- load, and SIGTERM to B in the middle --------------------------------------------

sub start_wrk (@args) {
	open(my $wrk, '-|', 'timeout', '--kill-after=5', $LOAD_SECONDS + 30,
	    'wrk', '-t1', "-c$CONNECTIONS", "-d${LOAD_SECONDS}s", '--timeout',
	    '10s', @args) or die "cannot start wrk: $!";
	return $wrk;
}

my $b_log_offset = file_size($b_instance->{log});
my $access_offset = file_size($pool->{access_log});
my $get_wrk = start_wrk('-H', "Authorization: Bearer $buyer->{token}",
    "$pool->{url}/api/v1/me");
my $post_wrk = start_wrk('-s', $script, "$pool->{url}/api/v1/rfqs");

sleep $STOP_AFTER;
my $b_requests_before = () = read_from($b_instance->{log}, $b_log_offset)
    =~ /event=request /g;
my ($b_status, $b_took) = stop_instance($b_instance, $SHUTDOWN_TIMEOUT + 15);

my %report;
for my $load (['GET', $get_wrk], ['POST', $post_wrk]) {
	my ($name, $wrk) = @$load;
	$report{$name} = do { local $/; <$wrk> } // '';
	close $wrk;
	is($? >> 8, 0, "$name wrk: exit status 0") or diag($report{$name});
	note("$name: $report{$name}");
}

# ---- no failed request --------------------------------------------------------------

my %requests;
for my $name (qw(GET POST)) {
	my $report = $report{$name};
	($requests{$name}) = $report =~ /(\d+) requests in /;
	my ($non_2xx) = $report =~ /Non-2xx or 3xx responses: (\d+)/;
	my ($connect, $read, $write, $timeout) = $report
	    =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/;
	ok(($requests{$name} // 0) > 0, "$name under load: wrk made requests")
	    or diag($report);
	is($non_2xx // 0, 0, "$name under load: zero non-2xx answers")
	    or diag($report);
	is(($connect // 0) + ($read // 0) + ($write // 0) + ($timeout // 0), 0,
	    "$name under load: zero socket errors") or diag($report);
}

# wrk closes the connections still waiting when its time is up, which
# nginx logs as 499: at most one per connection.  Every other status must
# be 2xx.
my @access = split /\n/, read_from($pool->{access_log}, $access_offset);
my @closed = grep { /" 499 request_id=/ } @access;
my @failed = grep { !/" (?:2\d\d|499) request_id=/ } @access;
is(scalar @failed, 0, 'nginx access log: every status 2xx')
    or diag(join "\n", @failed[0 .. ($#failed < 9 ? $#failed : 9)]);
cmp_ok(scalar @closed, '<=', 2 * $CONNECTIONS,
    'nginx access log: 499 only for requests open when wrk ended');

# ---- what B did -------------------------------------------------------------------------

my $b_text = read_from($b_instance->{log}, $b_log_offset);
cmp_ok($b_requests_before, '>', 0, 'instance B served requests before SIGTERM');
is($b_status, 0, 'instance B: exit status 0');
ok(defined $b_took && $b_took < $SHUTDOWN_TIMEOUT,
    sprintf('instance B stopped within shutdown_timeout (%.2f s)', $b_took // -1));
ok(!-e $b_instance->{socket}, 'instance B: socket file removed');

my ($after_stop) = $b_text =~ /event=stopping .*?\n(.*)/s;
ok(defined $after_stop, 'instance B logged event=stopping')
    or diag(substr($b_text, -2000));
$after_stop //= '';
like($after_stop, qr/event=socket_removed path=\S*sscnd-b\.sock/,
    'instance B removed its socket path when the stop began');
my @stopped = $after_stop =~ /event=worker_stopped .*reason=(\w+)/g;
is(scalar @stopped, 2, 'instance B: both workers logged worker_stopped');
is(scalar(grep { $_ eq 'drained' } @stopped), 2,
    'instance B: both workers stopped with an empty listen queue')
    or diag("reasons: @stopped");
my $drained = () = $after_stop =~ /event=request /g;
diag("instance B served $drained queued requests after SIGTERM");

# nginx found B's path gone and passed those requests to A: their
# $upstream_addr lists B's socket, then A's.
my $b_socket = $b_instance->{socket};
my @moved = grep { /upstream=unix:\Q$b_socket\E, unix:\Q$FCGI_SOCKET\E/ }
    @access;
cmp_ok(scalar @moved, '>', 0,
    'nginx passed requests on to A when connecting to B failed');

# ---- every POST created one RFQ ------------------------------------------------------

my $rows = psql_json('SELECT title, count(*) AS n FROM sscn.rfqs '
    . "WHERE buyer_org_id = '$buyer->{org_id}' AND title LIKE 'stop $run %' "
    . 'GROUP BY title');
my @twice = grep { $_->{n} > 1 } @{ $rows // [] };
is(scalar @twice, 0, 'no RFQ title was created twice')
    or diag(explain(\@twice));
cmp_ok(scalar @{ $rows // [] }, '>=', $requests{POST} // 0,
    'an RFQ for every POST that wrk counted');

stop_pool_nginx();
done_testing();
