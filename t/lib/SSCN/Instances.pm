package SSCN::Instances;

# Helpers for the tests of several app hosts (t/54*.t): a second sscnd
# beside the dev stack's, with its own configuration, socket, pid file and
# log but the same PostgreSQL, and an nginx whose upstream lists the
# sockets of both.  What the tests start they also stop, in an END block
# when a test dies.
#
# The second sscnd runs from $BUILD/sscnd like the dev stack's and drops
# to the user sscn; its files are $SSCN_DEV/sscnd-NAME.conf,
# $SSCN_DEV/run/sscnd-NAME.sock, $SSCN_DEV/run/sscnd-NAME.pid and
# $SSCN_DEV/log/sscnd-NAME.log.  The nginx lives in $SSCN_DEV/nginx-pool/
# and listens on a free port of 127.0.0.1, plain HTTP.

use v5.36;

use Exporter qw(import);
use IO::Socket::IP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use SSCN::Test;

our @EXPORT = qw(
    start_instance stop_instance instance_running
    start_pool_nginx stop_pool_nginx free_port
);

my %instances;		# name => instance, while running
my $pool;		# the pool nginx, while running

# A TCP port of 127.0.0.1 that nothing listens on at the moment.
sub free_port () {
	my $sock = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1) or die "no free port: $!";
	my $port = $sock->sockport;
	close $sock;
	return $port;
}

# The dev configuration with KEY => VALUE pairs replaced or appended.
sub _conf_with (%keys) {
	my $path = "$DEV/sscn.conf";
	open(my $fh, '<', $path) or die "read $path: $!";
	my @lines;
	while (my $line = <$fh>) {
		if ($line =~ /^\s*(\w+)\s*=/ && exists $keys{$1}) {
			push @lines, "$1 = " . delete($keys{$1}) . "\n";
			next;
		}
		push @lines, $line;
	}
	close $fh;
	push @lines, map { "$_ = $keys{$_}\n" } sort keys %keys;
	return join '', @lines;
}

