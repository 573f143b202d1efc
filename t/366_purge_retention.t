#!/usr/bin/perl
# The retention schedule that sscnctl purge enforces with the default
# periods: rows past their period (made here with SQL, dated back) are
# counted by --dry-run, which changes nothing, and removed by a run, while
# rows inside their period stay.  The audit log, which keeps seven years,
# loses no row here; t/522_audit_retention.t covers its purge.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Deletion;
use Test::More;

require_stack();

my $tag = substr(random_id(), 0, 10);
my $user = verified_user() or BAIL_OUT('no verified user');
my $user_id = user_id_of($user->{email});
login_user($user);

# Old rows, one per category, and a fresh one beside each.
my $old_session = psql_value("INSERT INTO sscn.sessions (id, user_id, aal, "
    . "auth_time, created_at, last_seen_at, revoked_at) VALUES "
    . "(gen_random_uuid(), '$user_id', 1, now() - interval '200 days', "
    . "now() - interval '200 days', now() - interval '200 days', "
    . "now() - interval '199 days') RETURNING id");
my $fresh_revoked = psql_value("INSERT INTO sscn.sessions (id, user_id, "
    . "aal, auth_time, revoked_at) VALUES (gen_random_uuid(), '$user_id', "
    . "1, now(), now()) RETURNING id");
psql_value("INSERT INTO sscn.user_tokens (token_hash, user_id, purpose, "
    . "created_at, expires_at) VALUES (sha256('old-$tag'), '$user_id', "
    . "'password_reset', now() - interval '20 days', "
    . "now() - interval '20 days')");
psql_value("INSERT INTO sscn.user_tokens (token_hash, user_id, purpose, "
    . "expires_at) VALUES (sha256('new-$tag'), '$user_id', "
    . "'password_reset', now() + interval '1 hour')");
# Recipient and body are ciphertext in real rows; any bytes do here.
my $old_mail = psql_value("INSERT INTO sscn.mail_outbox (recipient, subject, "
    . "body, template, state, created_at, sent_at, seal_id) VALUES "
    . "('\\x00', 's', '\\x00', 't', 'sent', now() - interval '40 days', "
    . "now() - interval '40 days', gen_random_uuid()) RETURNING id");
my $queued_mail = psql_value("INSERT INTO sscn.mail_outbox (recipient, "
    . "subject, body, template, created_at, seal_id) VALUES "
    . "('\\x00', 's', '\\x00', 't', now() - interval '40 days', "
    . "gen_random_uuid()) RETURNING id");
psql_value("INSERT INTO sscn.login_lockouts (email_index, failures, "
    . "updated_at) VALUES (sha256('old-$tag'), 3, "
    . "now() - interval '10 days')");
my $cookies = psql_value("SELECT version FROM sscn.legal_documents "
    . "WHERE kind = 'cookies' ORDER BY published_at DESC LIMIT 1");
my $old_consent = psql_value("INSERT INTO sscn.consents (id, consent_id, "
    . "analytics, marketing, policy_version, recorded_at) VALUES "
    . "(gen_random_uuid(), gen_random_uuid(), true, false, '$cookies', "
    . "now() - interval '400 days') RETURNING id");
my $new_consent = psql_value("INSERT INTO sscn.consents (id, consent_id, "
    . "analytics, marketing, policy_version) VALUES (gen_random_uuid(), "
    . "gen_random_uuid(), false, false, '$cookies') RETURNING id");
psql_value("INSERT INTO sscn.login_address_failures (address, window_start, "
    . "failures) VALUES ('192.0.2.77', now() - interval '10 days', 4) "
    . "ON CONFLICT DO NOTHING");

my ($stale) = register_user(full_name => "Stale Registrant $tag",
    organization_name => "Stale Org $tag");
my $stale_id = user_id_of($stale->{email});
my $stale_org = psql_value('SELECT organization_id FROM sscn.memberships '
    . "WHERE user_id = '$stale_id'");
psql_value("UPDATE sscn.users SET created_at = now() - interval '40 days' "
    . "WHERE id = '$stale_id'");
