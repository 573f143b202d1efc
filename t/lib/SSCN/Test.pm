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
    run_cmd dev_tool psql_value pg_stop pg_start metrics_scrape
    master_pid child_pids process_alive
    file_size read_from wait_for log_lines_with
    parse_log_line
);

our $ROOT = $ENV{SSCN_ROOT} // abs_path(dirname(__FILE__) . '/../../..');
our $DEV = $ENV{SSCN_DEV} // "$ROOT/.dev";
# tools/dev keeps the stack's port offset (SSCN_DEV_PORT_OFFSET) here.
our $PORT_OFFSET = do {
	my $offset = 0;
	if (open(my $fh, '<', "$DEV/port-offset")) {
		my $line = <$fh> // '';
		$offset = $1 if $line =~ /^(\d{1,2})$/;
	}
	$offset;
};
our $URL = $ENV{SSCN_URL} // 'https://localhost:' . (8443 + $PORT_OFFSET);
our $HTTP_PORT = 8080 + $PORT_OFFSET;
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

	# Tests read mail from the outbox (mail_for), which the dev stack's
	# sender empties as it delivers: pause it, as tools/dev test does.
	dev_tool('mail-stop') if -e "$DEV/run/mail-send.pid";
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
#   local_addr     connect from this loopback address (e.g. 127.0.0.9),
#                  which nginx then passes as REMOTE_ADDR
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
	my %common = (PeerHost => $host, PeerPort => $port, Timeout => 5,
	    ($opt{local_addr} ? (LocalAddr => $opt{local_addr}) : ()));
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

# ---- metrics --------------------------------------------------------------

# GET /metrics through nginx from 127.0.0.1, an address of the dev
# configuration's metrics allow-list.  OPTIONS go to request(), such as
# local_addr.  Returns (response, series), where series maps each
# 'name{labels}' exactly as sscnd prints it to its value.
sub metrics_scrape (%opt) {
	my $port = $URL =~ /:(\d+)\/?$/ ? $1 : 443;
	my $res = request('GET', '/metrics', base => "https://127.0.0.1:$port",
	    %opt);
	my %series;
	for my $line (split /\n/, $res->{body} // '') {
		next if $line =~ /^#/;
		my ($key, $value) = $line =~ /^(\S+) (\S+)$/ or next;
		$series{$key} = $value;
	}
	return ($res, \%series);
}

# ---- stopping PostgreSQL --------------------------------------------------

# True between pg_stop() and a successful pg_start().
my $pg_stopped = 0;

# Stop the dev stack's PostgreSQL with tools/dev pg-stop; returns (exit
# status, output).  Until pg_start() succeeds, the END block below starts
# it again when the test file ends, also after die or BAIL_OUT, so the
# stack is left healthy.
sub pg_stop () {
	$pg_stopped = 1;
	return dev_tool('pg-stop', { timeout => 60 });
}

# Start it again with tools/dev pg-start; true on success.
sub pg_start () {
	my ($status, $out) = dev_tool('pg-start', { timeout => 60 });
	diag("tools/dev pg-start failed (exit $status):\n$out") if $status;
	$pg_stopped = 0 unless $status;
	return $status == 0;
}

