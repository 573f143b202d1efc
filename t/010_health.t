#!/usr/bin/perl
# Health endpoints: /api/health/live, /api/health/ready and /api/health/,
# their JSON bodies, and which FastCGI parameters decide the detailed form.
# Through nginx the tests run from loopback, which nginx's allow-list lets
# see the details; the bare form is checked by talking FastCGI to sscnd
# without SSCN_HEALTH_DETAIL.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use Test::More;

require_stack();

sub is_number ($v) {
	return defined $v && !ref $v && $v =~ /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
}

sub is_integer ($v) {
	return defined $v && !ref $v && $v =~ /^\d+$/;
}

# ---- /api/health/live -----------------------------------------------------

{
	my $res = request('GET', '/api/health/live');
	my $body = is_json_ok($res, 200, 'live');
	is_deeply($body, { status => 'ok' }, 'live: body is {"status":"ok"}');
	like(header($res, 'X-Request-ID') // '', qr/^[0-9a-f]{32}$/,
	    'live: X-Request-ID from nginx');
	ok(!defined header($res, 'API-Version'),
	    'live: no API-Version outside /api/v1');
}

# ---- /api/health/ready ----------------------------------------------------

{
	my $res = request('GET', '/api/health/ready');
	my $body = is_json_ok($res, 200, 'ready');
	is(ref $body eq 'HASH' ? $body->{status} : undef, 'ok',
	    'ready: status ok');
}

# ---- /api/health/ with details (loopback through nginx) --------------------

my $conf = conf_read() // {};
{
	my $res = request('GET', '/api/health/');
	my $body = is_json_ok($res, 200, 'health detail');
	$body = {} unless ref $body eq 'HASH';
	my $checks = ref $body->{checks} eq 'HASH' ? $body->{checks} : {};

	is($body->{status}, 'ok', 'health detail: status ok');
	ok(defined $body->{version} && !ref $body->{version}
	    && length $body->{version}, 'health detail: version string');

	my $db = $checks->{database} // {};
	is($db->{status}, 'ok', 'health detail: database status ok');
	ok(is_number($db->{latency_ms}) && $db->{latency_ms} >= 0,
	    'health detail: database latency_ms is a number')
	    or diag(explain($db));

	my $cpu = $checks->{cpu} // {};
	for my $key (qw(load1 load5 load15)) {
		ok(is_number($cpu->{$key}) && $cpu->{$key} >= 0,
		    "health detail: cpu $key is a number");
	}
	ok(is_integer($cpu->{cpus}) && $cpu->{cpus} >= 1,
	    'health detail: cpu cpus is a positive integer')
	    or diag(explain($cpu));

	my $mem = $checks->{memory} // {};
	my ($meminfo_total) = do {
		open(my $fh, '<', '/proc/meminfo');
		map { /^MemTotal:\s+(\d+) kB/ ? $1 * 1024 : () } <$fh>;
	};
	ok(is_integer($mem->{total_bytes}), 'health detail: memory total_bytes');
	ok(is_integer($mem->{available_bytes}),
	    'health detail: memory available_bytes');
	ok(is_integer($mem->{total_bytes}) && is_integer($mem->{available_bytes})
	    && $mem->{available_bytes} <= $mem->{total_bytes},
	    'health detail: memory available <= total');
	ok(is_integer($mem->{total_bytes}) && $meminfo_total
	    && abs($mem->{total_bytes} - $meminfo_total) <= $meminfo_total * 0.05,
	    'health detail: memory total matches /proc/meminfo')
	    or diag("reported $mem->{total_bytes}, /proc/meminfo $meminfo_total");

	my $disk = $checks->{disk} // {};
	ok(defined $disk->{path} && length $disk->{path},
	    'health detail: disk path');
	is($disk->{path}, $conf->{data_dir}, 'health detail: disk path is data_dir')
	    if defined $conf->{data_dir};
	ok(is_integer($disk->{free_bytes}) && is_integer($disk->{total_bytes})
	    && $disk->{total_bytes} > 0 && $disk->{free_bytes} <= $disk->{total_bytes},
	    'health detail: disk free <= total')
	    or diag(explain($disk));
}

# ---- nginx passes its own request id, not the client's ----------------------

{
	my $res = request('GET', '/api/health/live',
	    headers => ['X-Request-ID' => 'client-chosen-id']);
	is($res->{status}, 200, 'client X-Request-ID: status 200');
	is(header_count($res, 'X-Request-ID'), 1,
	    'client X-Request-ID: one X-Request-ID in the response');
	like(header($res, 'X-Request-ID') // '', qr/^[0-9a-f]{32}$/,
	    'client X-Request-ID: replaced by nginx request id');
}

