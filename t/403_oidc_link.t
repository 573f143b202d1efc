#!/usr/bin/perl
# A LinkedIn e-mail that belongs to an existing account is never linked
# by e-mail alone: the owner must sign in with the password and confirm,
# in the browser that holds the link cookie.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SSCN::Test;
use SSCN::Oidc;

require_stack();
ok(oidc_setup(), 'sscnd configured for the mock provider') or BAIL_OUT('setup');

my $owner = verified_user() or BAIL_OUT('owner account');
my $owner_id = user_id_of($owner->{email});
my $sub = new_sub();

my $res = oidc_sign_in(claims => { sub => $sub, email => $owner->{email} });
is($res->{status}, 302, 'collision answers 302');
is(header($res, 'Location'), '/login.html?link=pending',
    'collision asks the owner to sign in');
my $cookies = set_cookies($res);
ok(!$cookies->{'__Host-sscn_session'}, 'collision starts no session');
my $link = $cookies->{'__Host-sscn_oidc_link'};
ok($link && $link->{value}, 'collision sets the link cookie');
ok(exists $link->{attrs}{httponly}, 'link cookie is HttpOnly');
is(psql_value("SELECT count(*) FROM sscn.oidc_identities "
    . "WHERE user_id = '$owner_id'"), '0', 'nothing is linked yet');

# Signing in with LinkedIn again does not reach the account either.
$res = oidc_sign_in(claims => { sub => $sub, email => $owner->{email} });
is(header($res, 'Location'), '/login.html?link=pending',
    'second LinkedIn sign-in still only pends');

sub session_of ($user) {
	my $login = login_user($user);
	my $c = set_cookies($login);
	return ($c->{'__Host-sscn_session'}{value}, $c->{'__Host-sscn_csrf'}{value});
}

sub confirm ($session, $csrf, $link_value) {
	my %cookies = ('__Host-sscn_session' => $session,
	    '__Host-sscn_csrf' => $csrf);
	$cookies{'__Host-sscn_oidc_link'} = $link_value if defined $link_value;
	return api('POST', '/api/v1/auth/linkedin/link', cookies => \%cookies,
	    csrf => $csrf);
}

is(api('POST', '/api/v1/auth/linkedin/link', cookies => {
    '__Host-sscn_oidc_link' => $link->{value} })->{status}, 401,
    'confirming needs a session');

my $other = verified_user() or BAIL_OUT('other account');
my ($other_session, $other_csrf) = session_of($other);
is(confirm($other_session, $other_csrf, $link->{value})->{status}, 404,
    'another account cannot take the link');

my ($session, $csrf) = session_of($owner);
is(confirm($session, $csrf, undef)->{status}, 404,
    'owner without the link cookie gets 404');
is(api('POST', '/api/v1/auth/linkedin/link', cookies => {
    '__Host-sscn_session' => $session,
    '__Host-sscn_oidc_link' => $link->{value} })->{status}, 403,
    'confirming without the CSRF header is forbidden');
is(psql_value("SELECT count(*) FROM sscn.oidc_identities "
    . "WHERE user_id = '$owner_id'"), '0', 'refused requests link nothing');

# The second pending link (from the second sign-in) is the one confirmed;
# the first one was for the same subject and stays unused.
my $second = set_cookies($res)->{'__Host-sscn_oidc_link'}{value};
$res = confirm($session, $csrf, $second);
is($res->{status}, 204, 'owner confirms the link');
is(set_cookies($res)->{'__Host-sscn_oidc_link'}{attrs}{'max-age'}, '0',
    'confirmation clears the link cookie');
is(psql_value("SELECT count(*) FROM sscn.oidc_identities "
    . "WHERE user_id = '$owner_id'"), '1', 'identity is linked');
is(confirm($session, $csrf, $second)->{status}, 404,
    'a link cookie works once');
is(confirm($session, $csrf, $link->{value})->{status}, 409,
    'a second identity for the account conflicts');

$res = oidc_sign_in(claims => { sub => $sub, email => $owner->{email} });
is(header($res, 'Location'), '/', 'LinkedIn now signs in the owner');
my $me = api('GET', '/api/v1/me', cookies => { '__Host-sscn_session' =>
    set_cookies($res)->{'__Host-sscn_session'}{value} });
is($me->{json}{id}, $owner_id, 'session belongs to the owner');

is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'auth.oidc_link' AND result = 'success' AND actor_id = '$owner_id'"),
    '1', 'link is audited');

done_testing();
