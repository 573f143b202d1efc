package SSCN::Mail;

# Helpers for the mail delivery tests (t/44N_*.t): a tools/smtp-sink
# server on 127.0.0.1 that the test starts, a copy of the dev configuration
# that points the sender at it, runs of "sscnctl mail-send", and the
# messages the server stored.
#
# The dev stack runs its own sender (tools/dev up), which would deliver
# the test's mail to the dev mail server; start_test_mail() stops it and
# an END block starts it again when it was running.

use v5.36;

use Exporter qw(import);
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use SSCN::Test;

our @EXPORT = qw(
    start_test_mail start_sink stop_sink sender_conf mail_send
    start_sender_loop sink_messages messages_to header_values body_of
    outbox_row outbox_ids
);

my $TMP;
my $DEV_SENDER_WAS_RUNNING;

# Pause the dev stack's sender and make a temporary directory.
sub start_test_mail () {
	$TMP = tempdir('sscn-mail-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	$DEV_SENDER_WAS_RUNNING = -s "$DEV/run/mail-send.pid" ? 1 : 0;
	my ($status, $out) = dev_tool('mail-stop');
	diag("tools/dev mail-stop failed: $out") if $status != 0;
	return $TMP;
}

END {
	dev_tool('mail-start') if $DEV_SENDER_WAS_RUNNING;
}

sub _free_port () {
	my $socket = IO::Socket::IP->new(LocalHost => '127.0.0.1',
	    LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "bind: $!";
	my $port = $socket->sockport;
	close $socket;
	return $port;
}

# Start tools/smtp-sink on a free loopback port.  Options: port (reuse a
# port), dir (default: a new directory), no_starttls, data_delay (seconds),
# reject_rcpt (text).  Returns {pid, port, dir, log}, or undef with a
# diagnostic.
sub start_sink (%opt) {
	my $port = $opt{port} // _free_port();
	my $dir = $opt{dir} // tempdir('box-XXXXXX', DIR => $TMP);
	my $log = "$dir.log";
	my $offset = file_size($log) // 0;
	my @args = ('/usr/bin/python3', "$ROOT/tools/smtp-sink", '--port', $port,
	    '--dir', $dir);
	push @args, '--cert', "$DEV/tls/cert.pem", '--key', "$DEV/tls/key.pem"
	    unless $opt{no_starttls};
	push @args, '--no-starttls' if $opt{no_starttls};
	push @args, '--data-delay', $opt{data_delay} if $opt{data_delay};
	push @args, '--reject-rcpt', $opt{reject_rcpt} if $opt{reject_rcpt};

	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>&', \*STDOUT);
		exec(@args) or exit 127;
	}
	# A restarted server appends to the log of the one before.
	my $ready = wait_for(sub {
		return (read_from($log, $offset) // '') =~ /listening on/;
	}, 10);
	unless ($ready) {
		diag("smtp-sink did not start on port $port");
		stop_sink({ pid => $pid });
		return undef;
	}
	return { pid => $pid, port => $port, dir => $dir, log => $log };
}

sub stop_sink ($sink) {
	return unless $sink && $sink->{pid};
	kill 'TERM', $sink->{pid};
	waitpid($sink->{pid}, 0);
	delete $sink->{pid};
}

# Write a copy of the dev configuration whose sender uses SINK, with the
# given keys replaced.  Returns its path.
sub sender_conf ($sink, %keys) {
	my %set = (
	    smtp_url => "smtp://localhost:$sink->{port}",
	    smtp_ca_file => "$DEV/tls/cert.pem",
	    mail_from => 'noreply@sscn.test',
	    mail_from_name => 'SSCN Tests',
	    mail_retry_delay => 1,
	    mail_retry_delay_max => 2,
	    smtp_timeout => 10,
	    log_level => 'info',
	    %keys,
	);
	open(my $in, '<', "$DEV/sscn.conf") or die "$DEV/sscn.conf: $!";
	my $path = "$TMP/sscn-" . random_id() . '.conf';
	open(my $out, '>', $path) or die "$path: $!";
	chmod 0600, $path;
	while (my $line = <$in>) {
		my ($key) = $line =~ /^\s*([a-z_0-9]+)\s*=/;
		next if defined $key && exists $set{$key};
		print $out $line;
	}
	print $out "$_ = $set{$_}\n" for sort keys %set;
	close $out;
	return $path;
}

# Run "sscnctl -c CONF mail-send ARGS" (default --once); returns (exit
# status, output).
sub mail_send ($conf, @args) {
	@args = ('--once') unless @args;
	return run_cmd(["$BUILD/sscnctl", '-c', $conf, 'mail-send', @args],
	    timeout => 60);
}

# Start "mail-send --loop" in the background; returns its pid.  Its
# output goes to LOG.
sub start_sender_loop ($conf, $log) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log);
		open(STDERR, '>&', \*STDOUT);
		exec("$BUILD/sscnctl", '-c', $conf, 'mail-send', '--loop')
		    or exit 127;
	}
	return $pid;
}

