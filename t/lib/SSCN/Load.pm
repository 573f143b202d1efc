package SSCN::Load;

# Background load for the fault tests (t/70x_*.t): wrk against the dev
# stack while the test breaks something, and the counts from its report.
#
#   my $load = load_start('/api/health/live', seconds => 10);
#   ... break something ...
#   my $result = load_finish($load);   # requests, non_2xx, socket_errors
#
# wrk runs under timeout(1), so a wedged stack cannot hold a test for more
# than the load's length plus 30 s.

use v5.36;

use Exporter qw(import);
use File::Temp qw(tempfile);
use SSCN::Test;
use Test::More;

our @EXPORT = qw(wrk_available load_start load_finish load_finish_clean);

sub wrk_available () {
	my ($status) = run_cmd(['wrk', '--version'], timeout => 10);
	return $status != 127;
}

# Start wrk on PATH.  Options: seconds (default 10), threads (2),
# connections (8), token (sent as a Bearer token), headers ([Name =>
# value, ...] sent with every request), timeout (wrk's per-request
# timeout in seconds, default 5).
sub load_start ($path, %opt) {
	my $seconds = $opt{seconds} // 10;
	my $threads = $opt{threads} // 2;
	my $connections = $opt{connections} // 8;
	my $timeout = $opt{timeout} // 5;

	my @headers;
	my @pairs = @{ $opt{headers} // [] };
	while (my ($name, $value) = splice(@pairs, 0, 2)) {
		push @headers, '-H', "$name: $value";
	}

	my @script;
	if (defined $opt{token}) {
		my ($fh, $file) = tempfile('sscn-load-XXXXXX', TMPDIR => 1,
		    SUFFIX => '.lua', UNLINK => 1);
		print $fh qq{wrk.headers["Authorization"] = "Bearer $opt{token}"\n};
		close $fh;
		@script = ('-s', $file);
	}

	my $pid = open(my $out, '-|', 'timeout', '--kill-after=5', $seconds + 30,
	    'wrk', "-t$threads", "-c$connections", "-d${seconds}s",
	    '--timeout', "${timeout}s", @headers, @script, "$URL$path")
	    // die "cannot start wrk: $!";
	return { out => $out, pid => $pid, path => $path };
}

# Wait for wrk to end; return its counts: requests, non_2xx (wrk's
# "Non-2xx or 3xx responses"), socket_errors (connect, read, write and
# timeout together), exit (wrk's exit status) and report (its output).
sub load_finish ($load) {
	my $fh = $load->{out};
	my $report = do { local $/; <$fh> } // '';
	close $fh;
	my $exit = $? >> 8;

	my ($requests) = $report =~ /(\d+) requests in /;
	my ($non_2xx) = $report =~ /Non-2xx or 3xx responses: (\d+)/;
	my $socket_errors = 0;
	if ($report =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
		$socket_errors = $1 + $2 + $3 + $4;
	}
	return {
	    requests => $requests // 0,
	    non_2xx => $non_2xx // 0,
	    socket_errors => $socket_errors,
	    exit => $exit,
	    report => $report,
	};
}

# Wait for wrk to end and check, with NAME as the prefix, that it made
# requests and saw neither a non-2xx answer nor a socket error.  Returns
# load_finish()'s counts.
sub load_finish_clean ($load, $name) {
	my $result = load_finish($load);
	note($result->{report});
	ok($result->{requests} > 0, "$name: wrk made $result->{requests} requests");
	is($result->{non_2xx}, 0, "$name: zero non-2xx answers to $load->{path}")
	    or diag($result->{report});
	is($result->{socket_errors}, 0, "$name: zero socket errors")
	    or diag($result->{report});
	return $result;
}

1;
