#!/usr/bin/perl
# sscnctl purge with a short deletion_grace (2 s): once the date has
# passed the account cannot log in, and purge erases its personal data.
# No e-mail, name or phone of the user is left in a pg_dump of the
# database, the organization it was the only member of is closed with its
# RFQ kept, the audit rows keep the actor id, one retention.purge audit
# row records the run, the audit chain still verifies, and a second run
# removes nothing.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use SSCN::Rfqs;
use Test::More;

require_stack();

my $GRACE = 2;
ok(conf_override(deletion_grace => $GRACE), "deletion_grace set to $GRACE s")
    or BAIL_OUT('reload failed');

my $tag = substr(random_id(), 0, 10);
my $name = "Perpetua Vanderquist $tag";
my $phone = '+44 20 7946 ' . (1000 + int(rand(8999)));
my $user = verified_user(full_name => $name, organization_kind => 'buyer',
    organization_name => "Vanderquist Trading $tag")
    or BAIL_OUT('no verified user');
my $user_id = user_id_of($user->{email});
my $org_id = psql_value('SELECT organization_id FROM sscn.memberships '
    . "WHERE user_id = '$user_id'");
my $login = login_user($user);
my $res = api('PATCH', '/api/v1/me', token => $login->{token},
    json => { phone => $phone });
is($res->{status}, 200, 'phone set') or diag($res->{body});

$res = api('POST', '/api/v1/rfqs', token => $login->{token},
    json => rfq_body());
is($res->{status}, 201, 'RFQ created') or diag($res->{body});
my $rfq_id = ref $res->{json} eq 'HASH' ? $res->{json}{id} : '';

# A failed login leaves a lockout row keyed by the address.
login_user($user, password => 'Wrong-pass-123');

is(api('PUT', '/api/v1/me/preferences', token => $login->{token},
    json => { marketing_emails => JSON::PP::true })->{status}, 200,
    'marketing mail on');
my $cookies = api('GET', '/api/v1/legal/cookies')->{json}{version};
my $consent = api('POST', '/api/v1/consents', token => $login->{token},
    json => { categories => { analytics => JSON::PP::true,
	marketing => JSON::PP::true }, policy_version => $cookies });
is($consent->{status}, 201, 'cookie consent recorded');
my $consent_id = $consent->{json}{consent_id} // '';

$res = delete_account($login->{token}, { password => $user->{password} });
is($res->{status}, 202, 'deletion scheduled') or diag($res->{body});
my $audited = psql_value('SELECT count(*) FROM sscn.audit_log '
    . "WHERE actor_id = '$user_id'");
cmp_ok($audited, '>', 0, 'the user has audit rows');

sleep($GRACE + 1);
is_error_response(login_user($user), 401, 'invalid_credentials',
    'past the date: login refused');

my ($status, $out, $dry) = purge('--dry-run');
is($status, 0, 'dry run: exit 0') or diag($out);
cmp_ok($dry->{deleted_accounts} // 0, '>=', 1, 'dry run: counts the account');
is(user_column($user_id, 'purged_at'), '', 'dry run: account untouched');

my $PURGE_ROWS = "SELECT count(*) FROM sscn.audit_log "
    . "WHERE action = 'retention.purge'";
my $runs_before = psql_value($PURGE_ROWS);
($status, $out, my $done) = purge();
is($status, 0, 'purge: exit 0') or diag($out);
cmp_ok($done->{deleted_accounts} // 0, '>=', 1, 'purge: reports the account');

# ---- what is left -----------------------------------------------------------

isnt(user_column($user_id, 'purged_at'), '', 'purge: purged_at set');
for my $column (qw(email email_index full_name phone password_hash
    totp_secret last_login_at)) {
	is(user_column($user_id, $column), '', "purge: users.$column cleared");
}
for my $table (qw(sessions user_tokens recovery_codes memberships)) {
	is(psql_value("SELECT count(*) FROM sscn.$table "
	    . "WHERE user_id = '$user_id'"), 0, "purge: no $table rows");
}
is(psql_value('SELECT count(*) FROM sscn.user_preferences '
    . "WHERE user_id = '$user_id'"), 0, 'purge: preferences removed');
is(psql_value('SELECT count(*) FROM sscn.consents '
    . "WHERE user_id = '$user_id'"), 0, 'purge: consents no longer name it');
is(psql_value('SELECT count(*) FROM sscn.consents '
    . "WHERE consent_id = '$consent_id' AND user_id IS NULL "
    . "AND address IS NULL"), 1, 'purge: the consent stays anonymous');
is(psql_value('SELECT count(*) FROM sscn.legal_acceptances '
    . "WHERE user_id = '$user_id' AND address IS NOT NULL"), 0,
    'purge: acceptance addresses cleared');
is(psql_value('SELECT count(*) FROM sscn.audit_log '
    . "WHERE actor_id = '$user_id'"), $audited,
    'purge: audit rows keep the actor id');
isnt(psql_value('SELECT coalesce(closed_at::text, \'\') FROM '
    . "sscn.organizations WHERE id = '$org_id'"), '',
    'purge: the organization is closed');
is(psql_value("SELECT count(*) FROM sscn.rfqs WHERE id = '$rfq_id'"), 1,
    'purge: the RFQ is kept');

my (undef, $dump) = dev_tool('pg_dump', { timeout => 120 });
cmp_ok(length($dump // ''), '>', 10000, 'pg_dump produced a dump');
my $local = (split /\@/, $user->{email})[0];
for my $needle ($user->{email}, $local, $name, $phone,
    normalized_email($user->{email})) {
	unlike($dump, qr/\Q$needle\E/i, "dump: no trace of '$needle'");
}

is_error_response(login_user($user), 401, 'invalid_credentials',
    'purged: login refused');

# ---- the run's audit row and the chain ------------------------------------------

my $rows = psql_json('SELECT result, actor_id, details FROM sscn.audit_log '
    . "WHERE action = 'retention.purge' ORDER BY id DESC LIMIT 1");
my $run = $rows && $rows->[0];
ok($run, 'purge: one retention.purge audit row');
is($run->{result}, 'success', 'purge audit: result success');
cmp_ok($run->{details}{removed}{deleted_accounts} // 0, '>=', 1,
    'purge audit: counts the account');
ok(exists $run->{details}{removed}{ended_sessions},
    'purge audit: counts every category');
is(psql_value($PURGE_ROWS) - $runs_before, 1,
    'purge: wrote exactly one audit row');
is(audit_chain_breaks(), '', 'audit chain verifies after the purge');

# ---- idempotent -------------------------------------------------------------

($status, $out, $done) = purge();
is($status, 0, 'second purge: exit 0') or diag($out);
is($done->{deleted_accounts}, 0, 'second purge: no account left to purge');
is(audit_chain_breaks(), '', 'audit chain verifies after the second run');

ok(conf_restore(), 'configuration restored');
done_testing();
