package SSCN::Oidc;

# Helpers for the sign-in with LinkedIn tests (t/40x_oidc_*.t): the mock
# OpenID provider of t/oidc_mock.py on 127.0.0.1, with a certificate
# authority made for the run that sscnd trusts through outbound_ca_file,
# and the browser's side of the flow.
#
# oidc_setup() starts the mock and points the linkedin_* keys of the dev
# configuration at it (conf_override() of SSCN::Test, restored at the end
# of the test); an END block stops the mock and removes its files.

use v5.36;

use Exporter qw(import);
use File::Path qw(remove_tree);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;

use SSCN::Test;

our @EXPORT = qw(
    oidc_setup mock_control mock_requests oidc_start mock_authorize
    oidc_callback oidc_sign_in query_params new_sub
    $CLIENT_ID $CLIENT_SECRET
);

our $CLIENT_ID = 'sscn-test-client';
our $CLIENT_SECRET = 'mock-secret-' . random_id();

my ($mock_dir, $mock_pid, $mock_port);

sub _run (@cmd) {
	my ($status, $out) = run_cmd(\@cmd);
	die "@cmd[0..1] failed: $out" if $status != 0;
}

# Make a CA and a server certificate for 127.0.0.1 in $mock_dir.
sub _make_certificates () {
	my $d = $mock_dir;
	_run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
	    '-keyout', "$d/ca.key", '-out', "$d/ca.pem", '-days', '1',
	    '-subj', '/CN=SSCN test CA');
	_run('openssl', 'req', '-newkey', 'rsa:2048', '-nodes',
	    '-keyout', "$d/server.key", '-out', "$d/server.csr",
	    '-subj', '/CN=127.0.0.1');
	open(my $ext, '>', "$d/server.ext") or die "write server.ext: $!";
	print $ext "subjectAltName = IP:127.0.0.1\n";
	close $ext;
	_run('openssl', 'x509', '-req', '-in', "$d/server.csr", '-CA',
	    "$d/ca.pem", '-CAkey', "$d/ca.key", '-CAcreateserial',
	    '-out', "$d/server.pem", '-days', '1', '-extfile', "$d/server.ext");
}

# Start the mock and configure sscnd for it.  Returns true when ready.
sub oidc_setup (%conf) {
	$mock_dir = "$DEV/oidc-test-$$";
	mkdir $mock_dir, 0755 or die "mkdir $mock_dir: $!";
	_make_certificates();
	chmod 0644, "$mock_dir/ca.pem";

	# The secret file: readable by the group sscn only, as sscnd requires.
	my $secret = "$mock_dir/client-secret";
	open(my $fh, '>', $secret) or die "write $secret: $!";
	print $fh "$CLIENT_SECRET\n";
	close $fh;
	chown 0, scalar(getgrnam('sscn')) // 0, $secret;
	chmod 0640, $secret;

	$mock_pid = fork // die "fork: $!";
	if ($mock_pid == 0) {
		exec('/usr/bin/python3', "$ROOT/t/oidc_mock.py", '--dir', $mock_dir,
		    '--cert', "$mock_dir/server.pem", '--key',
		    "$mock_dir/server.key", '--client-id', $CLIENT_ID,
		    '--client-secret', $CLIENT_SECRET) or POSIX::_exit(127);
	}
	wait_for(sub { -s "$mock_dir/port" }, 15)
	    or return fail('mock OpenID provider started');
	$mock_port = do {
		open(my $p, '<', "$mock_dir/port") or die;
		scalar <$p>;
	};
	chomp $mock_port;
	my $base = "https://127.0.0.1:$mock_port";
	return conf_override(
	    outbound_ca_file => "$mock_dir/ca.pem",
	    linkedin_client_id => $CLIENT_ID,
	    linkedin_client_secret_file => $secret,
	    linkedin_authorization_endpoint => "$base/authorize",
	    linkedin_token_endpoint => "$base/token",
	    linkedin_jwks_uri => "$base/jwks",
	    linkedin_issuer => $base,
	    linkedin_timeout => 3,
	    %conf);
}

END {
	# waitpid() sets $?, which would become the test's exit status.
	local $?;
	if ($mock_pid) {
		kill 'TERM', $mock_pid;
		waitpid($mock_pid, 0);
	}
	remove_tree($mock_dir) if $mock_dir && -d $mock_dir;
}

# Write the mock's control file (see t/oidc_mock.py).
sub mock_control (%control) {
	my $path = "$mock_dir/control.json";
	open(my $fh, '>', "$path.tmp") or die "write $path: $!";
	print $fh JSON::PP->new->canonical->encode(\%control);
	close $fh;
	rename "$path.tmp", $path or die "rename $path: $!";
}

# The requests the mock has recorded, as hashes, oldest first.
sub mock_requests () {
	open(my $fh, '<', "$mock_dir/requests.log") or return ();
	return map { decode_json($_) } <$fh>;
}

# Percent-decode one query component.
sub _unescape ($text) {
	return $text =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger;
}

# The decoded parameters of a URL's query.
sub query_params ($url) {
	my ($query) = $url =~ /\?(.*)$/ or return {};
	return { map { my ($k, $v) = split /=/, $_, 2;
	    (_unescape($k), _unescape(($v // '') =~ tr/+/ /r)) }
	    split /&/, $query };
}

# A fresh LinkedIn subject id.
sub new_sub () {
	return 'sub' . random_id();
}

# GET /start.  Returns the response, the state cookie's value and the
# Location URL.
sub oidc_start () {
	my $res = api('GET', '/api/v1/auth/linkedin/start');
	my $cookie = set_cookies($res)->{'__Host-sscn_oidc'};
	return ($res, $cookie ? $cookie->{value} : undef,
	    header($res, 'Location') // '');
}

# Follow the authorization URL at the mock, as the browser would; returns
# the callback URL the mock redirects to, or undef.
sub mock_authorize ($url) {
	my $http = HTTP::Tiny->new(max_redirect => 0, timeout => 10,
	    verify_SSL => 1, SSL_options => { SSL_ca_file => "$mock_dir/ca.pem" });
	my $res = $http->get($url);
	return $res->{status} == 302 ? $res->{headers}{location} : undef;
}

# GET the callback at sscnd with the query of "callback_url" and the
# state cookie "browser" (none when undef).
sub oidc_callback ($callback_url, $browser) {
	my ($path) = $callback_url =~ m{^https?://[^/]+(/.*)$};
	$path //= $callback_url;
	return api('GET', $path, defined $browser
	    ? (cookies => { '__Host-sscn_oidc' => $browser }) : ());
}

# The whole flow with the mock's behaviour "control": returns the
# callback's response.
sub oidc_sign_in (%control) {
	mock_control(%control);
	my ($start, $browser, $location) = oidc_start();
	my $callback = mock_authorize($location);
	return undef unless defined $callback;
	return oidc_callback($callback, $browser);
}

1;
