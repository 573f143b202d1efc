package SSCN::Sentry;

# A mock Sentry for the error-report tests: an HTTPS server on 127.0.0.1
# with a certificate made for the run, which stores every request it gets
# and answers as the test tells it.
#
#   my $mock = SSCN::Sentry->start;
#   conf_override($mock->conf_keys);     # sentry_dsn, outbound_ca_file
#   $mock->mode('ok');                   # 200 with {"id": ...}
#   $mock->mode('hang', 10);             # read the request, answer after 10 s
#   $mock->mode('429', 3);               # 429 with Retry-After: 3, once
#   my @envelopes = $mock->envelopes;    # what arrived, in order
#
# Each request is handled in its own child process, so a hanging answer
# does not keep the next request waiting.  Requests are stored as files
# under the mock's directory in $SSCN_DEV, which sscnd's user can read for
# the CA file.  The server stops when the object is destroyed.

use v5.36;

use File::Path qw(make_path remove_tree);
use IO::Socket::IP;
use IO::Socket::SSL;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);

use SSCN::Test qw($DEV random_id wait_for);

my $JSON = JSON::PP->new->utf8->canonical;

# Sentry's public key and project id in the DSN that the tests configure.
our $PUBLIC_KEY = 'f00dfeed0123456789abcdef01234567';
our $PROJECT_ID = '4242';

sub start ($class) {
	my $dir = "$DEV/sentry-mock-" . random_id();
	make_path("$dir/requests");
	chmod 0755, $dir;
	my $cert = "$dir/cert.pem";
	my $key = "$dir/key.pem";
	# The paths hold only characters of $DEV and random_id().
	system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
	    . "-nodes -days 1 -subj /CN=127.0.0.1 "
	    . "-addext subjectAltName=IP:127.0.0.1 -keyout '$key' -out '$cert' "
	    . '>/dev/null 2>&1') == 0 or die "openssl req failed\n";
	chmod 0644, $cert;

	my $listener = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => 0, Listen => 16, ReuseAddr => 1)
	    or die "listen on 127.0.0.1: $!\n";
	my $self = bless { dir => $dir, port => $listener->sockport,
	    cert => $cert, parent => $$ }, $class;
	$self->mode('ok');

	my $pid = fork() // die "fork: $!\n";
	if ($pid == 0) {
		$self->_serve($listener, $key);
		POSIX::_exit(0);
	}
	close $listener;
	$self->{pid} = $pid;
	return $self;
}

sub port ($self) { $self->{port} }
sub ca_file ($self) { $self->{cert} }

sub dsn ($self) {
	return "https://$PUBLIC_KEY\@127.0.0.1:$self->{port}/$PROJECT_ID";
}

# The configuration keys that point sscnd at this mock.
sub conf_keys ($self) {
	return (sentry_dsn => '"' . $self->dsn . '"',
	    outbound_ca_file => $self->{cert},
	    sentry_environment => 'test');
}

# Set how the next requests are answered: "ok", "hang" SECONDS, or
# "429" SECONDS (one 429 with Retry-After: SECONDS, then "ok").
sub mode ($self, $mode, $arg = 0) {
	my $tmp = "$self->{dir}/mode.tmp";
	open(my $fh, '>', $tmp) or die "write $tmp: $!";
	print $fh "$mode $arg\n";
	close $fh;
	rename $tmp, "$self->{dir}/mode" or die "rename $tmp: $!";
}

sub _read_mode ($self) {
	open(my $fh, '<', "$self->{dir}/mode") or return ('ok', 0);
	my $line = <$fh> // '';
	return split ' ', $line;
}

sub _serve ($self, $listener, $key) {
	$SIG{CHLD} = 'IGNORE';
	while (1) {
		my $client = $listener->accept or next;
		my $pid = fork();
		if (defined $pid && $pid == 0) {
			close $listener;
			eval { $self->_handle($client, $key) };
			POSIX::_exit(0);
		}
		close $client;
	}
}

sub _handle ($self, $client, $key) {
	IO::Socket::SSL->start_SSL($client, SSL_server => 1,
	    SSL_cert_file => $self->{cert}, SSL_key_file => $key,
	    Timeout => 5) or return;

	# Request line and headers, then Content-Length bytes of body.
	my $head = '';
	while (my $line = <$client>) {
		$head .= $line;
		last if $line eq "\r\n";
	}
	my ($request_line, @lines) = split /\r\n/, $head;
	my %headers;
	for (@lines) {
		$headers{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
	}
	my $body = '';
	my $len = $headers{'content-length'} // 0;
	while (length($body) < $len) {
		my $n = read($client, $body, $len - length($body), length $body);
		last unless $n;
	}

	my $id = sprintf('%.6f-%s', time, random_id());
	my $record = { request_line => $request_line, headers => \%headers,
	    body => $body, raw => $head . $body };
	my $tmp = "$self->{dir}/requests/.$id";
	open(my $fh, '>', $tmp) or return;
	print $fh $JSON->encode($record);
	close $fh;
	rename $tmp, "$self->{dir}/requests/$id";

	my ($mode, $arg) = $self->_read_mode;
	if ($mode eq 'hang') {
		sleep $arg;
	} elsif ($mode eq '429') {
		$self->mode('ok');
		print $client "HTTP/1.1 429 Too Many Requests\r\n"
		    . "Retry-After: $arg\r\nContent-Length: 0\r\n"
		    . "Connection: close\r\n\r\n";
		return;
	}
	my $answer = '{"id":"' . random_id() . '"}';
	print $client "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    . 'Content-Length: ' . length($answer)
	    . "\r\nConnection: close\r\n\r\n$answer";
}

# Every request received so far, oldest first, as hashes with
# request_line, headers (lower-case names), body and raw (all bytes).
sub requests ($self) {
	opendir(my $dh, "$self->{dir}/requests") or return ();
	my @names = sort grep { !/^\./ } readdir $dh;
	my @out;
	for my $name (@names) {
		open(my $fh, '<', "$self->{dir}/requests/$name") or next;
		local $/;
		push @out, $JSON->decode(<$fh>);
	}
	return @out;
}

# Split an envelope body into its header, item header and event payload.
sub parse_envelope ($body) {
	my ($header, $item, $payload) = split /\n/, $body, 3;
	$payload =~ s/\n\z// if defined $payload;
	return (eval { $JSON->decode($header) }, eval { $JSON->decode($item) },
	    $payload, eval { $JSON->decode($payload // '') });
}

# Wait until at least COUNT requests arrived; returns them all.
sub wait_requests ($self, $count, $timeout = 10) {
	wait_for(sub { scalar($self->requests) >= $count }, $timeout);
	return $self->requests;
}

# The events received so far, each the decoded payload of an envelope.
sub events ($self) {
	return map { (parse_envelope($_->{body}))[3] } $self->requests;
}

sub stop ($self) {
	return unless $self->{pid} && $$ == $self->{parent};
	kill 'TERM', $self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
	remove_tree($self->{dir});
}

sub DESTROY ($self) {
	local ($?, $@);
	$self->stop;
}

1;
