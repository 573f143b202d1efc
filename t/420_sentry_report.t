#!/usr/bin/perl
# Error reports to a mock Sentry on 127.0.0.1: a forced 500 sends exactly
# one envelope with the required headers and fields and none of the
# secrets that the request carried; a 503 is reported too; the route that
# fails on purpose exists only with enable_test_routes; sscnd -n rejects
# malformed sentry_dsn values without printing them.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Test;
use SSCN::Sentry;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();
my $mock = SSCN::Sentry->start;
ok(conf_override($mock->conf_keys), 'sscnd reloads with the mock DSN')
    or BAIL_OUT('cannot configure the mock Sentry');

my $version = do {
	my ($status, $out) = run_cmd(["$BUILD/sscnd", '-V']);
	($out =~ /(\d+\.\d+[\w.~-]*)/)[0];
};

# ---- a forced 500 with secrets in body, cookie, Authorization and query ------

my $password = 'Pw-' . random_id();
my $cookie = 'cookie' . random_id();
my $bearer = 'bearer' . random_id();
my $email = 'alice.' . random_id() . '@example.test';
my $path_secret = 'a';
my $res = request('POST', '/api/v1/test/fail/a?email=' . $email
    . '&street=Main+Street+1', headers => [
    'Content-Type' => 'application/json',
    'Cookie' => "sscn_session=$cookie",
    'Authorization' => "Bearer $bearer"],
    body => qq({"password":"$password","email":"$email"}));
is($res->{status}, 500, 'forced failure answers 500');
my $request_id = header($res, 'X-Request-ID');

my @requests = $mock->wait_requests(1);
sleep 2;	# a second envelope would arrive within this time
@requests = $mock->requests;
is(scalar @requests, 1, 'one envelope for one failed request');
my $got = $requests[0] // { headers => {}, body => '', raw => '' };

is($got->{request_line},
    "POST /api/$SSCN::Sentry::PROJECT_ID/envelope/ HTTP/1.1",
    'envelope goes to /api/{project}/envelope/');
is($got->{headers}{'content-type'}, 'application/x-sentry-envelope',
    'content type is application/x-sentry-envelope');
my $auth = $got->{headers}{'x-sentry-auth'} // '';
like($auth, qr/^Sentry /, 'X-Sentry-Auth uses the Sentry scheme');
like($auth, qr/\bsentry_version=7\b/, 'X-Sentry-Auth has sentry_version 7');
like($auth, qr/\bsentry_key=\Q$SSCN::Sentry::PUBLIC_KEY\E\b/,
    'X-Sentry-Auth has the public key');