# Write TEXT to PATH as root:sscn with mode 0640, as sscnd expects of its
# configuration file.
sub _write_conf ($path, $text) {
	my $tmp = "$path.t-" . random_id();
	open(my $fh, '>', $tmp) or die "write $tmp: $!";
	print $fh $text;
	close $fh or die "write $tmp: $!";
	chown 0, scalar(getgrnam('sscn') // 0), $tmp or die "chown $tmp: $!";
	chmod 0640, $tmp or die "chmod $tmp: $!";
	rename $tmp, $path or die "rename $tmp: $!";
}

# Start a second sscnd called NAME with the dev configuration, its own
# socket, and the options workers (default 2) and conf (a hash of more
# keys to replace), and wait until it answers GET /api/health/live on its
# socket.  Returns {name, pid, socket, log, conf, pid_file}; dies when it
# does not start within 15 s.
sub start_instance ($name, %opt) {
	my $socket = "$DEV/run/sscnd-$name.sock";
	my %inst = (
	    name => $name,
	    socket => $socket,
	    conf => "$DEV/sscnd-$name.conf",
	    log => "$DEV/log/sscnd-$name.log",
	    pid_file => "$DEV/run/sscnd-$name.pid",
	);
	_write_conf($inst{conf}, _conf_with(socket => $socket,
	    workers => $opt{workers} // 2, %{ $opt{conf} // {} }));

	# A socket file left by an earlier run that was killed; sscnd
	# itself refuses to start only when something still listens.
	unlink $socket if -S $socket;

	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		POSIX::setsid();
		delete @ENV{qw(NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES)};
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $inst{log});
		open(STDERR, '>&', \*STDOUT);
		exec("$BUILD/sscnd", '-c', $inst{conf}) or do {
			print STDERR "cannot run $BUILD/sscnd: $!\n";
			POSIX::_exit(127);
		};
	}
	$inst{pid} = $pid;
	$instances{$name} = \%inst;
	open(my $fh, '>', $inst{pid_file}) or die "write $inst{pid_file}: $!";
	print $fh "$pid\n";
	close $fh;

	my $up = wait_for(sub {
		return 0 unless -S $socket;
		my $res = fcgi_request(socket => $socket, timeout => 2,
		    params => [fcgi_params('GET', '/api/health/live')]);
		return ($res->{status} // 0) == 200;
	}, 15, 0.1);
	unless ($up) {
		my $log = read_from($inst{log}, 0);
		stop_instance(\%inst);
		die "sscnd $name did not answer on $socket within 15 s:\n$log";
	}
	return \%inst;
}

sub instance_running ($inst) {
	return waitpid($inst->{pid}, POSIX::WNOHANG()) == 0;
}

# Send SIGTERM to the master of INST and wait up to TIMEOUT seconds
# (default 45, above the default shutdown_timeout of 30 s) for it to exit.
# Returns (exit status or undef when it did not exit, seconds taken).  A
# master still running then is killed with its process group.
sub stop_instance ($inst, $timeout = 45) {
	my $t0 = time;
	my $status;
	if (kill('TERM', $inst->{pid})) {
		wait_for(sub {
			my $done = waitpid($inst->{pid}, POSIX::WNOHANG());
			$status = $? >> 8 if $done == $inst->{pid};
			return $done != 0;
		}, $timeout, 0.05);
	}
	my $took = time - $t0;
	unless (defined $status) {
		kill('KILL', -$inst->{pid});
		waitpid($inst->{pid}, 0);
	}
	unlink $inst->{pid_file};
	delete $instances{$inst->{name}};
	return ($status, $took);
}

# Start an nginx on 127.0.0.1 whose upstream lists SOCKETS, for /api/
# only.  nginx passes a request on to the next server only when it could
# not connect or send it, or got no answer in time (fastcgi_next_upstream
# error timeout), and never sends a POST or PATCH a second time once it
# was sent.  Returns {port, url, access_log, error_log}; dies when nginx
# does not start.
sub start_pool_nginx (@sockets) {
	my $dir = "$DEV/nginx-pool";
	mkdir $dir;
	mkdir "$dir/tmp";
	my $port = free_port();
	my %p = (
	    port => $port,
	    url => "http://127.0.0.1:$port",
	    dir => $dir,
	    conf => "$dir/nginx.conf",
	    pid_file => "$dir/nginx.pid",
	    access_log => "$DEV/log/nginx-pool-access.log",
	    error_log => "$DEV/log/nginx-pool-error.log",
	);
	my $servers = join '', map { "\t\tserver unix:$_;\n" } @sockets;
	open(my $fh, '>', $p{conf}) or die "write $p{conf}: $!";
	print $fh <<"EOF";
# Written by t/lib/SSCN/Instances.pm for the tests of several app hosts.
user www-data;
worker_processes 1;
pid $p{pid_file};
error_log $p{error_log};

events {
	worker_connections 1024;
}

http {
	client_body_temp_path $dir/tmp/client_body;
	fastcgi_temp_path $dir/tmp/fastcgi;
	proxy_temp_path $dir/tmp/proxy;
	scgi_temp_path $dir/tmp/scgi;
	uwsgi_temp_path $dir/tmp/uwsgi;

	log_format pool '\$remote_addr "\$request" \$status '
			'request_id=\$request_id upstream=\$upstream_addr '
			'upstream_status=\$upstream_status';
	access_log $p{access_log} pool;

	geo \$sscn_health_detail {
		default 0;
	}

	upstream sscnd_pool {
$servers	}

	server {
		listen 127.0.0.1:$port;
		server_name localhost;
		server_tokens off;

		location /api/ {
			client_body_buffer_size 1m;
			include $DEV/nginx/snippets/fastcgi_sscn.conf;
			fastcgi_pass sscnd_pool;
			fastcgi_next_upstream error timeout;
		}
	}
}
EOF
	close $fh;

	my @nginx = ('/usr/sbin/nginx', '-p', "$dir/", '-c', $p{conf},
	    '-e', $p{error_log});
	my ($status, $out) = run_cmd([@nginx, '-t', '-q'], timeout => 30);
	die "nginx rejected $p{conf}: $out" if $status != 0;
	($status, $out) = run_cmd(\@nginx, timeout => 30);
	die "nginx did not start: $out" if $status != 0;
	wait_for(sub { -s $p{pid_file} }, 5, 0.1)
	    or die "nginx did not write $p{pid_file}";
	open(my $pf, '<', $p{pid_file}) or die "read $p{pid_file}: $!";
	($p{pid}) = (<$pf> // '') =~ /(\d+)/;
	close $pf;
	$pool = \%p;
	return \%p;
}

# Stop the pool nginx gracefully (SIGQUIT) and wait for it.
sub stop_pool_nginx () {
	return unless $pool;
	kill('QUIT', $pool->{pid});
	wait_for(sub { !process_alive($pool->{pid}) }, 15, 0.1)
	    or kill('TERM', $pool->{pid});
	undef $pool;
}

END {
	local $?;
	stop_pool_nginx();
	for my $inst (values %instances) {
		diag("stopping sscnd $inst->{name} (pid $inst->{pid})");
		stop_instance($inst);
	}
}

1;
