#!/usr/bin/perl
# Identity paths that need a change to the running platform, each undone at
# the end, also when the test dies:
#   - a newer terms version: earlier users get acceptance_required until
#     they accept it, and registration needs the new version;
#   - JWT key rotation: a second key in $SSCN_DEV/keys becomes the signing
#     key, tokens of the old kid work until its line is removed;
#   - re-hashing: a login replaces an Argon2id hash with other parameters
#     (made by the argon2 tool of Debian's argon2 package) by one at the
#     configured parameters, and so it does after argon2_opslimit is raised;
#   - reauthentication_window 10 s (the minimum): turning MFA off and new
#     recovery codes need a recent login;
#   - an admin who logs in with a recovery code gets an aal2 session that
#     reaches the admin endpoints, and the code works only once.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64url encode_base64);
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my $addr = client_addr();
my $RESTRICTED_TOP = [qw(access_token token_type expires_in user)];

# The terms version this test published, while its row exists.
my $published_terms;

# Remove the terms version VERSION and every acceptance of it, in one
# transaction.  Returns true when psql succeeded.
sub unpublish_terms ($version) {
	my $ok = defined psql_value('DELETE FROM sscn.legal_acceptances '
	    . "WHERE kind = 'terms' AND version = '$version'; "
	    . 'DELETE FROM sscn.legal_documents '
	    . "WHERE kind = 'terms' AND version = '$version'");
	undef $published_terms if $ok;
	return $ok;
}

END {
	if (defined $published_terms) {
		local $?;
		diag("removing the test terms version $published_terms");
		unpublish_terms($published_terms)
		    or diag("remove it by hand: DELETE FROM sscn.legal_acceptances "
		    . "and sscn.legal_documents WHERE version = '$published_terms'");
	}
}

sub password_hash_of ($email) {
	my $index = email_index_of($email);
	return psql_value("SELECT password_hash FROM sscn.users "
	    . "WHERE email_index = '$index'::bytea") // '';
}

sub argon2_passes ($hash) {
	my ($passes) = $hash =~ /^\$argon2id\$v=\d+\$m=\d+,t=(\d+),p=\d+\$/;
	return $passes;
}