# Parse one stored message: {file, raw, headers => [[name, value], ...]
# with folded lines joined, body}.
sub _parse ($file) {
	open(my $fh, '<:raw', $file) or return undef;
	local $/;
	my $raw = <$fh>;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	my @headers;
	for my $line (split /\r\n/, $head) {
		if ($line =~ /^[ \t]/ && @headers) {
			$headers[-1][1] .= "\r\n$line";
		} elsif ($line =~ /^([^:\s]+):[ \t]?(.*)$/) {
			push @headers, [$1, $2];
		} else {
			push @headers, ['', $line];
		}
	}
	return { file => $file, raw => $raw, headers => \@headers,
	    body => $body // '' };
}

# Every message SINK stored, oldest first.
sub sink_messages ($sink) {
	opendir(my $dh, $sink->{dir}) or return ();
	my @files = sort grep { /\.eml$/ } readdir $dh;
	return grep { defined } map { _parse("$sink->{dir}/$_") } @files;
}

# The messages SINK stored for the envelope recipient ADDRESS.
sub messages_to ($sink, $address) {
	return grep {
		my $m = $_;
		grep { lc $_ eq lc $address } header_values($m, 'Delivered-To')
	} sink_messages($sink);
}

# The values of header NAME (case-insensitive) in MESSAGE.
sub header_values ($message, $name) {
	return map { $_->[1] }
	    grep { lc $_->[0] eq lc $name } @{ $message->{headers} };
}

# MESSAGE's body as text: 8bit as it is, quoted-printable decoded.
sub body_of ($message) {
	my ($cte) = header_values($message, 'Content-Transfer-Encoding');
	my $body = $message->{body};
	if (($cte // '') eq 'quoted-printable') {
		require MIME::QuotedPrint;
		$body = MIME::QuotedPrint::decode_qp($body);
	}
	utf8::decode($body);
	return $body;
}

# Ids of the outbox rows to EMAIL, oldest first, optionally only those
# of TEMPLATE.
sub outbox_ids ($email, $template = undef) {
	my $index = email_index_of($email) // return ();
	my $where = "recipient_index = '$index'::bytea";
	$where .= " AND template = '$template'" if defined $template;
	my $ids = psql_value("SELECT string_agg(id::text, ',' ORDER BY id) "
	    . "FROM sscn.mail_outbox WHERE $where") // '';
	return split /,/, $ids;
}

# State, attempts, message_id and last_error of outbox row ID, as a hash.
sub outbox_row ($id) {
	my $row = psql_value("SELECT state || '|' || attempts || '|' || "
	    . "coalesce(message_id, '') || '|' || coalesce(last_error, '') "
	    . "|| '|' || (next_attempt_at IS NOT NULL) "
	    . "FROM sscn.mail_outbox WHERE id = $id") // '';
	my ($state, $attempts, $message_id, $error, $scheduled) =
	    split /\|/, $row, 5;
	return { state => $state // '', attempts => $attempts // '',
	    message_id => $message_id // '', last_error => $error // '',
	    scheduled => ($scheduled // '') eq 'true' };
}

1;
