#!/usr/bin/perl
# Login: the answer and its cookies, browser (cookie) mode with the CSRF
# double-submit check, the same 401 for every kind of failure, passwords
# that are neither truncated nor compared before Unicode normalization,
# and bcrypt hashes imported by `sscnctl import-users` that work and are
# replaced by Argon2id at the first login.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use SSCN::Test;
use Test::More;
use Time::HiRes qw(time);
use Unicode::Normalize qw(NFC NFD);

require_stack();

my $addr = client_addr();

my $user = verified_user(full_name => 'Noor Lindqvist');
ok($user, 'verified user for login') or BAIL_OUT('cannot create a user');

# ---- a successful login ----------------------------------------------------------

my $login = login_user($user);
my $body = is_json_ok($login, 200, 'login');
is_deeply([sort keys %{ $body // {} }],
    [qw(access_token expires_in token_type user)],
    'login: keys access_token, token_type, expires_in, user');
is($body->{token_type}, 'Bearer', 'login: token_type Bearer');
like($body->{expires_in} // '', qr/^[1-9]\d*$/, 'login: expires_in in seconds');
is($body->{user}{email}, $user->{email}, 'login: user.email');
is($body->{user}{full_name}, 'Noor Lindqvist', 'login: user.full_name');
like($body->{user}{id} // '', qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'login: user.id is a UUID');
ok(JSON::PP::is_bool($body->{user}{mfa_enabled}) && !$body->{user}{mfa_enabled},
    'login: user.mfa_enabled false');

my $claims = jwt_claims($login->{token}) // {};
is($claims->{sub}, $body->{user}{id}, 'access token: sub is the user id');
is($claims->{exp} - $claims->{iat}, $body->{expires_in},
    'access token: lifetime equals expires_in');

{
	my $me = api('GET', '/api/v1/me', token => $login->{token});
	my $profile = is_json_ok($me, 200, 'GET /me with the bearer token');
	is($profile->{email}, $user->{email}, 'GET /me: own e-mail');
	is(header($me, 'API-Version'), '1', 'GET /me: API-Version 1');
}

# ---- cookies ---------------------------------------------------------------------

my $cookies = set_cookies($login);
my $session = $cookies->{'__Host-sscn_session'};
my $csrf = $cookies->{'__Host-sscn_csrf'};
ok($session, 'login: sets __Host-sscn_session') or diag(join "\n",
    header($login, 'Set-Cookie'));
ok($csrf, 'login: sets __Host-sscn_csrf');
is($session->{value}, $login->{token},
    'session cookie: holds the access token');
for my $cookie (['session', $session], ['csrf', $csrf]) {
	my ($name, $c) = @$cookie;
	my $attrs = $c ? $c->{attrs} : {};
	is($attrs->{path}, '/', "$name cookie: Path=/");
	ok(exists $attrs->{secure}, "$name cookie: Secure");
	is($attrs->{samesite}, 'Strict', "$name cookie: SameSite=Strict");
	ok(!exists $attrs->{domain}, "$name cookie: no Domain")
	    or diag($c->{raw});
}
ok(exists $session->{attrs}{httponly}, 'session cookie: HttpOnly');
ok(!exists $csrf->{attrs}{httponly}, 'csrf cookie: readable, no HttpOnly');
cmp_ok(length($csrf->{value} // ''), '>=', 32,
    'csrf cookie: value of at least 32 characters');

# ---- browser mode: cookies plus X-CSRF-Token ---------------------------------------

{
	my %jar = ('__Host-sscn_session' => $session->{value},
	    '__Host-sscn_csrf' => $csrf->{value});

	my $res = api('GET', '/api/v1/me', cookies => \%jar);
	is_json_ok($res, 200, 'cookie mode GET /me without X-CSRF-Token');

	$res = api('PATCH', '/api/v1/me', cookies => \%jar,
	    json => { full_name => 'Noor L.' });
	is_error_response($res, 403, 'forbidden',
	    'cookie mode PATCH /me without X-CSRF-Token');

	$res = api('PATCH', '/api/v1/me', cookies => \%jar,
	    csrf => 'x' x length $csrf->{value}, json => { full_name => 'Noor L.' });
	is_error_response($res, 403, 'forbidden',
	    'cookie mode PATCH /me with a wrong X-CSRF-Token');

	$res = api('PATCH', '/api/v1/me', cookies => { '__Host-sscn_session' =>
	    $session->{value} }, csrf => $csrf->{value},
	    json => { full_name => 'Noor L.' });
	is_error_response($res, 403, 'forbidden',
	    'cookie mode PATCH /me with X-CSRF-Token but no csrf cookie');

	$res = api('PATCH', '/api/v1/me', cookies => \%jar, csrf => $csrf->{value},
	    json => { full_name => 'Noor L.' });
	my $profile = is_json_ok($res, 200,
	    'cookie mode PATCH /me with the right X-CSRF-Token');
	is($profile->{full_name}, 'Noor L.', 'cookie mode PATCH /me: name changed');

	$res = api('POST', '/api/v1/auth/refresh', cookies => \%jar);
	is_error_response($res, 403, 'forbidden',
	    'cookie mode refresh without X-CSRF-Token');
	$res = api('POST', '/api/v1/auth/refresh', cookies => \%jar,
	    csrf => $csrf->{value});
	my $refreshed = is_json_ok($res, 200, 'cookie mode refresh with X-CSRF-Token');
	my $renewed = set_cookies($res);
	is($renewed->{'__Host-sscn_session'}{value}, $refreshed->{access_token},
	    'cookie mode refresh: new session cookie holds the new token');
	%jar = ('__Host-sscn_session' => $renewed->{'__Host-sscn_session'}{value},
	    '__Host-sscn_csrf' => $renewed->{'__Host-sscn_csrf'}{value})
	    if $renewed->{'__Host-sscn_session'} && $renewed->{'__Host-sscn_csrf'};

	# A bearer token needs no X-CSRF-Token: no cookie, no CSRF risk.
	$res = api('PATCH', '/api/v1/me', token => $refreshed->{access_token},
	    json => { full_name => 'Noor Lindqvist' });
	is_json_ok($res, 200, 'bearer PATCH /me without X-CSRF-Token');

	$res = api('POST', '/api/v1/auth/logout', cookies => \%jar);
	is_error_response($res, 403, 'forbidden',
	    'cookie mode logout without X-CSRF-Token');
	$res = api('POST', '/api/v1/auth/logout', cookies => \%jar,
	    csrf => $jar{'__Host-sscn_csrf'});
	is($res->{status}, 204, 'cookie mode logout with X-CSRF-Token: 204')
	    or diag($res->{body});
	my $cleared = set_cookies($res);
	for my $name ('__Host-sscn_session', '__Host-sscn_csrf') {
		is($cleared->{$name}{attrs}{'max-age'}, '0',
		    "logout: $name cleared with Max-Age=0");
	}
	$res = api('GET', '/api/v1/me', cookies => \%jar);
	is_error_response($res, 401, 'unauthorized',
	    'cookie mode GET /me after logout');
}

# ---- every failure looks the same ------------------------------------------------

{
	my $unverified = (register_user())[0];
	my %failures = (
	    'unknown e-mail' => login_user({ email => unique_email('nobody'),
		password => strong_password() }, addr => $addr),
	    'wrong password' => login_user($user, password => strong_password(),
		addr => $addr),
	    'unverified account' => login_user($unverified, addr => $addr),
	    'invalid e-mail' => login_user({ email => 'not-an-address',
		password => strong_password() }, addr => $addr),
	);
	my $reference = $failures{'wrong password'}{json};
	for my $name (sort keys %failures) {
		my $res = $failures{$name};
		is_error_response($res, 401, 'invalid_credentials', "login $name");
		is_deeply(json_shape($res->{json}), json_shape($reference),
		    "login $name: same body shape as a wrong password");
		is($res->{json}{error}{message}, $reference->{error}{message},
		    "login $name: same message as a wrong password");
		ok(!defined header($res, 'Set-Cookie'), "login $name: no cookie");
	}
}

# An unknown address costs one Argon2id verification too, so the time of
# the answer does not tell whether the account exists.  Three samples each
# keep the user below the lock (one failure is already counted above).
{
	my $nobody = { email => unique_email('nobody'), password => strong_password() };
	my (@known, @unknown);
	for (1 .. 3) {
		my $start = time;
		login_user($user, password => strong_password(), addr => $addr);
		push @known, time - $start;
		$start = time;
		login_user($nobody, addr => $addr);
		push @unknown, time - $start;
	}
	my ($known) = (sort { $a <=> $b } @known)[1];
	my ($unknown) = (sort { $a <=> $b } @unknown)[1];
	cmp_ok($unknown, '>=', 0.5 * $known,
	    'unknown e-mail takes as long as a wrong password (median)')
	    or diag(sprintf('wrong password %.1f ms, unknown e-mail %.1f ms',
	    1000 * $known, 1000 * $unknown));
}

{
	my $res = api('POST', '/api/v1/auth/login', json => { email => $user->{email} });
	my $err = is_error_response($res, 400, 'validation_failed',
	    'login without password');
	ok(exists $err->{error}{fields}{password}, 'login without password: fields.password');
}

# ---- no truncation, NFC before hashing ---------------------------------------------

{
	# bcrypt reads 72 bytes; a longer password must count as a whole.
	my $long = 'Qx7-' . join('', map { random_id() } 1 .. 3);
	my $u = verified_user(password => $long);
	ok($u, 'user with a 100-character password');
	my $res = login_user($u, password => substr($long, 0, 72), addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    'login with the first 72 characters of the password');
	$res = login_user($u, password => substr($long, 0, 99), addr => $addr);
	is_error_response($res, 401, 'invalid_credentials',
	    'login without the last character of the password');
	is(login_user($u)->{status}, 200, 'login with the whole long password');
}

{
	my $composed = NFC("Bj\x{f6}rk-\x{e9}t\x{e9}-" . substr(random_id(), 0, 8) . 'Q7');
	my $u = verified_user(password => $composed);
	ok($u, 'user with a non-ASCII password');
	my $res = login_user($u, password => NFD($composed));
	isnt(NFD($composed), $composed, 'decomposed password differs in code points');
	is($res->{status}, 200, 'login with the NFD spelling of an NFC password')
	    or diag($res->{body});
}

# ---- imported bcrypt hashes ----------------------------------------------------------

SKIP: {
	my $hasher = find_bcrypt_tool();
	skip 'no bcrypt tool: apt-get install apache2-utils (htpasswd) or whois (mkpasswd)', 1
	    unless $hasher;

	my $dir = tempdir('sscn-t120-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my @imported;
	my $csv = "email,full_name,password_hash\n";
	for my $prefix ('$2y$', '$2b$', '$2a$') {
		my $password = strong_password();
		my $hash = bcrypt_hash($hasher, $password);
		ok(defined $hash, "bcrypt hash made with $hasher") or next;

		# The three prefixes differ only for non-ASCII bytes; the
		# password is ASCII, so the rewritten hash stays valid.
		$hash =~ s/^\$2[aby]\$/$prefix/;
		my $email = unique_email('bcrypt');
		push @imported, { email => $email, password => $password,
		    prefix => $prefix };
		$csv .= qq{$email,"Imported, User",$hash\n};
	}
	open(my $fh, '>', "$dir/users.csv") or die "write $dir/users.csv: $!";
	print $fh $csv;
	close $fh;

	my ($status, $out) = sscnctl('import-users', "$dir/users.csv");
	is($status, 0, 'sscnctl import-users: exit 0') or diag($out);
	like($out, qr/imported 3 users/, 'sscnctl import-users: 3 imported');

	for my $u (@imported) {
		my $stored = user_hash($u->{email});
		like($stored, qr/^\Q$u->{prefix}\E/,
		    "$u->{prefix} import: stored as bcrypt");
		my $res = login_user($u, password => 'Wrong' . $u->{password},
		    addr => $addr);
		is($res->{status}, 401, "$u->{prefix} import: wrong password 401");

		# Imported accounts never accepted the terms and privacy notice,
		# so the right password gets a token restricted to doing that.
		$res = login_user($u);
		my $body = is_error_response($res, 403, 'acceptance_required',
		    "$u->{prefix} import: login", allow_top => [qw(access_token
		    token_type expires_in user)]);
		like(user_hash($u->{email}), qr/^\$argon2id\$/,
		    "$u->{prefix} import: hash is Argon2id after the login");
		my ($terms, $privacy) = legal_versions();
		for my $doc (['terms', $terms], ['privacy', $privacy]) {
			$res = api('POST', '/api/v1/legal/accept', token => $body->{access_token},
			    json => { document => $doc->[0], version => $doc->[1] });
			is($res->{status}, 204, "$u->{prefix} import: accept $doc->[0]")
			    or diag($res->{body});
			is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
			    ['legal.accept'], "$u->{prefix} import: audit row legal.accept");
		}
		$res = login_user($u);
		is($res->{status}, 200,
		    "$u->{prefix} import: login with the upgraded hash")
		    or diag($res->{body});
	}
}

done_testing();

sub user_hash ($email) {
	my $index = email_index_of($email);
	return psql_value("SELECT password_hash FROM sscn.users "
	    . "WHERE email_index = '$index'::bytea") // '';
}

sub find_bcrypt_tool () {
	for my $tool (qw(htpasswd mkpasswd)) {
		my ($status) = run_cmd(['sh', '-c', "command -v $tool"], timeout => 5);
		return $tool if $status == 0;
	}
	return undef;
}

# A bcrypt hash of PASSWORD with cost 4 (the minimum, to keep the test fast).
sub bcrypt_hash ($tool, $password) {
	my ($status, $out) = $tool eq 'htpasswd'
	    ? run_cmd(['htpasswd', '-nbB', '-C', '4', 'user', $password])
	    : run_cmd(['mkpasswd', '-m', 'bcrypt', '-R', '4', $password]);
	return undef if $status != 0;
	my ($hash) = $out =~ /(\$2[aby]\$\d\d\$[.\/A-Za-z0-9]{53})/;
	return $hash;
}