my ($recent) = register_user();
my $recent_id = user_id_of($recent->{email});

# ---- dry run ---------------------------------------------------------------------

my $runs = "SELECT count(*) FROM sscn.audit_log "
    . "WHERE action = 'retention.purge'";
my $runs_before = psql_value($runs);
my ($status, $out, $dry) = purge('--dry-run');
is($status, 0, 'dry run: exit 0') or diag($out);
for my $category (qw(ended_sessions used_tokens sent_mail unverified_accounts
    login_lockouts login_address_failures)) {
	cmp_ok($dry->{$category} // 0, '>=', 1, "dry run: counts $category");
}
is($dry->{audit_log}, 0, 'dry run: no audit row past its retention');
is(psql_value($runs), $runs_before, 'dry run: no audit row');
is(psql_value("SELECT count(*) FROM sscn.sessions WHERE id = '$old_session'"),
    1, 'dry run: old session kept');

# ---- run -------------------------------------------------------------------------

my $audit_rows = psql_value('SELECT count(*) FROM sscn.audit_log');
($status, $out, my $done) = purge();
is($status, 0, 'purge: exit 0') or diag($out);

is(psql_value("SELECT count(*) FROM sscn.sessions WHERE id = '$old_session'"),
    0, 'sessions: ended 199 days ago removed');
is(psql_value("SELECT count(*) FROM sscn.sessions "
    . "WHERE id = '$fresh_revoked'"), 1, 'sessions: ended now kept');
is(psql_value("SELECT count(*) FROM sscn.user_tokens "
    . "WHERE token_hash = sha256('old-$tag')"), 0,
    'tokens: expired 20 days ago removed');
is(psql_value("SELECT count(*) FROM sscn.user_tokens "
    . "WHERE token_hash = sha256('new-$tag')"), 1, 'tokens: valid one kept');
is(psql_value("SELECT count(*) FROM sscn.mail_outbox WHERE id = $old_mail"),
    0, 'mail: sent 40 days ago removed');
is(psql_value("SELECT count(*) FROM sscn.mail_outbox "
    . "WHERE id = $queued_mail"), 1, 'mail: queued mail kept');
is(psql_value("SELECT count(*) FROM sscn.login_lockouts "
    . "WHERE email_index = sha256('old-$tag')"), 0,
    'login lockouts: old counter removed');
is(psql_value("SELECT count(*) FROM sscn.consents "
    . "WHERE id = '$old_consent'"), 0, 'consents: 400 days old removed');
is(psql_value("SELECT count(*) FROM sscn.consents "
    . "WHERE id = '$new_consent'"), 1, 'consents: recent one kept');
is(psql_value("SELECT count(*) FROM sscn.login_address_failures "
    . "WHERE address = '192.0.2.77' "
    . "AND window_start < now() - interval '9 days'"), 0,
    'address failures: old window removed');
is(psql_value("SELECT count(*) FROM sscn.users WHERE id = '$stale_id'"), 0,
    'unverified: 40-day-old account removed');
is(psql_value("SELECT count(*) FROM sscn.organizations "
    . "WHERE id = '$stale_org'"), 0,
    'unverified: its empty organization removed');
is(psql_value("SELECT count(*) FROM sscn.users WHERE id = '$recent_id'"), 1,
    'unverified: new account kept');
is(psql_value("SELECT count(*) FROM sscn.users WHERE id = '$user_id'"), 1,
    'verified account kept');

cmp_ok(psql_value('SELECT count(*) FROM sscn.audit_log'), '>', $audit_rows,
    'audit log: no row deleted');
is(psql_value($runs) - $runs_before, 1, 'purge: one audit row');
is(audit_chain_breaks(), '', 'audit chain verifies');

($status, $out) = sscnctl('purge', '--bogus');
is($status, 2, 'purge: unknown option is a usage error');
like($out, qr/usage: sscnctl purge/, 'purge: usage printed');

# The queued row's bytes are no ciphertext: remove it so that
# "sscnctl mailq", which the other tests read mail with, still decrypts
# every row.
psql_value("DELETE FROM sscn.mail_outbox WHERE id = $queued_mail");

done_testing();
