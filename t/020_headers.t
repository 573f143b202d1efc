#!/usr/bin/perl
# Response headers set by nginx and sscnd: the security headers on a 200, a
# 404 and a 413 (the 413 comes from nginx itself), Cache-Control on /api/,
# X-Request-ID and API-Version, TLS versions and the HTTP to HTTPS redirect.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use IO::Socket::SSL ();
use Test::More;

require_stack();

# 1 MiB is the contract's limit for JSON bodies.
my $OVERSIZE = 1048576 + 1;

my %cases = (
	'200 live' => request('GET', '/api/health/live'),
	'200 echo' => request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => 'application/json'],
	    body => '{"a":1}'),
	'404 v1' => request('GET', '/api/v1/no-such-route'),
	'404 api' => request('GET', '/api/no-such-route'),
	'413 nginx' => request('POST', '/api/v1/echo',
	    headers => ['Content-Type' => 'application/json'],
	    body => '{"a":"' . ('x' x ($OVERSIZE - 8)) . '"}'),
	'405 live' => request('POST', '/api/health/live',
	    headers => ['Content-Type' => 'application/json'], body => '{}'),
);
my %expected_status = ('200 live' => 200, '200 echo' => 200,
    '404 v1' => 404, '404 api' => 404, '413 nginx' => 413, '405 live' => 405);

for my $case (sort keys %cases) {
	my $res = $cases{$case};
	if ($res->{error} && !$res->{status}) {
		fail("$case: response received");
		diag("error: $res->{error}");
		next;
	}
	is($res->{status}, $expected_status{$case}, "$case: status");

	my $hsts = header($res, 'Strict-Transport-Security') // '';
	my ($max_age) = $hsts =~ /max-age=(\d+)/i;
	ok(defined $max_age && $max_age >= 31536000,
	    "$case: HSTS max-age at least one year") or diag("HSTS: '$hsts'");
	like($hsts, qr/includeSubDomains/i, "$case: HSTS includeSubDomains");

	my $csp = header($res, 'Content-Security-Policy') // '';
	like($csp, qr/(^|;)\s*default-src\s+'self'\s*(;|$)/,
	    "$case: CSP default-src 'self'");
	like($csp, qr/frame-ancestors\s+'none'/, "$case: CSP frame-ancestors 'none'");
	unlike($csp, qr/unsafe-inline/, "$case: CSP without unsafe-inline");

	is(header($res, 'X-Frame-Options'), 'DENY', "$case: X-Frame-Options DENY");
	is(header($res, 'X-Content-Type-Options'), 'nosniff',
	    "$case: X-Content-Type-Options nosniff");
	my $referrer = header($res, 'Referrer-Policy') // '';
	like($referrer, qr/^(no-referrer|same-origin|origin|origin-when-cross-origin|strict-origin|strict-origin-when-cross-origin)$/,
	    "$case: Referrer-Policy without full URLs cross-origin");
	ok(length(header($res, 'Permissions-Policy') // ''),
	    "$case: Permissions-Policy present");
	like(header($res, 'Cache-Control') // '', qr/\bno-store\b/,
	    "$case: Cache-Control no-store on /api/");

	is(header_count($res, 'X-Request-ID'), 1, "$case: one X-Request-ID");
	like(header($res, 'X-Request-ID') // '', qr/^[0-9a-f]{32}$/,
	    "$case: X-Request-ID is nginx's request id");
}

# ---- API-Version ------------------------------------------------------------

for my $case ('200 echo', '404 v1', '413 nginx') {
	is(header($cases{$case}, 'API-Version'), '1',
	    "$case: API-Version 1 under /api/v1");
	is(header_count($cases{$case}, 'API-Version'), 1,
	    "$case: one API-Version header");
}
for my $case ('200 live', '404 api', '405 live') {
	ok(!defined header($cases{$case}, 'API-Version'),
	    "$case: no API-Version outside /api/v1");
}

{
	my $res = request('GET', '/api/v2/health');
	is($res->{status}, 404, 'v2 path: status 404');
	ok(!defined header($res, 'API-Version'), 'v2 path: no API-Version');
}

# ---- TLS versions -----------------------------------------------------------

for my $version (qw(TLSv1_2 TLSv1_3)) {
	my $res = request('GET', '/api/health/live', tls_version => $version);
	is($res->{status}, 200, "TLS $version: accepted")
	    or diag($res->{error} // '');
}

# ---- a request line nginx cannot parse ----------------------------------------

{
	my ($port) = $URL =~ m{:(\d+)$};
	my $sock = IO::Socket::SSL->new(PeerHost => '127.0.0.1',
	    PeerPort => $port, SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE(),
	    Timeout => 10);
	ok($sock, 'raw request: connected') or diag($IO::Socket::SSL::SSL_ERROR);
	my $answer = '';
	if ($sock) {
		print $sock "GET /api/v1/suppliers?sort=name;DROP TABLE HTTP/1.1\r\n"
		    . "Host: localhost\r\nConnection: close\r\n\r\n";
		local $/;
		$answer = <$sock> // '';
	}
	like($answer, qr{^HTTP/1\.1 400 }, 'raw request: a space in the target '
	    . 'is 400');
	like($answer, qr{\r\nContent-Type: application/json}i,
	    'raw request: answered in JSON');
	like($answer, qr{"code":"validation_failed"},
	    'raw request: code validation_failed');
}

is(request('GET', '/.sscn-error/400')->{status}, 404,
    'error page: not reachable from outside');

# ---- HTTP on 8080 redirects to HTTPS ----------------------------------------

{
	my ($host) = $URL =~ m{^https://([^/:]+|\[[^\]]+\])};
	my $res = request('GET', '/api/health/live?probe=1',
	    base => "http://$host:$SSCN::Test::HTTP_PORT");
	ok(!$res->{error}, 'http 8080: response received')
	    or diag($res->{error});
	like($res->{status} // '', qr/^30[178]$/, 'http 8080: redirect status');
	is(header($res, 'Location'), "$URL/api/health/live?probe=1",
	    'http 8080: Location is the HTTPS URL with path and query');
}

done_testing();