# ---- X-Forwarded-For through nginx does not replace the peer address --------

{
	my $offset = file_size($SSCND_LOG);
	my $res = request('GET', '/api/health/live',
	    headers => ['X-Forwarded-For' => '198.51.100.9',
	    'X-Real-IP' => '198.51.100.9']);
	is($res->{status}, 200, 'nginx forwarded-for: status 200');
	my @lines = log_lines_with($offset, header($res, 'X-Request-ID') // '-');
	my @addr = grep { defined } map { parse_log_line($_)->{remote_addr} } @lines;
	ok(@addr, 'nginx forwarded-for: remote_addr logged')
	    or diag(join "\n", @lines);
	ok(@addr && !grep({ $_ ne '127.0.0.1' && $_ ne '::1' } @addr),
	    'nginx forwarded-for: remote_addr is the loopback peer')
	    or diag(join "\n", @lines);
}

# ---- direct FastCGI: the bare form and the parameters the app trusts --------

SKIP: {
	skip "FastCGI socket $FCGI_SOCKET not found", 1 unless -S $FCGI_SOCKET;

	my $rid = random_id();
	my $res = fcgi_request(params => [fcgi_params('GET', '/api/health/',
	    REQUEST_ID => $rid)]);
	my $body = is_json_ok($res, 200, 'fcgi health without detail param');
	is_deeply($body, { status => 'ok' },
	    'fcgi health without detail param: bare body');
	is(header($res, 'X-Request-ID'), $rid,
	    'fcgi health: X-Request-ID is the REQUEST_ID param');

	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/',
	    SSCN_HEALTH_DETAIL => '1')]);
	$body = is_json_ok($res, 200, 'fcgi health with detail param');
	ok(ref $body eq 'HASH' && ref $body->{checks} eq 'HASH',
	    'fcgi health with detail param: has checks');

	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/',
	    SSCN_HEALTH_DETAIL => '0')]);
	$body = is_json_ok($res, 200, 'fcgi health detail param 0');
	is_deeply($body, { status => 'ok' },
	    'fcgi health detail param 0: bare body');

	# A client header "SSCN-Health-Detail: 1" reaches the app as
	# HTTP_SSCN_HEALTH_DETAIL and must not count.
	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/',
	    HTTP_SSCN_HEALTH_DETAIL => '1')]);
	$body = is_json_ok($res, 200, 'fcgi health client detail header');
	is_deeply($body, { status => 'ok' },
	    'fcgi health client detail header: bare body');

	# X-Forwarded-For is client input; the app must use REMOTE_ADDR.
	my $offset = file_size($SSCND_LOG);
	$rid = random_id();
	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/',
	    REQUEST_ID => $rid,
	    REMOTE_ADDR => '192.0.2.7',
	    HTTP_X_FORWARDED_FOR => '127.0.0.1, 198.51.100.9',
	    HTTP_X_REAL_IP => '127.0.0.1')]);
	$body = is_json_ok($res, 200, 'fcgi health forwarded-for');
	is_deeply($body, { status => 'ok' },
	    'fcgi health forwarded-for: bare body');
	my @lines = log_lines_with($offset, $rid);
	ok(@lines, 'fcgi health forwarded-for: logged with request id');
	ok(!grep({ /198\.51\.100\.9/ } @lines),
	    'fcgi health forwarded-for: X-Forwarded-For not logged as address')
	    or diag(join "\n", @lines);
	my @addr = grep { defined } map { parse_log_line($_)->{remote_addr} } @lines;
	ok(@addr, 'fcgi health forwarded-for: remote_addr logged')
	    or diag(join "\n", @lines);
	ok(@addr && !grep({ $_ ne '192.0.2.7' } @addr),
	    'fcgi health forwarded-for: remote_addr is REMOTE_ADDR')
	    or diag(join "\n", @lines);

	# A request without REQUEST_ID still gets an id.
	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/live',
	    REQUEST_ID => undef)]);
	is($res->{status}, 200, 'fcgi live without REQUEST_ID: status 200');
	ok(length(header($res, 'X-Request-ID') // ''),
	    'fcgi live without REQUEST_ID: has X-Request-ID');

	# A request id that carries a line break must not add a header.
	$res = fcgi_request(params => [fcgi_params('GET', '/api/health/live',
	    REQUEST_ID => "abc\r\nX-Injected: 1")]);
	is($res->{status}, 200, 'fcgi live CRLF request id: status 200');
	ok(!defined header($res, 'X-Injected'),
	    'fcgi live CRLF request id: no injected header');
}

done_testing();
