#!/usr/bin/perl
# Logging: one access log line per request with method, route template,
# status, duration_us and request_id; and secrets sent by a client
# (Authorization, Cookie, a password in the body) never reach any file in
# $SSCN_DEV/log.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();

ok(-f $SSCND_LOG, "sscnd log exists at $SSCND_LOG");

# ---- access log ---------------------------------------------------------------

my @cases = (
	['GET live', 'GET', '/api/health/live', undef, 200, '/api/health/live'],
	['GET ready', 'GET', '/api/health/ready', undef, 200, '/api/health/ready'],
	['POST echo', 'POST', '/api/v1/echo', '{"a":1}', 200, '/api/v1/echo'],
	['POST echo invalid', 'POST', '/api/v1/echo', '{"a":', 400, '/api/v1/echo'],
	['GET unknown', 'GET', '/api/v1/no-such-route', undef, 404, undef],
	['POST live', 'POST', '/api/health/live', '{}', 405, undef],
);

for my $case (@cases) {
	my ($name, $method, $path, $body, $status, $route) = @$case;
	my $offset = file_size($SSCND_LOG);
	my $res = request($method, $path, body => $body,
	    headers => [defined $body ? ('Content-Type' => 'application/json') : ()]);
	is($res->{status}, $status, "$name: status $status");
	my $rid = header($res, 'X-Request-ID') // 'missing';

	# Let other lines about this request arrive before counting.
	my @lines = log_lines_with($offset, $rid);
	sleep 0.3;
	@lines = log_lines_with($offset, $rid);
	my @access = grep { /\bstatus=/ && /\bmethod=/ } @lines;
	is(scalar @access, 1, "$name: one access log line")
	    or diag(join("\n", "lines with request_id=$rid:", @lines));
	my $f = parse_log_line($access[0] // '');

	is($f->{method}, $method, "$name: access line method");
	is($f->{status}, $status, "$name: access line status");
	is($f->{request_id}, $rid, "$name: access line request_id");
	like($f->{duration_us} // '', qr/^\d+$/,
	    "$name: access line duration_us in microseconds");
	ok(exists $f->{route}, "$name: access line has route");
	if (defined $route) {
		is($f->{route}, $route, "$name: access line route template");
	} else {
		isnt($f->{route}, $path, "$name: access line route is no raw path");
	}
}

# ---- secrets stay out of the logs ---------------------------------------------

my $marker = 'sscnsecret' . random_id();
my @secret_requests = (
	['POST', '/api/v1/echo', qq({"email":"a\@example.com","password":"$marker-pw"})],
	['POST', '/api/v1/echo', qq({"password":"$marker-bad",)],
	['POST', '/api/v1/echo', qq({"password":"$marker-dup","password":"x"})],
	['GET', '/api/health/', undef],
	['GET', '/api/v1/no-such-route', undef],
	['POST', '/api/health/live', qq({"password":"$marker-405"})],
);
for my $req (@secret_requests) {
	my ($method, $path, $body) = @$req;
	my $res = request($method, $path, body => $body,
	    headers => [
	    'Authorization' => "Bearer $marker-bearer",
	    'Cookie' => "x=$marker-cookie; __Host-sscn_session=$marker-session",
	    'X-CSRF-Token' => "$marker-csrf",
	    defined $body ? ('Content-Type' => 'application/json') : (),
	]);
	ok(defined $res->{status}, "secret request $method $path: answered");
}

# Give the loggers a moment, then read every log file.
sleep 1;
opendir(my $dh, "$DEV/log") or die "cannot open $DEV/log: $!";
my @files = grep { -f } map { "$DEV/log/$_" } sort readdir $dh;
ok(@files, 'log files found') or diag("none in $DEV/log");
for my $file (@files) {
	my @hits = grep { /\Q$marker\E/ } split /\n/, read_from($file, 0);
	is(scalar @hits, 0, "secrets: no marker in $file")
	    or diag(join "\n", @hits[0 .. ($#hits < 4 ? $#hits : 4)]);
}

done_testing();
