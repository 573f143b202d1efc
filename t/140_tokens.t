#!/usr/bin/perl
# Access tokens: a token issued by sscnd verifies with PyJWT (Debian's
# python3-jwt) given the key from $SSCN_DEV/keys, and carries the
# documented claims.  GET /api/v1/me answers 401 for tokens with alg
# "none" in any case, another algorithm (RS256 or HS512) in the header, a
# missing or unknown kid, a changed payload, no signature, a past exp, a
# missing exp, nbf or iat more than 60 s in the future, and for the token
# of a logged-out session.  Tokens made with the right key and valid
# claims are accepted, so each 401 comes from the one thing changed.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(encode_base64url);
use SSCN::Test;
use Test::More;

require_stack();

my $keyfile = "$DEV/keys";
my $interop = "$FindBin::Bin/jwt_interop.py";

my $user = verified_user();
ok($user, 'user for tokens') or BAIL_OUT('cannot create a user');
my $login = login_user($user);
is($login->{status}, 200, 'login') or BAIL_OUT("login failed: $login->{body}");
my $token = $login->{token};

sub me_status ($t) {
	my $res = api('GET', '/api/v1/me', token => $t);
	return $res->{status} // 'none';
}

sub rejected ($t, $name) {
	my $res = api('GET', '/api/v1/me', token => $t);
	is_error_response($res, 401, 'unauthorized', $name);
}

# ---- interoperability --------------------------------------------------------------