like($auth, qr/\bsentry_client=sscn\//, 'X-Sentry-Auth names the client');

my ($envelope, $item, $payload, $event) =
    SSCN::Sentry::parse_envelope($got->{body});
ok($envelope, 'envelope header is JSON');
is($item->{type}, 'event', 'item is an event');
is($item->{length}, length($payload // ''), 'item length is the payload size');
ok($event, 'event payload is JSON');
$event //= {};
is($envelope->{event_id}, $event->{event_id}, 'envelope and event ids match');
like($event->{event_id} // '', qr/^[0-9a-f]{32}\z/, 'event id is 32 hex');
like($envelope->{sent_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\z/,
    'sent_at is RFC 3339 UTC');
like($event->{timestamp} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\z/,
    'timestamp is RFC 3339 UTC');
is($event->{platform}, 'c', 'platform is c');
is($event->{level}, 'error', 'level is error');
is($event->{release}, $version, 'release is the package version');
is($event->{environment}, 'test', 'environment comes from sscn.conf');
ok(length($event->{server_name} // ''), 'server name is set');
is($event->{tags}{route}, '/api/v1/test/fail/{kind}', 'route tag is the template');
is($event->{tags}{request_id}, $request_id, 'request_id tag matches the response');
is($event->{tags}{status}, '500', 'status tag is 500');
like($event->{message}{formatted} // '', qr/test_failure_a/,
    'message names the logged error');

for my $secret ([$password, 'password from the body'],
    [$cookie, 'cookie value'], [$bearer, 'Authorization token'],
    [$email, 'e-mail from the query'], ['example.test', 'e-mail domain'],
    ['Main', 'address from the query'], ['street', 'query parameter name'],
    ['sscn_session', 'cookie name']) {
	unlike($got->{raw}, qr/\Q$secret->[0]\E/, "envelope lacks the $secret->[1]");
}

# ---- a 503 without a logged error -------------------------------------------

$res = request('POST', '/api/v1/test/fail/unavailable', body => '');
is($res->{status}, 503, 'unavailable kind answers 503');
@requests = $mock->wait_requests(2);
is(scalar @requests, 2, '503 answer sends an envelope');
my (undef, undef, undef, $event503) =
    SSCN::Sentry::parse_envelope(($requests[1] // {})->{body} // '');
is($event503->{tags}{status}, '503', '503 event has status 503');
is($event503->{tags}{log_event}, '-', '503 event names no log event');

# ---- a 4xx sends nothing ------------------------------------------------------

$res = request('POST', '/api/v1/test/fail/nosuchkind', body => '');
is($res->{status}, 404, 'unknown kind answers 404');
sleep 2;
is(scalar($mock->requests), 2, '404 answer sends no envelope');

# ---- the failing route needs enable_test_routes -------------------------------

ok(conf_override(enable_test_routes => 'no'), 'test routes switched off');
$res = request('POST', '/api/v1/test/fail/b', body => '');
is($res->{status}, 404, 'failing route is absent without test routes');
sleep 2;
is(scalar($mock->requests), 2, 'absent route sends no envelope');
ok(conf_restore(), 'configuration restored');

# ---- sscnd -n rejects malformed DSNs without printing them ------------------

my $dir = tempdir('sscn-t420-XXXXXX', TMPDIR => 1, CLEANUP => 1);
open(my $fh, '<', "$DEV/sscn.conf") or die "read $DEV/sscn.conf: $!";
my @base = grep { !/^\s*sentry_/ } <$fh>;
close $fh;

sub check_line ($line) {
	my $path = "$dir/sscn.conf";
	open(my $out, '>', $path) or die "write $path: $!";
	chmod 0600, $path;
	print $out @base, "$line\n";
	close $out;
	return run_cmd(["$BUILD/sscnd", '-n', '-c', $path], timeout => 30);
}

my ($status, $out) = check_line('sentry_dsn = ""');
is($status, 0, 'empty sentry_dsn is accepted') or diag($out);
($status, $out) = check_line(
    'sentry_dsn = https://abc123:def456@sentry.example.test:9000/sub/path/17');
is($status, 0, 'DSN with secret key, port and path is accepted') or diag($out);

for my $bad (
    ['http://key1secret@sentry.example.test/1', 'plain http'],
    ['https://sentry.example.test/1', 'no key'],
    ['https://key1secret@sentry.example.test/', 'no project id'],
    ['https://key1secret@sentry.example.test/1?x=key1secret', 'a query'],
    ['https://key1secret@sentry.example.test/1#frag', 'a fragment'],
    ['https://key1secret@sentry.example.test:0/1', 'port 0'],
    ['https://key1secret@sentry.example.test:70000/1', 'port 70000'],
    ['https://key-1secret@sentry.example.test/1', 'a dash in the key'],
    ['https://key1secret@sentry.example.test/a/../1', 'a ".." segment'],
    ['https://key1secret@sentry%2eexample.test/1', 'percent-encoding'],
    ['https://key1secret@/1', 'no host'],
    ['https://key1secret@sentry.example.test/abc', 'a non-numeric project']) {
	($status, $out) = check_line(qq(sentry_dsn = "$bad->[0]"));
	isnt($status, 0, "DSN with $bad->[1] is rejected");
	like($out, qr/sentry_dsn/, "rejection of $bad->[1] names the key");
	unlike($out, qr/key1secret/, "rejection of $bad->[1] hides the key");
}
($status, $out) = check_line('sentry_environment = "pro duction"');
isnt($status, 0, 'environment with a space is rejected');
($status, $out) = check_line('sentry_release = "a/b"');
isnt($status, 0, 'release with a slash is rejected');

done_testing;
