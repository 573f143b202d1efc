package SSCN::Test;

# Helpers for the integration tests in t/*.t, which run against the dev stack
# that `tools/dev up` starts: nginx on SSCN_URL (https://localhost:8443),
# sscnd behind it on the FastCGI socket $SSCN_DEV/run/sscnd.sock, and the
# private PostgreSQL cluster.
#
# The HTTP client builds each request from raw bytes, so a test can send any
# method, header or body, including a malformed Content-Length or a chunked
# body without Content-Length.  The FastCGI client talks to sscnd directly
# and sets the parameters that nginx would normally set, such as
# SSCN_HEALTH_DETAIL, REMOTE_ADDR and REQUEST_ID.
#
# Environment: SSCN_ROOT (work tree), SSCN_DEV (state directory), SSCN_URL
# (base URL, loopback only), SSCN_BUILD (build directory).  Each defaults to
# the layout of `tools/dev`.  A test that cannot reach the stack calls
# `plan skip_all`, unless SSCN_REQUIRE_STACK=1, which turns that into a
# failure so that CI cannot pass by skipping.

use v5.36;

use Cwd qw(abs_path);
use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter qw(import);
use File::Basename qw(dirname);
use IO::Select;
use IO::Socket::IP;
use IO::Socket::SSL qw(SSL_VERIFY_NONE);
use IO::Socket::UNIX;
use IPC::Open3 qw(open3);
use JSON::PP;
use Socket qw(SOCK_STREAM);
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    $ROOT $DEV $URL $BUILD $FCGI_SOCKET $SSCND_LOG
    require_stack
    request fcgi_request fcgi_params
    header header_count decode_json_body
    error_body_problems is_error_response is_json_ok
    random_id conf_read conf_size find_program
    run_cmd dev_tool psql_value
    master_pid child_pids process_alive
    file_size read_from wait_for log_lines_with
    parse_log_line
);

our $ROOT = $ENV{SSCN_ROOT} // abs_path(dirname(__FILE__) . '/../../..');
our $DEV = $ENV{SSCN_DEV} // "$ROOT/.dev";
our $URL = $ENV{SSCN_URL} // 'https://localhost:8443';
our $BUILD = $ENV{SSCN_BUILD} // "$ROOT/.build";
our $FCGI_SOCKET = "$DEV/run/sscnd.sock";
our $SSCND_LOG = "$DEV/log/sscnd.log";

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

# ---- skipping -------------------------------------------------------------

