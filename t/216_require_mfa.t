#!/usr/bin/perl
# Turning require_mfa on applies at once: the open sessions of the
# organization's members without TOTP become restricted to MFA enrolment,
# as their next login would be, and the audit row counts them.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Sourcing;
use Test::More;

require_stack();

my $owner = org_user('supplier');
my $member = colleague($owner, 'member');
my $other = org_user('supplier');
my $path = "/api/v1/organizations/$owner->{org_id}";

is(api('GET', $path, token => $member->{token})->{status}, 200,
    'require_mfa: the member reads the organization before');

my $res = api('PATCH', $path, token => $owner->{token},
    json => { require_mfa => JSON::PP::true });
is($res->{status}, 200, 'require_mfa: turned on') or diag($res->{body});

is_error_response(api('GET', $path, token => $member->{token}), 403,
    'mfa_enrollment_required', 'require_mfa: the member is restricted at once');
is(api('GET', '/api/v1/me', token => $member->{token})->{status}, 200,
    'require_mfa: the member still reaches its profile');
is(api('POST', '/api/v1/auth/mfa/totp/setup', token => $member->{token})
    ->{status}, 200, 'require_mfa: and can enrol');
is_error_response(api('GET', $path, token => $owner->{token}), 403,
    'mfa_enrollment_required', 'require_mfa: so is the owner without TOTP');
is(api('GET', "/api/v1/organizations/$other->{org_id}",
    token => $other->{token})->{status}, 200,
    'require_mfa: another organization is untouched');

is(psql_value("SELECT details->>'sessions_restricted' FROM sscn.audit_log "
    . "WHERE action = 'org.update' AND target = '$owner->{org_id}' "
    . "ORDER BY id DESC LIMIT 1"), 2,
    'require_mfa: the audit row counts the restricted sessions');

done_testing();