END {
	if ($pg_stopped) {
		local $?;
		pg_start();
	}
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

# ---- accounts and sessions ------------------------------------------------
#
# Helpers for the tests of registration, login, sessions, MFA and the audit
# log.  Every test makes its own accounts with unique_email(), so the tests
# are independent of each other and can run again on the same database.

use Digest::SHA qw(hmac_sha256);
use Encode ();
use MIME::Base64 qw(decode_base64 decode_base64url encode_base64url);
use POSIX ();
use Unicode::Normalize ();

push @EXPORT, qw(
    api client_addr set_cookies json_shape
    unique_email strong_password legal_versions
    register_user verified_user login_user normalized_email user_id_of
    email_index_of
    sscnctl mail_for link_token
    jwt_header jwt_claims jwt_keys jwt_sign_hs256 pyjwt_encode
    totp_code psql_json audit_rows audit_chain_query
    conf_override conf_restore parallel_map
);

# A random address in 127.0.0.0/8 for direct FastCGI requests.  sscnd
# counts failed logins per client address (address_failure_limit within
# address_failure_window), and every request through nginx comes from
# 127.0.0.1 or ::1.  Tests therefore send the logins that are meant to
# fail with api(..., addr => client_addr()), so that repeated runs do not
# bring the shared address to its limit.
sub client_addr () {
	return sprintf('127.%d.%d.%d', 1 + int rand 254, int rand 256,
	    1 + int rand 254);
}

# Send one API request and decode the JSON answer.
#
#   api(METHOD, PATH, %options) -> response
#
# The response is that of request() or fcgi_request(), plus "json" (the
# decoded body or undef).  Options:
#   json        hash or array reference sent as a JSON body, or a string
#               sent as it is; both with Content-Type application/json
#   token       access token, sent as "Authorization: Bearer TOKEN"
#   cookies     {name => value}, sent in one Cookie header
#   csrf        value of X-CSRF-Token
#   headers     more [Name => value, ...] pairs
#   addr        send the request straight to sscnd's FastCGI socket with
#               this REMOTE_ADDR, bypassing nginx
#   socket      the FastCGI socket of a direct request (default:
#               $FCGI_SOCKET, the dev stack's sscnd)
#   local_addr  through nginx, connect from this loopback address
#   request_id  REQUEST_ID of a direct request (default: random_id())
sub api ($method, $path, %opt) {
	my @headers;
	my $body;
	if (exists $opt{json}) {
		$body = ref $opt{json} ? $JSON->encode($opt{json}) : $opt{json};
		push @headers, 'Content-Type' => 'application/json';
	} elsif ($method ne 'GET' && $method ne 'HEAD') {
		$body = '';
	}
	push @headers, 'Authorization' => "Bearer $opt{token}"
	    if defined $opt{token};
	if ($opt{cookies}) {
		push @headers, 'Cookie' => join('; ', map { "$_=$opt{cookies}{$_}" }
		    sort keys %{ $opt{cookies} });
	}
	push @headers, 'X-CSRF-Token' => $opt{csrf} if defined $opt{csrf};
	push @headers, @{ $opt{headers} // [] };

	my $res;
	if (defined $opt{addr}) {
		my %params = (REMOTE_ADDR => $opt{addr},
		    REQUEST_ID => $opt{request_id} // random_id());
		if (defined $body && length $body) {
			$params{CONTENT_LENGTH} = length $body;
		}
		my @pairs = @headers;
		while (my ($name, $value) = splice(@pairs, 0, 2)) {
			if (lc $name eq 'content-type') {
				$params{CONTENT_TYPE} = $value;
				next;
			}
			$params{'HTTP_' . uc($name =~ tr/-/_/r)} = $value;
		}
		$res = fcgi_request(params => [fcgi_params($method, $path,
		    %params)], stdin => $body // '', timeout => 30,
		    ($opt{socket} ? (socket => $opt{socket}) : ()));
	} else {
		$res = request($method, $path, headers => \@headers,
		    body => $body, timeout => 30,
		    ($opt{local_addr} ? (local_addr => $opt{local_addr}) : ()));
	}
	$res->{json} = decode_json_body($res);
	return $res;
}

# The Set-Cookie headers of a response as {name => {value, attrs, raw}},
# where attrs maps each lower-cased attribute name to its value ('' for a
# flag such as Secure).
sub set_cookies ($res) {
	my %cookies;
	for my $line (header($res, 'Set-Cookie')) {
		my ($pair, @attrs) = split /;\s*/, $line;
		my ($name, $value) = split /=/, $pair, 2;
		my %attrs;
		for my $attr (@attrs) {
			my ($key, $val) = split /=/, $attr, 2;
			$attrs{lc $key} = $val // '';
		}
		$cookies{$name} = { value => $value // '', attrs => \%attrs,
		    raw => $line };
	}
	return \%cookies;
}

# The shape of decoded JSON: objects become their keys mapped to the shape
# of each value, arrays the shape of their elements, and scalars "scalar".
# Two answers with the same shape differ only in values.
sub json_shape ($data) {
	return { map { $_ => json_shape($data->{$_}) } keys %$data }
	    if ref $data eq 'HASH';
	return [map { json_shape($_) } @$data] if ref $data eq 'ARRAY';
	return 'scalar';
}

# A new address "t-TAG-RANDOM@example.test".  TAG may contain non-ASCII
# characters; the result is a character string.
sub unique_email ($tag) {
	return "t-$tag-" . substr(random_id(), 0, 12) . '@example.test';
}

# A random password that meets the default policy: upper and lower case,
# digits, 20 characters, no dictionary word.
sub strong_password () {
	return sprintf('Vy%s-Wq%02d', substr(random_id(), 0, 14), int rand 100);
}

my @legal_cache;

# The current terms and privacy versions, from GET /api/v1/legal/*.
sub legal_versions () {
	return @legal_cache if @legal_cache;
	my @versions;
	# A test before may have restarted PostgreSQL or sscnd; a read that
	# fails while they come back is tried again, and a version that
	# stays unknown is reported here rather than as a 400 later.
	for my $attempt (1 .. 10) {
		@versions = ();
		my @status;
		for my $doc (qw(terms privacy)) {
			my $res = api('GET', "/api/v1/legal/$doc");
			push @status, $res->{status} // 'none';
			push @versions, ref $res->{json} eq 'HASH'
			    ? $res->{json}{version} : undef;
		}
		last if !grep { !defined } @versions;
		diag("legal versions unknown (status @status), attempt $attempt");
		sleep 0.5;
	}
	@legal_cache = @versions if !grep { !defined } @versions;
	return @versions;
}

# Register an account through POST /api/v1/auth/register.  Options replace
# fields of the request (email, password, full_name, organization_name,
# organization_kind, accept_terms_version, accept_privacy_version).
# Returns (user, response), where user holds the fields that were sent.
sub register_user (%opt) {
	my ($terms, $privacy) = legal_versions();
	my %user = (
	    email => unique_email('user'),
	    password => strong_password(),
	    full_name => 'Rory Quill',
	    organization_name => 'Quill Sourcing',
	    organization_kind => 'buyer',
	    accept_terms_version => $terms,
	    accept_privacy_version => $privacy,
	    %opt,
	);
	my $res = api('POST', '/api/v1/auth/register', json => \%user);
	return (\%user, $res);
}

# Run sscnctl with the dev configuration; returns (exit status, output).
sub sscnctl (@args) {
	my $program = find_program('sscnctl')
	    or return (127, "sscnctl not built in $BUILD");
	return run_cmd([$program, '-c', "$DEV/sscn.conf", @args]);
}

# Messages of the mail outbox (sscnctl mailq --json) sent to RECIPIENT,
# oldest first, optionally only those of TEMPLATE.
sub mail_for ($recipient, $template = undef) {
	my ($status, $out) = sscnctl('mailq', '--json');
	if ($status != 0) {
		diag("sscnctl mailq --json failed (exit $status): $out");
		return ();
	}
	my $all = eval { JSON::PP->new->utf8->decode($out) };
	unless (ref $all eq 'ARRAY') {
		diag('sscnctl mailq --json printed no JSON array: '
		    . substr($out, 0, 200));
		return ();
	}
	return grep { $_->{recipient} eq $recipient
	    && (!defined $template || $_->{template} eq $template) } @$all;
}

# The token of a verification or reset link ("...#token=T") in a mail.
sub link_token ($mail) {
	my ($token) = ($mail->{body} // '') =~ /#token=([A-Za-z0-9_-]+)/;
	return $token;
}

# Register an account and verify its address with the link from the
# verification mail.  Takes the options of register_user().  Returns the
# user hash, or undef (with a diagnostic) when a step failed.
sub verified_user (%opt) {
	my ($user, $res) = register_user(%opt);
	if (($res->{status} // 0) != 202) {
		diag("register $user->{email}: status "
		    . ($res->{status} // 'none') . ' ' . ($res->{body} // ''));
		return undef;
	}
	my ($mail) = reverse mail_for($user->{email}, 'verify_email');
	my $token = $mail ? link_token($mail) : undef;
	unless (defined $token) {
		diag("no verification mail for $user->{email}");
		return undef;
	}
	$res = api('POST', '/api/v1/auth/verify-email',
	    json => { token => $token });
	if (($res->{status} // 0) != 200) {
		diag("verify-email for $user->{email}: status "
		    . ($res->{status} // 'none') . ' ' . ($res->{body} // ''));
		return undef;
	}
	return $user;
}

# POST /api/v1/auth/login with the e-mail and password of USER (or the
# options email and password).  Other options go to api().  On a 200 with
# an access token the response also has "token" and "sid".
sub login_user ($user, %opt) {
	my $email = delete $opt{email} // $user->{email};
	my $password = delete $opt{password} // $user->{password};
	my $res = api('POST', '/api/v1/auth/login',
	    json => { email => $email, password => $password }, %opt);
	my $token = ref $res->{json} eq 'HASH'
	    ? $res->{json}{access_token} : undef;
	if (defined $token) {
		$res->{token} = $token;
		$res->{sid} = (jwt_claims($token) // {})->{sid};
	}
	return $res;
}

# The normalized form of an e-mail address as sscnd keys accounts and the
# login lock: trimmed, Unicode NFC, case-folded.  A character string.
sub normalized_email ($email) {
	my $trimmed = $email =~ s/^[ \t]+|[ \t]+$//gr;
	return fc(Unicode::Normalize::NFC($trimmed));
}

# The blind index that sscnd stores for EMAIL (any spelling), as bytea
# hex text: HMAC-SHA256 under the key file's "index" key over "email:"
# and the normalized address.  undef when the key file has no index key.
sub email_index_of ($email) {
	open(my $fh, '<', "$DEV/keys") or return undef;
	while (my $line = <$fh>) {
		$line =~ s/#.*//;
		my ($purpose, undef, undef, $b64) = split ' ', $line;
		next unless ($purpose // '') eq 'index' && defined $b64;
		my $data = 'email:'
		    . Encode::encode('UTF-8', normalized_email($email));
		return '\\x' . Digest::SHA::hmac_sha256_hex($data,
		    decode_base64($b64));
	}
	return undef;
}

# The id of the account with the address EMAIL (any spelling), or undef.
sub user_id_of ($email) {
	my $index = email_index_of($email) // return undef;
	my $id = psql_value("SELECT id FROM sscn.users "
	    . "WHERE email_index = '$index'::bytea");
	return defined $id && length $id ? $id : undef;
}

# ---- tokens -------------------------------------------------------------------

sub _jwt_part ($token, $index) {
	my @parts = split /\./, $token // '', -1;
	return undef unless @parts == 3;
	return eval { $JSON->decode(decode_base64url($parts[$index])) };
}

# The header and the claims of a compact JWT, decoded without checking the
# signature; undef when they are not base64url JSON.
sub jwt_header ($token) {
	return _jwt_part($token, 0);
}

sub jwt_claims ($token) {
	return _jwt_part($token, 1);
}

# The "jwt" keys of the key file $SSCN_DEV/keys as {kid => {alg, key}},
# with the key as raw bytes.
sub jwt_keys () {
	my %keys;
	open(my $fh, '<', "$DEV/keys") or return {};
	while (my $line = <$fh>) {
		$line =~ s/#.*//;
		my ($purpose, $kid, $alg, $b64) = split ' ', $line;
		next unless ($purpose // '') eq 'jwt' && defined $b64;
		$keys{$kid} = { alg => $alg, key => decode_base64($b64) };
	}
	return \%keys;
}

# A compact JWT with HEADER and CLAIMS (hash references), signed with
# HMAC-SHA256 under KEY whatever HEADER's "alg" says.
sub jwt_sign_hs256 ($header, $claims, $key) {
	my $input = encode_base64url($JSON->encode($header)) . '.'
	    . encode_base64url($JSON->encode($claims));
	return "$input." . encode_base64url(hmac_sha256($input, $key));
}

# A JWT made by PyJWT (Debian's python3-jwt), an implementation
# independent of sscnd: CLAIMS signed with ALG under the key KID of the
# key file, with "kid" in the header.  Returns undef with a diagnostic
# when python3 or PyJWT fails.
sub pyjwt_encode ($claims, $kid, $alg = 'HS256') {
	my $script = <<'PY';
import base64, json, sys
import jwt
keyfile, kid, alg, claims = sys.argv[1:5]
key = None
with open(keyfile, encoding="ascii") as f:
    for line in f:
        fields = line.split("#", 1)[0].split()
        if len(fields) == 4 and fields[0] == "jwt" and fields[1] == kid:
            key = base64.b64decode(fields[3])
if key is None:
    sys.exit("no jwt key " + kid)
token = jwt.encode(json.loads(claims), key, algorithm=alg, headers={"kid": kid})
print(token if isinstance(token, str) else token.decode())
PY
	my ($status, $out) = run_cmd(['/usr/bin/python3', '-c', $script,
	    "$DEV/keys", $kid, $alg, $JSON->encode($claims)], timeout => 30);
	if ($status != 0) {
		diag("PyJWT encode failed (exit $status): $out");
		return undef;
	}
	chomp $out;
	return $out;
}

# ---- TOTP -----------------------------------------------------------------------

# The RFC 6238 code (SHA-1, 6 digits, 30 s) of the base32 SECRET at the
# current time plus OFFSET seconds, computed by oathtool.
sub totp_code ($secret, $offset = 0) {
	my $at = int(time) + $offset;
	my ($status, $out) = run_cmd(['oathtool', '--totp', '-b', $secret,
	    '-N', "\@$at"], timeout => 10);
	if ($status != 0) {
		diag("oathtool failed (exit $status): $out");
		return undef;
	}
	my ($code) = $out =~ /^(\d{6})$/m;
	return $code;
}

# ---- database ---------------------------------------------------------------------

# Rows of the SQL query QUERY (run by the superuser) as an array reference
# of hashes, one per row, keyed by column name; undef when psql failed.
sub psql_json ($query) {
	my $out = psql_value("SELECT coalesce(json_agg(q), '[]'::json) "
	    . "FROM ($query) q");
	return undef unless defined $out;
	return eval { JSON::PP->new->utf8->decode($out) };
}

# Audit rows written for the requests with the given ids, oldest first:
# hashes with id, action, result, actor_id, organization_id, address,
# user_agent, target, request_id and details (decoded JSON).
sub audit_rows (@request_ids) {
	my @ids = grep { /^[0-9a-f]+$/ } @request_ids;
	return () unless @ids;
	my $list = join ', ', map { "'$_'" } @ids;
	my $rows = psql_json('SELECT id, action, result, actor_id, '
	    . 'organization_id, host(address) AS address, user_agent, target, '
	    . 'request_id, details FROM sscn.audit_log '
	    . "WHERE request_id IN ($list) ORDER BY id");
	return @{ $rows // [] };
}

# The query of sscn-security(7) that returns the id of every audit row
# that breaks the hash chain, read from the manual page, so that the tests
# run the query that operators are told to run.  Without its semicolon,
# so that it can be a subquery.
sub audit_chain_query () {
	open(my $fh, '<', "$ROOT/man/sscn-security.7")
	    or die "cannot read $ROOT/man/sscn-security.7: $!\n";
	my $page = do { local $/; <$fh> };
	my ($sql) = $page =~ /^or with this query\.\n.*?^\.Bd -literal[^\n]*\n(.*?)^\.Ed$/ms
	    or die "sscn-security(7) has no audit chain query\n";
	$sql =~ s/\\e/\\/g;
	$sql =~ s/;\s*\z//;
	return $sql;
}

# ---- configuration changes -----------------------------------------------------

my $conf_original;

sub _conf_write ($text) {
	my $path = "$DEV/sscn.conf";
	my $tmp = "$path.t-" . random_id();
	open(my $fh, '>', $tmp) or die "write $tmp: $!";
	print $fh $text;
	close $fh or die "write $tmp: $!";
	my $gid = getgrnam('sscn') // 0;
	chown 0, $gid, $tmp or die "chown $tmp: $!";
	chmod 0640, $tmp or die "chmod $tmp: $!";
	rename $tmp, $path or die "rename $tmp to $path: $!";
}

# Send SIGHUP through tools/dev reload and wait until sscnd logs
# reload_finished and none of the old workers remains.  Returns true on
# success, false with a diagnostic otherwise.
sub _reload_and_wait () {
	my $master = master_pid();
	unless ($master) {
		diag("no sscnd master pid in $DEV/run/sscnd.pid");
		return 0;
	}
	my %old = map { $_ => 1 } child_pids($master);
	my $offset = file_size($SSCND_LOG);
	my ($status, $out) = dev_tool('reload', { timeout => 30 });
	if ($status != 0) {
		diag("tools/dev reload failed (exit $status): $out");
		return 0;
	}
	my $result = wait_for(sub {
		my $text = read_from($SSCND_LOG, $offset);
		return 'failed' if $text =~ /event=reload_failed/;
		return 0 unless $text =~ /event=reload_finished/;
		return (grep { $old{$_} } child_pids($master)) ? 0 : 'done';
	}, 60);
	if (($result || '') ne 'done') {
		diag('reload did not finish: ' . ($result || 'timed out') . "\n"
		    . join("\n", grep { /event=reload/ }
		    split /\n/, read_from($SSCND_LOG, $offset)));
		return 0;
	}
	return 1;
}

# Set configuration keys (KEY => VALUE) in $SSCN_DEV/sscn.conf and reload
# sscnd.  A key that the file sets is replaced in place and any other key
# is appended, so no key appears twice.  The first call keeps the original
# text, which conf_restore() writes back; an END block of this module
# restores it too, also when the test dies.  Returns true once every
# worker runs the new configuration.
sub conf_override (%keys) {
	my $path = "$DEV/sscn.conf";
	my $current = do {
		open(my $fh, '<', $path) or die "read $path: $!";
		local $/;
		<$fh>;
	};
	$conf_original //= $current;

	my %left = %keys;
	my @lines;
	for my $line (split /(?<=\n)/, $current) {
		if ($line =~ /^\s*(\w+)\s*=/ && exists $left{$1}) {
			push @lines, "$1 = " . delete($left{$1}) . "\n";
			next;
		}
		push @lines, $line;
	}
	$lines[-1] .= "\n" if @lines && $lines[-1] !~ /\n$/;
	push @lines, map { "$_ = $left{$_}\n" } sort keys %left;
	_conf_write(join '', @lines);
	return _reload_and_wait();
}

# Write back the configuration that conf_override() found and reload.
sub conf_restore () {
	return 1 unless defined $conf_original;
	_conf_write($conf_original);
	undef $conf_original;
	return _reload_and_wait();
}

END {
	if (defined $conf_original) {
		local $?;
		diag('restoring the original configuration and reloading sscnd')
		    unless conf_restore();
	}
}

# ---- concurrency ----------------------------------------------------------------

# Run CODE(i) for i in 0 .. COUNT-1, each in its own child process, all at
# once.  Each call returns a string; the strings come back in order of i,
# undef for a child that failed.  Children leave with POSIX::_exit, so
# they run no END block of the test.
sub parallel_map ($count, $code) {
	my @children;
	for my $i (0 .. $count - 1) {
		pipe(my $reader, my $writer) or die "pipe: $!";
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			close $reader;
			my $out = eval { $code->($i) } // '';
			print $writer $out;
			close $writer;
			POSIX::_exit(0);
		}
		close $writer;
		push @children, [$pid, $reader];
	}
	my @results;
	for my $child (@children) {
		my ($pid, $reader) = @$child;
		local $/;
		my $out = <$reader>;
		close $reader;
		waitpid($pid, 0);
		push @results, $? == 0 ? $out : undef;
	}
	return @results;
}

# ---- key file changes -----------------------------------------------------------

use Fcntl qw(O_CREAT O_EXCL O_WRONLY);

push @EXPORT, qw(key_file_write key_file_restore sscnd_reload);

my $keys_original;

# Write TEXT over PATH with the owner root:sscn and mode 0640 that sscnd
# expects.  The temporary file is created with mode 0600, so the keys are
# never readable by others, and then renamed over PATH.
sub _protected_write ($path, $text, $owner = 'root', $mode = 0640) {
	my $tmp = "$path.t-" . random_id();
	sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)
	    or die "create $tmp: $!";
	print $fh $text;
	close $fh or die "write $tmp: $!";
	my $uid = getpwnam($owner) // 0;
	my $gid = getgrnam('sscn') // 0;
	chown $uid, $gid, $tmp or die "chown $tmp: $!";
	chmod $mode, $tmp or die "chmod $tmp: $!";
	rename $tmp, $path or die "rename $tmp to $path: $!";
}

# The key file as tools/dev leaves it: the service user's, mode 0600, so
# that the master can read it again on a reload.
sub _key_file_write ($text) {
	_protected_write("$DEV/keys", $text, 'sscn', 0600);
}

# Write TEXT over the key file $SSCN_DEV/keys without reloading sscnd;
# sscnd_reload() or conf_override() makes the workers load it.  The first
# call keeps the original text, which key_file_restore() writes back; an
# END block of this module restores it too, also when the test dies.
sub key_file_write ($text) {
	my $path = "$DEV/keys";
	unless (defined $keys_original) {
		open(my $fh, '<', $path) or die "read $path: $!";
		local $/;
		$keys_original = <$fh>;
		close $fh;
	}
	_key_file_write($text);
}

# Write back the key file that key_file_write() found, without reloading.
# Restore the configuration first when it names a signing kid that only
# the changed file has; a reload between the two writes would fail.
sub key_file_restore () {
	return unless defined $keys_original;
	_key_file_write($keys_original);
	undef $keys_original;
}

# Reload sscnd (SIGHUP) and wait until every worker runs the current
# configuration and key file.  Returns true on success.
sub sscnd_reload () {
	return _reload_and_wait();
}

# END blocks run in reverse order of definition, so this one runs before
# the one that restores the configuration, which reloads sscnd itself.
END {
	if (defined $keys_original) {
		local $?;
		my $reload = !defined $conf_original;
		if (!eval { key_file_restore(); 1 }) {
			diag("restoring $DEV/keys failed: $@");
		} elsif ($reload && !_reload_and_wait()) {
			diag("reloading sscnd after restoring $DEV/keys failed");
		}
	}
}

1;