# Turn MFA on for the session TOKEN, confirming with the code of the
# previous time step so that the current one stays unused.  Returns
# (secret, recovery codes).
sub enrol ($token) {
	my $res = api('POST', '/api/v1/auth/mfa/totp/setup', token => $token);
	my $secret = ref $res->{json} eq 'HASH' ? $res->{json}{secret} : undef;
	return (undef, []) unless defined $secret;
	$res = api('POST', '/api/v1/auth/mfa/totp/confirm', token => $token,
	    json => { code => totp_code($secret, -30) });
	my $codes = ref $res->{json} eq 'HASH' ? $res->{json}{recovery_codes} : undef;
	return ($secret, $codes // []);
}

# Log USER in with the password and then the recovery code CODE.  Returns
# the mfa/verify response, or the login response when it has no mfa_token.
sub login_with_recovery_code ($user, $code, %opt) {
	my $res = login_user($user);
	my $mfa_token = ref $res->{json} eq 'HASH' ? $res->{json}{mfa_token} : undef;
	return $res unless defined $mfa_token;
	return api('POST', '/api/v1/auth/mfa/verify',
	    json => { mfa_token => $mfa_token, recovery_code => $code }, %opt);
}

my ($old_terms, $privacy) = legal_versions();
ok(defined $old_terms && defined $privacy, 'current legal versions')
    or BAIL_OUT('GET /api/v1/legal/terms and /privacy must return a version');

# ---- newer terms version ------------------------------------------------------------

{
	my $user = verified_user();
	ok($user, 'user who accepted the current terms')
	    or BAIL_OUT('cannot create a user');
	is(login_user($user)->{status}, 200, 'login before the new terms');

	my $new = 't195-' . substr(random_id(), 0, 12);
	my $inserted = psql_value('INSERT INTO sscn.legal_documents '
	    . '(kind, version, published_at, body) VALUES '
	    . "('terms', '$new', now(), 'Terms of Service, test version $new.') "
	    . 'RETURNING version');
	$published_terms = $new if ($inserted // '') eq $new;
	ok(defined $published_terms, "terms version $new published")
	    or BAIL_OUT('cannot insert into sscn.legal_documents');

	my $res = api('GET', '/api/v1/legal/terms');
	is($res->{json}{version}, $new, 'GET /legal/terms: the new version');

	$res = login_user($user);
	my $body = is_error_response($res, 403, 'acceptance_required',
	    'login after new terms', allow_top => $RESTRICTED_TOP);
	my $restricted = $body->{access_token};
	ok(defined $restricted, 'acceptance_required: restricted access token');

	$res = api('GET', '/api/v1/auth/sessions', token => $restricted);
	is_error_response($res, 403, 'acceptance_required',
	    'restricted session: GET /auth/sessions');
	is(api('GET', '/api/v1/me', token => $restricted)->{status}, 200,
	    'restricted session: GET /me 200');

	$res = api('POST', '/api/v1/legal/accept', token => $restricted,
	    json => { document => 'terms', version => $old_terms });
	$body = is_error_response($res, 400, 'validation_failed',
	    'accept the old terms version');
	ok(exists $body->{error}{fields}{version},
	    'accept the old terms version: fields.version');

	$res = api('POST', '/api/v1/legal/accept', token => $restricted,
	    json => { document => 'terms', version => $new });
	is($res->{status}, 204, 'accept the new terms version: 204')
	    or diag($res->{body});
	is_deeply([map { $_->{action} } audit_rows(header($res, 'X-Request-ID'))],
	    ['legal.accept'], 'accept the new terms: audit row legal.accept');
	is(api('GET', '/api/v1/auth/sessions', token => $restricted)->{status}, 200,
	    'after acceptance: restriction lifted from the session');

	$res = login_user($user);
	is($res->{status}, 200, 'login after acceptance: 200') or diag($res->{body});
	ok(defined $res->{token}, 'login after acceptance: access token');

	my ($reg_user, $reg) = register_user(accept_terms_version => $old_terms);
	$body = is_error_response($reg, 400, 'validation_failed',
	    'register with the old terms version');
	ok(exists $body->{error}{fields}{accept_terms_version},
	    'register with the old terms: fields.accept_terms_version');
	($reg_user, $reg) = register_user(accept_terms_version => $new);
	is($reg->{status}, 202, 'register with the new terms version: 202')
	    or diag($reg->{body});

	ok(unpublish_terms($new), 'test terms version removed');
	is(api('GET', '/api/v1/legal/terms')->{json}{version}, $old_terms,
	    'GET /legal/terms: the original version again');
}

# ---- admin with a recovery code ---------------------------------------------------

{
	my $admin = { email => unique_email('admin'), password => strong_password() };
	my ($status, $out) = sscnctl('create-admin', $admin->{email});
	is($status, 0, 'sscnctl create-admin: exit 0') or diag($out);
	my ($setup_token) = $out =~ m{/reset-password#token=([A-Za-z0-9_-]+)};
	my $res = api('POST', '/api/v1/auth/password/reset',
	    json => { token => $setup_token // '', new_password => $admin->{password} });
	is($res->{status}, 204, 'admin sets a password') or diag($res->{body});

	$res = login_user($admin);
	my $restricted = (decode_json_body($res) // {})->{access_token};
	my ($secret, $codes) = enrol($restricted);
	is(scalar @$codes, 10, 'admin enrolled in MFA') or diag($res->{body});

	my $member = verified_user();
	my $member_id = $member ? user_id_of($member->{email}) // '' : '';
	ok($member_id, 'user for the admin to lock');

	$res = login_with_recovery_code($admin, $codes->[0] // '');
	my $body = is_json_ok($res, 200, 'admin login with a recovery code');
	my $token = $body->{access_token};
	my $claims = jwt_claims($token // '') // {};
	is($claims->{aal}, 'aal2', 'recovery code login: aal2');
	is($claims->{role}, 'admin', 'recovery code login: role admin');

	$res = api('GET', '/api/v1/admin/users?limit=1', token => $token);
	is_json_ok($res, 200, 'recovery code session: GET /admin/users');
	for my $action (qw(lock unlock)) {
		$res = api('POST', "/api/v1/admin/users/$member_id/$action",
		    token => $token);
		is($res->{status}, 204, "recovery code session: admin $action 204")
		    or diag($res->{body});
	}
	is(login_user($member)->{status}, 200, 'user unlocked by the admin: login');

	$res = login_with_recovery_code($admin, $codes->[0] // '', addr => $addr);
	is_error_response($res, 401, 'mfa_invalid', 'admin reuses the recovery code');
	$res = login_with_recovery_code($admin, $codes->[1] // '');
	is($res->{status}, 200, 'admin with another recovery code: 200')
	    or diag($res->{body});
}

# ---- JWT key rotation ----------------------------------------------------------------

SKIP: {
	my $user = verified_user();
	ok($user, 'user for key rotation') or BAIL_OUT('cannot create a user');
	my $before = login_user($user);
	my $old_token = $before->{token};
	my $old_kid = (jwt_header($old_token // '') // {})->{kid};
	ok(defined $old_kid && jwt_keys()->{$old_kid}, "token before rotation: kid " . ($old_kid // "none")
	    . ' from the key file');

	my $keys_text = do {
		open(my $fh, '<', "$DEV/keys") or die "read $DEV/keys: $!";
		local $/;
		<$fh>;
	};
	my $new_kid = 't195-' . substr(random_id(), 0, 12);
	my $secret = do {
		open(my $fh, '<:raw', '/dev/urandom') or die "open /dev/urandom: $!";
		read($fh, my $bytes, 32) == 32 or die "read /dev/urandom: $!";
		$bytes;
	};
	my $new_line = "jwt $new_kid HS256 " . encode_base64($secret, '') . "\n";
	$keys_text .= "\n" if length $keys_text && $keys_text !~ /\n$/;
	key_file_write($keys_text . $new_line);
	my $changed = conf_override(jwt_signing_key => $new_kid);
	ok($changed, "second key $new_kid added and made the signing key");
	unless ($changed) {
		key_file_restore();
		conf_restore();
		skip 'sscnd did not load the second key', 14;
	}

	is(api('GET', '/api/v1/me', token => $old_token)->{status}, 200,
	    'token of the old kid: still accepted');
	my $after = login_user($user);
	my $new_token = $after->{token} // '';
	is((jwt_header($new_token) // {})->{kid}, $new_kid,
	    'token after rotation: new kid in the header');
	my ($signed, $signature) = $new_token =~ /^([^.]+\.[^.]+)\.([^.]+)$/;
	ok(defined $signed && hmac_sha256($signed, $secret) eq decode_base64url($signature),
	    'token after rotation: HS256 signature under the new key');
	is(api('GET', '/api/v1/me', token => $new_token)->{status}, 200,
	    'token of the new kid: accepted');

	my $without_old = join '', grep { !/^\s*jwt\s+\Q$old_kid\E\s/ }
	    split /(?<=\n)/, $keys_text . $new_line;
	key_file_write($without_old);
	$changed = sscnd_reload();
	ok($changed, "key $old_kid removed from the key file");
	unless ($changed) {
		key_file_restore();
		conf_restore();
		skip 'sscnd did not load the key file without the old key', 9;
	}

	my $res = api('GET', '/api/v1/me', token => $old_token);
	is_error_response($res, 401, 'unauthorized', 'token of the removed kid');
	is(api('GET', '/api/v1/me', token => $new_token)->{status}, 200,
	    'token of the new kid: still accepted');

	key_file_restore();
	ok(conf_restore(), 'key file and configuration restored');
	is(api('GET', '/api/v1/me', token => $old_token)->{status}, 200,
	    'token of the old kid: accepted again after the restore');
}

# ---- re-hash of a hash with other parameters ---------------------------------------

# A hash made outside sscnd with another number of passes is replaced by one
# at the configured parameters at the next login.
SKIP: {
	my ($missing) = run_cmd(['sh', '-c', 'command -v argon2'], timeout => 5);
	skip 'argon2 (Debian package argon2) missing', 5 if $missing;

	my $user = verified_user();
	ok($user, 'user for re-hashing') or BAIL_OUT('cannot create a user');
	my $passes = (conf_read() // {})->{argon2_opslimit} // 2;
	my $stored = password_hash_of($user->{email});
	is(argon2_passes($stored), $passes, "stored hash: Argon2id with t=$passes");

	my $other = $passes == 1 ? 2 : 1;
	my ($memory) = $stored =~ /\$m=(\d+),/;
	my $log2_memory = int(log($memory // 65536) / log(2) + 0.5);
	my ($status, $out) = run_cmd(['sh', '-c',
	    'printf %s "$1" | argon2 "$2" -id -t "$3" -m "$4" -p 1 -e', 'sh',
	    $user->{password}, random_id(), $other, $log2_memory], timeout => 30);
	my ($foreign) = $out =~ /^(\$argon2id\$\S+)$/m;
	ok($status == 0 && defined $foreign, "argon2 made a hash with t=$other")
	    or diag($out);
	my $index = email_index_of($user->{email});
	psql_value("UPDATE sscn.users SET password_hash = '" . ($foreign // '')
	    . "' WHERE email_index = '$index'::bytea");

	my $res = login_user($user);
	is($res->{status}, 200, "login with the t=$other hash") or diag($res->{body});
	is(argon2_passes(password_hash_of($user->{email})), $passes,
	    "login re-hashed the password with t=$passes");
}

# ---- re-hash after a change of argon2_opslimit ----------------------------------------

SKIP: {
	my $user = verified_user();
	ok($user, 'user for a parameter change') or BAIL_OUT('cannot create a user');
	my $passes = (conf_read() // {})->{argon2_opslimit} // 2;
	my $more = $passes + 1;
	my $changed = conf_override(argon2_opslimit => $more);
	ok($changed, "argon2_opslimit set to $more");
	unless ($changed) {
		conf_restore();
		skip "sscnd did not load argon2_opslimit = $more", 5;
	}

	my $res = login_user($user);
	is($res->{status}, 200, "login after the change to t=$more") or diag($res->{body});
	my $rehashed = password_hash_of($user->{email});
	is(argon2_passes($rehashed), $more, "login re-hashed the password with t=$more");

	$res = login_user($user);
	is($res->{status}, 200, 'login with the re-hashed password') or diag($res->{body});
	is(password_hash_of($user->{email}), $rehashed,
	    'hash at the current parameters: not re-hashed again');

	ok(conf_restore(), 'configuration restored');
}

# ---- reauthentication window ----------------------------------------------------------

SKIP: {
	my $WINDOW = 10;
	my $changed = conf_override(reauthentication_window => $WINDOW);
	ok($changed, "reauthentication_window set to $WINDOW s");
	unless ($changed) {
		conf_restore();
		skip "sscnd did not load reauthentication_window = $WINDOW", 23;
	}

	my $user = verified_user();
	ok($user, 'user for reauthentication') or BAIL_OUT('cannot create a user');
	my $login = login_user($user);
	my $t0 = time;
	my $stale = $login->{token};
	my ($secret, $codes) = enrol($stale);
	is(scalar @$codes, 10, 'user enrolled in MFA');

	my $wait = $t0 + $WINDOW + 1.5 - time;
	sleep $wait if $wait > 0;

	is(api('GET', '/api/v1/me', token => $stale)->{status}, 200,
	    "session after @{[$WINDOW + 1.5]} s: still alive");
	my $res = api('DELETE', '/api/v1/auth/mfa/totp', token => $stale,
	    json => { password => $user->{password}, code => totp_code($secret) });
	is_error_response($res, 403, 'reauthentication_required',
	    "MFA off with a login older than $WINDOW s");
	$res = api('POST', '/api/v1/auth/mfa/recovery-codes', token => $stale,
	    json => { password => $user->{password} });
	is_error_response($res, 403, 'reauthentication_required',
	    "recovery codes with a login older than $WINDOW s");
	is(api('GET', '/api/v1/me', token => $stale)->{json}{mfa_enabled},
	    JSON::PP::true, 'MFA still on after the refused requests');

	$res = login_with_recovery_code($user, $codes->[0] // '');
	my $fresh = (decode_json_body($res) // {})->{access_token};
	ok(defined $fresh, 'fresh login with a recovery code') or diag($res->{body});

	$res = api('POST', '/api/v1/auth/mfa/recovery-codes', token => $fresh,
	    json => { password => $user->{password} });
	my $body = is_json_ok($res, 200, 'recovery codes after a fresh login');
	is(scalar @{ $body->{recovery_codes} // [] }, 10,
	    'recovery codes after a fresh login: 10 codes');

	# The next step's code: neither the confirmation nor the refused
	# request above can have used it.
	$res = api('DELETE', '/api/v1/auth/mfa/totp', token => $fresh,
	    json => { password => $user->{password}, code => totp_code($secret, 30) });
	is($res->{status}, 204, 'MFA off after a fresh login: 204') or diag($res->{body});

	ok(conf_restore(), 'configuration restored');
}

done_testing();