# Split "scheme://host:port" and reject anything but a loopback host, so that
# no test can send traffic off the machine.
sub _parse_base_url ($url) {
	my ($scheme, $host, $port) =
	    $url =~ m{^(https?)://(\[[0-9a-fA-F:.]+\]|[^/:]+)(?::(\d+))?/?$}
	    or return;
	$host =~ s/^\[(.*)\]$/$1/;
	return unless $host eq 'localhost' || $host =~ /^127\.\d+\.\d+\.\d+$/
	    || $host eq '::1';
	$port //= $scheme eq 'https' ? 443 : 80;
	return ($scheme, $host, $port);
}

sub _skip_or_fail ($reason) {
	if (($ENV{SSCN_REQUIRE_STACK} // '') eq '1') {
		plan tests => 1;
		fail("dev stack available: $reason");
		exit 1;
	}
	plan skip_all => $reason;
}

# Skip the whole test file (plan skip_all) unless SSCN_URL is a loopback
# URL that answers GET /api/health/live with any HTTP status.
sub require_stack () {
	_parse_base_url($URL)
	    or _skip_or_fail("SSCN_URL '$URL' is not an http(s) URL on loopback");
	my $res = request('GET', '/api/health/live', timeout => 5);
	if ($res->{error}) {
		_skip_or_fail("dev stack not reachable at $URL ($res->{error}); "
		    . 'start it with tools/dev up');
	}
	return 1;
}

# ---- HTTP client ----------------------------------------------------------

# Send one HTTP/1.1 request on a new connection and read the response.
#
#   request(METHOD, PATH, %options) -> response
#
# Options:
#   headers        [Name => value, ...], sent in order after Host
#   body           bytes; Content-Length is added unless overridden
#   content_length a string sent as Content-Length in place of the real
#                  length; undef (when the key exists) sends none
#   chunked        [chunk, ...]: send Transfer-Encoding: chunked and these
#                  chunks, no Content-Length
#   base           base URL in place of SSCN_URL (http://localhost:8080)
#   tls_version    e.g. 'TLSv1_2' to pin the protocol version
#   timeout        seconds for the whole exchange, default 15
#
# The response is a hash: status, reason, headers ([[name, value], ...]),
# body (bytes, chunked transfer coding removed), raw_head, and error (a
# string) when no complete response arrived.
sub request ($method, $path, %opt) {
	my $base = $opt{base} // $URL;
	my ($scheme, $host, $port) = _parse_base_url($base)
	    or return { error => "base URL '$base' is not on loopback" };
	my $timeout = $opt{timeout} // 15;

	my $head = "$method $path HTTP/1.1\r\n";
	my $host_header = $host =~ /:/ ? "[$host]" : $host;
	$head .= "Host: $host_header:$port\r\n";
	$head .= "User-Agent: sscn-tests\r\n";
	$head .= "Connection: close\r\n";
	my @extra = @{ $opt{headers} // [] };
	while (my ($name, $value) = splice(@extra, 0, 2)) {
		$head .= "$name: $value\r\n";
	}

	my $body = '';
	if ($opt{chunked}) {
		$head .= "Transfer-Encoding: chunked\r\n";
		for my $chunk (@{ $opt{chunked} }) {
			next if $chunk eq '';
			$body .= sprintf("%x\r\n%s\r\n", length $chunk, $chunk);
		}
		$body .= "0\r\n\r\n";
	} elsif (exists $opt{content_length}) {
		$head .= "Content-Length: $opt{content_length}\r\n"
		    if defined $opt{content_length};
		$body = $opt{body} // '';
	} elsif (defined $opt{body}) {
		$head .= 'Content-Length: ' . length($opt{body}) . "\r\n";
		$body = $opt{body};
	}
	$head .= "\r\n";

	my $res = eval {
		local $SIG{ALRM} = sub { die "timed out after ${timeout}s\n" };
		local $SIG{PIPE} = 'IGNORE';
		alarm $timeout;
		my $r = _exchange($scheme, $host, $port, $head . $body,
		    $method, %opt);
		alarm 0;
		$r;
	};
	alarm 0;
	return $res // { error => ($@ =~ s/\s+$//r) };
}

sub _connect ($scheme, $host, $port, %opt) {
	my %common = (PeerHost => $host, PeerPort => $port, Timeout => 5);
	return IO::Socket::IP->new(%common, Proto => 'tcp')
	    if $scheme eq 'http';

	# The dev certificate is self-signed and the peer is on loopback, so
	# the tests do not verify it.
	return IO::Socket::SSL->new(
	    %common,
	    SSL_hostname => $host,
	    SSL_verify_mode => SSL_VERIFY_NONE,
	    ($opt{tls_version} ? (SSL_version => $opt{tls_version}) : ()),
	);
}

sub _exchange ($scheme, $host, $port, $bytes, $method, %opt) {
	my $sock = _connect($scheme, $host, $port, %opt);
	unless ($sock) {
		my $ssl_error = $IO::Socket::SSL::SSL_ERROR // '';
		my $reason = $scheme eq 'https' && $ssl_error =~ /SSL/
		    ? $ssl_error : "$!";
		return { error => "connect to $host:$port failed: $reason" };
	}
	$sock->autoflush(1);

	# A server may answer (413, 400) and close before the whole body is
	# written, so a failed write is not an error as long as a response
	# can still be read.
	my $off = 0;
	while ($off < length $bytes) {
		my $n = syswrite($sock, $bytes, 65536, $off);
		last unless $n;
		$off += $n;
	}

	my $in = '';
	while (1) {
		my $n = sysread($sock, my $buf, 65536);
		last unless $n;
		$in .= $buf;
	}
	close $sock;
	return _parse_http_response($in, $method);
}

sub _parse_http_response ($in, $method) {
	my $end = index($in, "\r\n\r\n");
	return { error => 'no response header' . ($in eq '' ? '' : ': '
	    . substr($in, 0, 80)) } if $end < 0;

	my $raw_head = substr($in, 0, $end);
	my $rest = substr($in, $end + 4);
	my ($status_line, @lines) = split /\r\n/, $raw_head;
	my ($status, $reason) = $status_line =~ m{^HTTP/1\.[01] (\d{3}) ?(.*)$}
	    or return { error => "bad status line '$status_line'" };

	my @headers;
	for my $line (@lines) {
		my ($name, $value) = $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/
		    or return { error => "bad header line '$line'" };
		push @headers, [$name, $value];
	}
	my $res = { status => $status, reason => $reason,
	    headers => \@headers, raw_head => $raw_head };

	my $te = header($res, 'Transfer-Encoding') // '';
	if ($method eq 'HEAD' || $status == 204 || $status == 304) {
		$res->{body} = '';
	} elsif ($te =~ /chunked/i) {
		$res->{body} = _dechunk($rest) // return {
		    %$res, error => 'malformed chunked response body' };
	} elsif (defined(my $len = header($res, 'Content-Length'))) {
		$res->{body} = substr($rest, 0, $len);
		$res->{error} = "response body shorter than Content-Length $len"
		    if length $rest < $len;
	} else {
		$res->{body} = $rest;
	}
	return $res;
}

sub _dechunk ($data) {
	my $out = '';
	while (1) {
		$data =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n// or return;
		my $len = hex $1;
		return $out if $len == 0;
		return if length $data < $len + 2;
		$out .= substr($data, 0, $len);
		substr($data, 0, $len + 2) = '';
	}
}

# Values of header NAME (case-insensitive) in a response.  In list context
# every value; in scalar context the values joined by ", ", or undef.
sub header ($res, $name) {
	my @values = map { $_->[1] }
	    grep { lc $_->[0] eq lc $name } @{ $res->{headers} // [] };
	return @values if wantarray;
	return @values ? join(', ', @values) : undef;
}

# Number of times header NAME occurs in a response.
sub header_count ($res, $name) {
	return scalar(my @values = header($res, $name));
}

# The response body decoded as JSON, or undef when it is not JSON.
sub decode_json_body ($res) {
	return undef unless defined $res->{body} && length $res->{body};
	return eval { $JSON->decode($res->{body}) };
}

# ---- FastCGI client -------------------------------------------------------

use constant {
	FCGI_VERSION => 1,
	FCGI_BEGIN_REQUEST => 1,
	FCGI_END_REQUEST => 3,
	FCGI_PARAMS => 4,
	FCGI_STDIN => 5,
	FCGI_STDOUT => 6,
	FCGI_STDERR => 7,
	FCGI_RESPONDER => 1,
	FCGI_MAX_CONTENT => 65535,
};

# A random id of 32 hexadecimal digits, the form of nginx's $request_id.
sub random_id () {
	return join '', map { sprintf '%04x', int rand 65536 } 1 .. 8;
}

# The parameters nginx sends for METHOD URI (see nginx/ for the real set),
# as an ordered list of pairs.  EXTRA pairs replace a parameter of the
# same name; an undef value removes it.  Like nginx, CONTENT_TYPE and
# CONTENT_LENGTH are sent empty when the request has none.
sub fcgi_params ($method, $uri, %extra) {
	my ($path, $query) = $uri =~ /^([^?]*)(?:\?(.*))?$/;
	my @params = (
	    GATEWAY_INTERFACE => 'CGI/1.1',
	    SERVER_SOFTWARE => 'sscn-tests',
	    SERVER_PROTOCOL => 'HTTP/1.1',
	    REQUEST_SCHEME => 'https',
	    HTTPS => 'on',
	    REQUEST_METHOD => $method,
	    REQUEST_URI => $uri,
	    DOCUMENT_URI => $path,
	    SCRIPT_NAME => $path,
	    QUERY_STRING => $query // '',
	    CONTENT_TYPE => '',
	    CONTENT_LENGTH => '',
	    REMOTE_ADDR => '127.0.0.1',
	    REMOTE_PORT => '50000',
	    SERVER_ADDR => '127.0.0.1',
	    SERVER_PORT => '8443',
	    SERVER_NAME => 'localhost',
	    REQUEST_ID => random_id(),
	    HTTP_HOST => 'localhost:8443',
	    HTTP_USER_AGENT => 'sscn-tests',
	);

	my @out;
	my %seen;
	while (my ($name, $value) = splice(@params, 0, 2)) {
		$seen{$name} = 1;
		if (exists $extra{$name}) {
			push @out, $name, $extra{$name}
			    if defined $extra{$name};
			next;
		}
		push @out, $name, $value;
	}
	for my $name (sort keys %extra) {
		push @out, $name, $extra{$name}
		    if !$seen{$name} && defined $extra{$name};
	}
	return @out;
}

sub _fcgi_record ($type, $id, $content) {
	my $pad = (8 - length($content) % 8) % 8;
	return pack('CCnnCx', FCGI_VERSION, $type, $id, length $content, $pad)
	    . $content . ("\0" x $pad);
}

sub _fcgi_length ($len) {
	return $len < 128 ? pack('C', $len) : pack('N', $len | 0x80000000);
}

# Records of TYPE carrying DATA, split at the 65535-byte record limit and
# closed by an empty record.
sub _fcgi_stream ($type, $id, $data) {
	my $out = '';
	for (my $off = 0; $off < length $data; $off += FCGI_MAX_CONTENT) {
		$out .= _fcgi_record($type, $id,
		    substr($data, $off, FCGI_MAX_CONTENT));
	}
	return $out . _fcgi_record($type, $id, '');
}

# Send one FastCGI responder request straight to sscnd's socket.
#
#   fcgi_request(params => [fcgi_params(...)], stdin => BYTES) -> response
#
# Options: params (ordered pairs), stdin (bytes, default ''), socket (path,
# default $FCGI_SOCKET), timeout (seconds, default 10).  The response has
# the same keys as request()'s (status from the CGI Status header, 200 when
# absent), plus stderr and app_status from FCGI_END_REQUEST.
sub fcgi_request (%opt) {
	my $path = $opt{socket} // $FCGI_SOCKET;
	my $timeout = $opt{timeout} // 10;
	my $id = 1;

	my $params = '';
	my @pairs = @{ $opt{params} // [] };
	while (my ($name, $value) = splice(@pairs, 0, 2)) {
		$params .= _fcgi_length(length $name)
		    . _fcgi_length(length $value) . $name . $value;
	}
	my $out = _fcgi_record(FCGI_BEGIN_REQUEST, $id,
	    pack('nCx5', FCGI_RESPONDER, 0));
	$out .= _fcgi_stream(FCGI_PARAMS, $id, $params);
	$out .= _fcgi_stream(FCGI_STDIN, $id, $opt{stdin} // '');

	my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
	    or return { error => "connect to $path failed: $!" };
	$sock->blocking(0);
	local $SIG{PIPE} = 'IGNORE';

	# Write and read at the same time: sscnd may answer (413) without
	# reading the body, and a blocking write would then never finish.
	my $in = '';
	my $deadline = time + $timeout;
	my $sel = IO::Select->new($sock);
	my ($stdout, $stderr, $app_status, $ended) = ('', '', undef, 0);
	while (!$ended) {
		my $left = $deadline - time;
		if ($left <= 0) {
			close $sock;
			return { error => "no FastCGI response within ${timeout}s" };
		}
		my @w = length $out ? ($sel) : ();
		my ($r, $w) = IO::Select->select($sel, @w ? $sel : undef, undef,
		    $left);
		if ($w && @$w) {
			my $n = syswrite($sock, $out, 65536);
			if (defined $n) {
				substr($out, 0, $n) = '';
			} elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
				$out = '';	# peer stopped reading
			}
		}
		next unless $r && @$r;
		my $n = sysread($sock, my $buf, 65536);
		if (!defined $n) {
			next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
			last;
		}
		last if $n == 0;
		$in .= $buf;

		while (length $in >= 8) {
			my ($ver, $type, $rid, $len, $pad) = unpack('CCnnC', $in);
			last if length $in < 8 + $len + $pad;
			my $content = substr($in, 8, $len);
			substr($in, 0, 8 + $len + $pad) = '';
			if ($type == FCGI_STDOUT) {
				$stdout .= $content;
			} elsif ($type == FCGI_STDERR) {
				$stderr .= $content;
			} elsif ($type == FCGI_END_REQUEST) {
				$app_status = unpack('N', $content);
				$ended = 1;
				last;
			}
		}
	}
	close $sock;

	my $res = _parse_cgi_response($stdout);
	$res->{stderr} = $stderr;
	$res->{app_status} = $app_status;
	$res->{error} //= 'connection closed before FCGI_END_REQUEST'
	    unless $ended;
	return $res;
}

sub _parse_cgi_response ($stdout) {
	my ($head, $body) = split /\r?\n\r?\n/, $stdout, 2;
	return { error => 'no CGI header in FastCGI output', body => $stdout }
	    unless defined $body;

	my @headers;
	for my $line (split /\r?\n/, $head) {
		my ($name, $value) = $line =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/
		    or return { error => "bad CGI header line '$line'" };
		push @headers, [$name, $value];
	}
	my $res = { headers => \@headers, body => $body, raw_head => $head };
	my $status = header($res, 'Status') // '200';
	($res->{status}) = $status =~ /^(\d{3})/;
	$res->{error} = "bad CGI Status '$status'" unless $res->{status};
	return $res;
}

# ---- assertions -----------------------------------------------------------

# Problems (a list of strings, empty when none) of a decoded body against the
# contract's error body:
#   {"error": {"code", "message", "request_id", "fields"?}}
# "fields" is allowed only for the validation codes.  Other keys are
# problems too, except top-level keys listed in ALLOW_TOP (an endpoint may
# document extra fields, such as "status" on the health endpoints).
sub error_body_problems ($body, $allow_top = []) {
	return ('body is not a JSON object') unless ref $body eq 'HASH';
	my @problems;
	my %top_allowed = map { $_ => 1 } 'error', @$allow_top;
	for my $key (sort keys %$body) {
		push @problems, "unexpected top-level key $key"
		    unless $top_allowed{$key};
	}
	my $err = $body->{error};
	return (@problems, 'error is not an object') unless ref $err eq 'HASH';

	my %allowed = map { $_ => 1 } qw(code message request_id fields);
	for my $key (sort keys %$err) {
		push @problems, "unexpected key error.$key" unless $allowed{$key};
	}
	for my $key (qw(code message request_id)) {
		my $v = $err->{$key};
		push @problems, "error.$key is missing or not a non-empty string"
		    unless defined $v && !ref $v && length $v;
	}
	push @problems, 'error.message spans several lines'
	    if defined $err->{message} && $err->{message} =~ /\n/;
	if (exists $err->{fields}) {
		push @problems, 'error.fields is not an object'
		    unless ref $err->{fields} eq 'HASH';
		push @problems, "error.fields present with code '"
		    . ($err->{code} // '') . "'"
		    unless ($err->{code} // '') =~ /^(validation_failed|weak_password)$/;
	}
	return @problems;
}

# Check that RES is the contract's JSON error: STATUS, a JSON content type,
# the error body shape, error.code CODE and error.request_id equal to the
# X-Request-ID header.  NAME prefixes each assertion's name.  Option
# allow_top lists extra top-level keys the endpoint documents.  Returns the
# decoded body.
sub is_error_response ($res, $status, $code, $name, %opt) {
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	if ($res->{error} && !defined $res->{status}) {
		fail("$name: response received");
		diag("error: $res->{error}");
		return undef;
	}
	is($res->{status}, $status, "$name: status $status")
	    or diag("body: " . substr($res->{body} // '', 0, 300));
	like(header($res, 'Content-Type') // '', qr{^application/json\b}i,
	    "$name: JSON content type");

	my $body = decode_json_body($res);
	my @problems = error_body_problems($body, $opt{allow_top} // []);
	ok(!@problems, "$name: contract error body")
	    or diag(join("\n", @problems, 'body: '
	    . substr($res->{body} // '', 0, 300)));
	is(ref $body eq 'HASH' && ref $body->{error} eq 'HASH'
	    ? $body->{error}{code} : undef, $code, "$name: code $code");

	my $rid = header($res, 'X-Request-ID');
	ok(defined $rid && length $rid, "$name: has X-Request-ID");
	is(ref $body eq 'HASH' && ref $body->{error} eq 'HASH'
	    ? $body->{error}{request_id} : undef, $rid,
	    "$name: request_id equals X-Request-ID");
	return $body;
}

# Check that RES is STATUS with a JSON body; returns the decoded body.
sub is_json_ok ($res, $status, $name) {
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	is($res->{status}, $status, "$name: status $status")
	    or diag($res->{error} ? "error: $res->{error}"
	    : "body: " . substr($res->{body} // '', 0, 300));
	like(header($res, 'Content-Type') // '', qr{^application/json\b}i,
	    "$name: JSON content type");
	my $body = decode_json_body($res);
	ok(defined $body, "$name: body is JSON")
	    or diag("body: " . substr($res->{body} // '', 0, 300));
	return $body;
}

# ---- configuration and programs -------------------------------------------

# Key/value pairs of an sscn.conf file ("key = value", "#" comments, values
# optionally double-quoted).  Returns a hash reference, or undef when the
# file cannot be read.
sub conf_read ($path = "$DEV/sscn.conf") {
	open(my $fh, '<', $path) or return undef;
	my %conf;
	while (my $line = <$fh>) {
		next if $line =~ /^\s*(#|$)/;
		my ($key, $value) = $line =~ /^\s*(\w+)\s*=\s*(.*?)\s*$/ or next;
		if ($value =~ /^"((?:[^"\\]|\\.)*)"/) {
			$value = $1 =~ s/\\(.)/$1/gr;
		} else {
			$value =~ s/\s+#.*$//;
		}
		$conf{$key} = $value;
	}
	return \%conf;
}

# A size value of sscn.conf ("1048576", "512k", "1M") in bytes.
sub conf_size ($value) {
	my ($n, $unit) = $value =~ /^(\d+)\s*([kKmM]?)$/ or return undef;
	return $n * (lc $unit eq 'k' ? 1024 : lc $unit eq 'm' ? 1048576 : 1);
}

# Path of the built program NAME (sscnd, sscnctl), or undef.
sub find_program ($name) {
	for my $dir ($BUILD, "$BUILD/src", "$BUILD/src/ctl") {
		return "$dir/$name" if -f "$dir/$name" && -x _;
	}
	return undef;
}

# Run a command with a time limit (option timeout, seconds, default 120)
# and return (exit status, combined stdout and stderr).  An exit status of
# 124 means the time limit was reached.
sub run_cmd ($cmd, %opt) {
	my $limit = $opt{timeout} // 120;
	my @argv = ('timeout', '--kill-after=5', $limit, @$cmd);
	my $out = gensym;
	my $pid = eval { open3(my $in, $out, undef, @argv) }
	    or return (127, "cannot run $cmd->[0]: $@");
	local $/;
	my $text = <$out> // '';
	waitpid($pid, 0);
	my $status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	return ($status, $text);
}

# Run tools/dev with ARGS; returns (exit status, output).
sub dev_tool (@args) {
	my %opt;
	%opt = %{ pop @args } if ref $args[-1] eq 'HASH';
	return run_cmd(["$ROOT/tools/dev", @args], %opt);
}

# Run one SQL statement through `tools/dev psql` (the superuser on the dev
# database unless ARGS choose otherwise) and return its unaligned output
# without the trailing newline, or undef with a diagnostic when psql fails.
sub psql_value ($sql, @args) {
	my ($status, $out) = dev_tool('psql', '-X', '-q', '-A', '-t',
	    '-v', 'ON_ERROR_STOP=1', @args, '-c', $sql);
	if ($status != 0) {
		diag("psql failed (exit $status) on: $sql\n$out");
		return undef;
	}
	chomp $out;
	return $out;
}

# ---- processes ------------------------------------------------------------

sub process_alive ($pid) {
	return defined $pid && -d "/proc/$pid";
}

# sscnd's master pid from $SSCN_DEV/run/sscnd.pid, or undef when the file
# is missing or the process is gone.
sub master_pid () {
	open(my $fh, '<', "$DEV/run/sscnd.pid") or return undef;
	my ($pid) = (<$fh> // '') =~ /^\s*(\d+)/;
	return process_alive($pid) ? $pid : undef;
}

# Sorted pids of the processes whose parent is PPID, read from
# /proc/PID/stat.  The command name in that file may contain spaces and
# parentheses, so the fields are taken after its last ')'.
sub child_pids ($ppid) {
	my @children;
	opendir(my $dh, '/proc') or return ();
	for my $pid (grep { /^\d+$/ } readdir $dh) {
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh> // next;
		my $rest = substr($stat, rindex($stat, ')') + 2);
		my (undef, $parent) = split / /, $rest;
		push @children, $pid if defined $parent && $parent == $ppid;
	}
	return sort { $a <=> $b } @children;
}

# ---- logs and polling -----------------------------------------------------

sub file_size ($path) {
	return -s $path // 0;
}

# Text of PATH from byte OFFSET to the end.
sub read_from ($path, $offset) {
	open(my $fh, '<:raw', $path) or return '';
	seek($fh, $offset, 0);
	local $/;
	return <$fh> // '';
}

# Call CHECK every INTERVAL seconds until it returns true or TIMEOUT seconds
# have passed; returns CHECK's last value.
sub wait_for ($check, $timeout, $interval = 0.2) {
	my $deadline = time + $timeout;
	while (1) {
		my $value = $check->();
		return $value if $value || time >= $deadline;
		sleep $interval;
	}
}

# Lines of sscnd.log after OFFSET that contain "request_id=ID", waiting up
# to TIMEOUT seconds (default 3) for at least MIN of them (default 1).
sub log_lines_with ($offset, $id, $min = 1, $timeout = 3) {
	my @lines;
	wait_for(sub {
		@lines = grep { /\brequest_id="?\Q$id\E\b/ }
		    split /\n/, read_from($SSCND_LOG, $offset);
		return @lines >= $min;
	}, $timeout);
	return @lines;
}

# Fields of one "key=value key="quoted value"" log line as a hash reference.
sub parse_log_line ($line) {
	my %fields;
	while ($line =~ /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g) {
		my ($key, $value) = ($1, $2);
		$value =~ s/^"(.*)"$/$1/s;
		$fields{$key} = $value;
	}
	return \%fields;
}

1;