my $header = jwt_header($token) // {};
my $claims = jwt_claims($token) // {};
{
	my ($status, $out) = run_cmd(['/usr/bin/python3', $interop, '--issuer',
	    'sscn', '--audience', 'sscn-api', $keyfile, $token], timeout => 30);
	is($status, 0, 'PyJWT verifies the token') or diag($out);
	my ($json) = $out =~ /^(\{.*\})$/m;
	my $verified = eval { JSON::PP->new->decode($json // '') } // {};
	is($verified->{sub}, $login->{json}{user}{id}, 'PyJWT: sub is the user id');
	is($verified->{sid}, $claims->{sid}, 'PyJWT: sid as in the payload');

	# The same token with one changed byte is refused by PyJWT too.
	my $bad = $token;
	substr($bad, -2, 1) = substr($bad, -2, 1) eq 'A' ? 'B' : 'A';
	($status, $out) = run_cmd(['/usr/bin/python3', $interop, '--issuer',
	    'sscn', '--audience', 'sscn-api', $keyfile, $bad], timeout => 30);
	is($status, 1, 'PyJWT rejects a changed signature');
}

is($header->{typ}, 'JWT', 'header: typ JWT');
ok(defined $header->{kid} && length $header->{kid}, 'header: kid');
my $key = (jwt_keys()->{ $header->{kid} // '' } // {});
is($header->{alg}, $key->{alg}, 'header: alg of the key that kid names');
for my $claim (qw(iss aud sub sid role aal iat exp jti)) {
	ok(defined $claims->{$claim}, "claims: $claim");
}
is($claims->{iss}, 'sscn', 'claims: iss sscn');
is(ref $claims->{aud} ? $claims->{aud}[0] : $claims->{aud}, 'sscn-api',
    'claims: aud sscn-api');
is($claims->{aal}, 'aal1', 'claims: aal1 after a password login');
is($claims->{role}, 'buyer', 'claims: role buyer');
like($claims->{sid} // '', qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'claims: sid is a UUID');

is(me_status($token), 200, 'issued token: GET /me 200');

# ---- tokens made here: the controls ----------------------------------------------

SKIP: {
	skip "key $header->{kid} not found in $keyfile", 30 unless $key->{key};
	skip 'the tests below forge HS256 tokens; the dev key is ' . $key->{alg}, 30
	    unless $key->{alg} eq 'HS256';

	my $now = time;
	my %valid = (%$claims, iat => $now, exp => $now + 300,
	    jti => substr(random_id(), 0, 24));
	my %good_header = (alg => 'HS256', typ => 'JWT', kid => $header->{kid});

	my $perl_made = jwt_sign_hs256(\%good_header, \%valid, $key->{key});
	is(me_status($perl_made), 200,
	    'control: HS256 token signed here with the dev key is accepted');
	my $py_made = pyjwt_encode(\%valid, $header->{kid});
	is(me_status($py_made), 200,
	    'control: HS256 token from PyJWT with the dev key is accepted');

	# ---- algorithm ----
	for my $alg ('none', 'None', 'NONE', 'nOnE') {
		my %h = (%good_header, alg => $alg);
		my $unsigned = encode_base64url(JSON::PP->new->canonical->encode(\%h))
		    . '.' . encode_base64url(JSON::PP->new->canonical->encode(\%valid));
		rejected("$unsigned.", "alg $alg without signature");
		my $signed = jwt_sign_hs256(\%h, \%valid, $key->{key});
		rejected($signed, "alg $alg with an HMAC signature");
	}
	rejected(jwt_sign_hs256({ %good_header, alg => 'RS256' }, \%valid,
	    $key->{key}), 'alg RS256 signed with the HMAC key');
	rejected(jwt_sign_hs256({ %good_header, alg => 'EdDSA' }, \%valid,
	    $key->{key}), 'alg EdDSA signed with the HMAC key');
	rejected(pyjwt_encode(\%valid, $header->{kid}, 'HS512'),
	    'alg HS512 from PyJWT with the dev key');

	# ---- kid ----
	my %no_kid = %good_header;
	delete $no_kid{kid};
	rejected(jwt_sign_hs256(\%no_kid, \%valid, $key->{key}), 'no kid');
	rejected(jwt_sign_hs256({ %good_header, kid => 'no-such-key' }, \%valid,
	    $key->{key}), 'unknown kid');

	# ---- signature and payload ----
	my ($h64, $p64, $s64) = split /\./, $token;
	rejected("$h64.$p64.", 'signature stripped, trailing dot kept');
	rejected("$h64.$p64", 'signature stripped with its dot');
	my $tampered = encode_base64url(JSON::PP->new->canonical->encode(
	    { %$claims, role => 'admin', aal => 'aal2' }));
	rejected("$h64.$tampered.$s64", 'payload changed (role admin, aal2)');
	my $other_sid = encode_base64url(JSON::PP->new->canonical->encode(
	    { %$claims, exp => $claims->{exp} + 3600 }));
	rejected("$h64.$other_sid.$s64", 'payload changed (exp later)');
	rejected(jwt_sign_hs256(\%good_header, \%valid, 'x' x 32),
	    'signed with another key');
	rejected('', 'empty token');
	rejected('a.b.c', 'garbage token');

	# ---- times, made with PyJWT ----
	rejected(pyjwt_encode({ %valid, iat => $now - 7200, exp => $now - 3600 },
	    $header->{kid}), 'exp one hour ago (PyJWT)');
	my %no_exp = %valid;
	delete $no_exp{exp};
	rejected(jwt_sign_hs256(\%good_header, \%no_exp, $key->{key}), 'no exp');
	rejected(pyjwt_encode({ %valid, nbf => $now + 120 }, $header->{kid}),
	    'nbf 120 s in the future (PyJWT)');
	is(me_status(pyjwt_encode({ %valid, nbf => $now + 30 }, $header->{kid})),
	    200, 'nbf 30 s in the future, inside the 60 s leeway: accepted');
	rejected(pyjwt_encode({ %valid, iat => $now + 120, exp => $now + 600 },
	    $header->{kid}), 'iat 120 s in the future (PyJWT)');

	# ---- claims ----
	rejected(jwt_sign_hs256(\%good_header, { %valid, iss => 'other' },
	    $key->{key}), 'wrong iss');
	rejected(jwt_sign_hs256(\%good_header, { %valid, aud => 'other-api' },
	    $key->{key}), 'wrong aud');
	rejected(jwt_sign_hs256(\%good_header, { %valid,
	    sid => '00000000-0000-0000-0000-000000000000' }, $key->{key}),
	    'sid of no session');
	rejected(jwt_sign_hs256(\%good_header, { %valid,
	    sub => '00000000-0000-0000-0000-000000000000' }, $key->{key}),
	    'sub of another user than the session');
}

# ---- other ways of sending the token --------------------------------------------

{
	my $res = api('GET', '/api/v1/me', headers => [Authorization => "Basic $token"]);
	is_error_response($res, 401, 'unauthorized', 'token with scheme Basic');
	$res = api('GET', '/api/v1/me');
	is_error_response($res, 401, 'unauthorized', 'no token');
	$res = api('GET', '/api/v1/me', token => $token . ('A' x 5000));
	is_error_response($res, 401, 'unauthorized', 'token over 4 KiB');
}

# ---- logged-out session ----------------------------------------------------------

{
	my $res = api('POST', '/api/v1/auth/logout', token => $token);
	is($res->{status}, 204, 'logout: 204') or diag($res->{body});
	rejected($token, 'token of a logged-out session');
	my $still_signed = $key->{key} && $key->{alg} eq 'HS256'
	    ? jwt_sign_hs256({ alg => 'HS256', typ => 'JWT', kid => $header->{kid} },
	    { %$claims, iat => time, exp => time + 300 }, $key->{key}) : undef;
	SKIP: {
		skip 'dev key is not HS256', 6 unless defined $still_signed;
		rejected($still_signed, 'fresh token for a logged-out session');
	}
	$res = api('POST', '/api/v1/auth/refresh', token => $token);
	is_error_response($res, 401, 'unauthorized', 'refresh of a logged-out session');
}

done_testing();
