#!/usr/bin/perl
# GET /metrics: nginx serves it to its allow-list only (127.0.0.1 and ::1
# in the dev configuration, so a client on 127.0.0.2 gets 403), sscnd
# refuses it without nginx's mark, and the output passes
# "promtool check metrics".  Requests raise the counter of their route
# template and status and the latency histogram, unmatched paths share
# one label, and failed logins, lockouts, 429 responses and MFA failures
# are counted.  The gauges read from PostgreSQL match the database.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

my $PORT = $URL =~ /:(\d+)$/ ? $1 : 8443;
my $LIVE = 'sscn_http_requests_total{method="GET",route="/api/health/live",'
    . 'status="200"}';
my $LIVE_COUNT = 'sscn_http_request_duration_seconds_count{method="GET",'
    . 'route="/api/health/live"}';

# ---- access ---------------------------------------------------------------------

my ($res, $series) = metrics_scrape();
is($res->{status}, 200, 'allowed client: status 200')
    or diag($res->{error} // substr($res->{body} // '', 0, 300));
is(header($res, 'Content-Type'), 'text/plain; version=0.0.4; charset=utf-8',
    'allowed client: Prometheus text format');
is(header($res, 'Cache-Control'), 'no-store', 'allowed client: no-store');
like($res->{body} // '', qr/^# TYPE sscn_http_requests_total counter$/m,
    'allowed client: request counter present');

SKIP: {
	my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;
	skip 'promtool not installed (Debian package prometheus)', 2
	    unless $promtool;
	my $file = "$DEV/metrics-600.$$.txt";
	open(my $fh, '>', $file) or die "$file: $!";
	print $fh $res->{body} // '';
	close $fh;
	my ($status, $out) = run_cmd(['sh', '-c',
	    "exec $promtool check metrics < '$file'"]);
	unlink $file;
	is($status, 0, 'promtool check metrics: exit 0') or diag($out);
	is($out, '', 'promtool check metrics: no lint problem') or diag($out);
}

($res) = metrics_scrape(local_addr => '127.0.0.2');
is_error_response($res, 403, 'forbidden', 'client 127.0.0.2');
is(header($res, 'Cache-Control'), 'no-store', 'client 127.0.0.2: no-store');
unlike($res->{body} // '', qr/sscn_/, 'client 127.0.0.2: no metric shown');

SKIP: {
	my $ipv6 = request('GET', '/metrics', base => "https://[::1]:$PORT");
	skip 'nginx does not listen on ::1', 1 if $ipv6->{error};
	is($ipv6->{status}, 200, 'client ::1: status 200');
}

# Straight to sscnd, as a site whose nginx passed /metrics through another
# location would: sscnd refuses it without SSCN_METRICS=1.
$res = fcgi_request(params => [fcgi_params('GET', '/metrics')]);
is_error_response($res, 403, 'forbidden', 'FastCGI without SSCN_METRICS');
$res = fcgi_request(params => [fcgi_params('GET', '/metrics',
    SSCN_METRICS => '0')]);
is($res->{status}, 403, 'FastCGI with SSCN_METRICS=0: status 403');
$res = fcgi_request(params => [fcgi_params('GET', '/metrics',
    SSCN_METRICS => '1')]);
is($res->{status}, 200, 'FastCGI with SSCN_METRICS=1: status 200');

# ---- request counters -----------------------------------------------------------

my (undef, $before) = metrics_scrape();
for (1 .. 5) {
	request('GET', '/api/health/live');
}
my (undef, $after) = metrics_scrape();
cmp_ok(($after->{$LIVE} // 0) - ($before->{$LIVE} // 0), '>=', 5,
    'GET /api/health/live 200: counter rose by 5');
cmp_ok(($after->{$LIVE_COUNT} // 0) - ($before->{$LIVE_COUNT} // 0), '>=', 5,
    'GET /api/health/live: histogram count rose by 5');
is($after->{'sscn_http_request_duration_seconds_bucket{method="GET",'
    . 'route="/api/health/live",le="+Inf"}'}, $after->{$LIVE_COUNT},
    'histogram: the +Inf bucket equals the count');
like($after->{'sscn_http_request_duration_seconds_sum{method="GET",'
    . 'route="/api/health/live"}'} // '', qr/^\d+\.\d{6}$/,
    'histogram: sum in seconds');

# An unmatched path and a template parameter: neither raw path may appear.
my $unmatched = 'sscn_http_requests_total{route="unmatched",status="404"}';
my $legal = 'sscn_http_requests_total{method="GET",'
    . 'route="/api/v1/legal/{document}",status="404"}';
my $marker = 'metrics' . random_id();
$before = $after;
$res = request('GET', "/api/v1/no-such-$marker");
is($res->{status}, 404, 'unmatched path: status 404');
$res = request('GET', "/api/v1/legal/$marker");
is($res->{status}, 404, 'unknown legal document: status 404');
($res, $after) = metrics_scrape();
cmp_ok(($after->{$unmatched} // 0) - ($before->{$unmatched} // 0), '>=', 1,
    'unmatched path: counted under route="unmatched"');
cmp_ok(($after->{$legal} // 0) - ($before->{$legal} // 0), '>=', 1,
    'template parameter: counted under its route template');
unlike($res->{body}, qr/\Q$marker\E/, 'no raw path in the output');

# ---- logins, lockouts, rate limits and MFA ----------------------------------------

my $UNKNOWN = 'sscn_auth_login_failures_total{reason="unknown_email"}';
my $WRONG = 'sscn_auth_login_failures_total{reason="wrong_password"}';
my $LOCKOUTS = 'sscn_auth_lockouts_total';
my $LIMITED = 'sscn_http_rate_limited_requests_total';
my $LOGIN_429 = 'sscn_http_requests_total{method="POST",'
    . 'route="/api/v1/auth/login",status="429"}';
my $CONFIRM = 'sscn_auth_mfa_failures_total{reason="confirm_invalid"}';

$before = (metrics_scrape())[1];
$res = login_user({}, email => unique_email('nobody'),
    password => strong_password(), addr => client_addr());
is($res->{status}, 401, 'login with an unknown address: status 401');
$after = (metrics_scrape())[1];
cmp_ok($after->{$UNKNOWN} - $before->{$UNKNOWN}, '>=', 1,
    'unknown e-mail: login failure counted');

my $user = verified_user();
ok($user, 'user for the lockout') or BAIL_OUT('cannot create a user');
my $addr = client_addr();
$before = $after;
for (1 .. 5) {
	login_user($user, password => strong_password(), addr => $addr);
}
$after = (metrics_scrape())[1];
cmp_ok($after->{$WRONG} - $before->{$WRONG}, '>=', 5,
    'wrong password: 5 login failures counted');
cmp_ok($after->{$LOCKOUTS} - $before->{$LOCKOUTS}, '>=', 1,
    'fifth failure: lockout counted');

# address_failure_limit (100) failures from one address, then a 429.
my $limit = conf_read()->{address_failure_limit} // 100;
my $limited_addr = client_addr();
$before = $after;
my $status = 0;
for (1 .. $limit + 1) {
	$status = login_user({}, email => unique_email('guess'),
	    password => strong_password(), addr => $limited_addr)->{status} // 0;
	last if $status == 429;
}
is($status, 429, "address over $limit failures: status 429");
$after = (metrics_scrape())[1];
cmp_ok($after->{$LIMITED} - $before->{$LIMITED}, '>=', 1,
    '429: rate-limited counter rose');
cmp_ok(($after->{$LOGIN_429} // 0) - ($before->{$LOGIN_429} // 0), '>=', 1,
    '429: counted under the login route and status 429');

my $mfa_user = verified_user();
my $login = $mfa_user ? login_user($mfa_user) : {};
SKIP: {
	skip 'no session for the MFA user', 2 unless $login->{token};
	$res = api('POST', '/api/v1/auth/mfa/totp/setup',
	    token => $login->{token});
	my $secret = ref $res->{json} eq 'HASH' ? $res->{json}{secret} : undef;
	ok(defined $secret, 'MFA set-up started') or diag($res->{body});
	my $code = sprintf('%06d', ((totp_code($secret // '') // 0) + 500000)
	    % 1000000);
	$before = $after;
	$res = api('POST', '/api/v1/auth/mfa/totp/confirm',
	    token => $login->{token}, json => { code => $code });
	$after = (metrics_scrape())[1];
	cmp_ok($after->{$CONFIRM} - $before->{$CONFIRM}, '>=', 1,
	    'wrong set-up code: MFA failure counted')
	    or diag("confirm answered $res->{status}: $res->{body}");
}

# ---- gauges from PostgreSQL ----------------------------------------------------------

my $BACKLOG = 'sscn_mail_outbox_backlog_messages';
my $BACKUP = 'sscn_backup_last_success_timestamp_seconds';
my $RESTORE = 'sscn_restore_test_last_success_timestamp_seconds';

$after = (metrics_scrape())[1];
is($after->{sscn_health_ready}, 1, 'health ready gauge: 1');
is($after->{$BACKLOG}, psql_value("SELECT count(*) FROM sscn.mail_outbox "
    . "WHERE state IN ('queued', 'sending')"),
    'outbox backlog: the queued and sending rows');
my $newest_backup = psql_value("SELECT coalesce(extract(epoch FROM "
    . "max(occurred_at)), 0) FROM sscn.audit_log WHERE action = "
    . "'backup.create' AND result = 'success'");
cmp_ok(abs(($after->{$BACKUP} // -1) - $newest_backup), '<', 0.001,
    'newest backup: the time of the newest backup.create audit row');
my $newest_test = psql_value("SELECT coalesce(extract(epoch FROM "
    . "max(started_at)), 0) FROM sscn.restore_tests WHERE result = "
    . "'success'");
cmp_ok(abs(($after->{$RESTORE} // -1) - $newest_test), '<', 0.001,
    'newest restore test: the time of the newest passed test');

# The mail sender is paused during tests, so a new account's mail waits.
$before = $after;
my ($unverified) = register_user();
$after = (metrics_scrape())[1];
cmp_ok($after->{$BACKLOG} - $before->{$BACKLOG}, '>=', 1,
    'registration: its mail raises the outbox backlog');
cmp_ok($after->{sscn_mail_outbox_oldest_backlog_seconds}, '>', 0,
    'outbox backlog: the oldest message has an age');

done_testing();
