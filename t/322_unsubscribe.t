#!/usr/bin/perl
# Marketing mail and one-click unsubscribe (RFC 8058): "sscnctl newsletter"
# queues mail only to opted-in users, each with List-Unsubscribe and
# List-Unsubscribe-Post headers and its own token, stored hashed.  GET of
# the link changes nothing; POST with the token alone, without cookies,
# unsubscribes and returns 200 without a redirect; a wrong token, or one
# user's token, never changes another user; afterwards the outbox skips
# the user at queue time and at claim time.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use JSON::PP ();
use SSCN::Test;
use SSCN::Consent;
use Test::More;

require_stack();

my $T = JSON::PP::true;
my $F = JSON::PP::false;
my $FORM = 'application/x-www-form-urlencoded';

sub marketing_of ($member) {
	return psql_value("SELECT coalesce((SELECT marketing_emails "
	    . "FROM sscn.user_preferences WHERE user_id = "
	    . "'$member->{user_id}'), false)");
}

# POST the one-click form to the unsubscribe URL with TOKEN, as a mailbox
# provider does: no cookie, no authorization.
sub one_click ($token, %opt) {
	my $res = request('POST', "/api/v1/unsubscribe?token=$token",
	    headers => ['Content-Type' => $opt{type} // $FORM],
	    body => $opt{body} // 'List-Unsubscribe=One-Click');
	$res->{json} = decode_json_body($res);
	return $res;
}

my $alice = member() or BAIL_OUT('cannot create a user');
my $bob = member() or BAIL_OUT('cannot create a user');
my $carol = member() or BAIL_OUT('cannot create a user');
is(set_marketing($alice, 1)->{status}, 200, 'Alice opts in');
is(set_marketing($bob, 1)->{status}, 200, 'Bob opts in');

# ---- the newsletter ---------------------------------------------------------------

my $subject = 'SSCN news ' . random_id();
my ($status, $out) = newsletter($subject);
is($status, 0, 'newsletter: exit 0') or diag($out);
like($out, qr/queued: \d+/, 'newsletter: prints the count');
is(scalar(newsletter_mails($carol->{email})), 0,
    'newsletter: nothing to a user who did not opt in');
my ($alice_mail) = grep { $_->{subject} eq $subject }
    newsletter_mails($alice->{email});
my ($bob_mail) = grep { $_->{subject} eq $subject }
    newsletter_mails($bob->{email});
ok($alice_mail && $bob_mail, 'newsletter: one mail to each opted-in user')
    or BAIL_OUT('no newsletter mail');

my $alice_token = unsubscribe_token($alice_mail);
my $bob_token = unsubscribe_token($bob_mail);
like($alice_token // '', qr/^[A-Za-z0-9_-]{43}$/, 'mail body: unsubscribe link');
isnt($alice_token, $bob_token, 'each user gets an own token');

# The List-Unsubscribe link holds the token, so it is sealed like the
# body; t/443_mail_headers.t reads it in the delivered message.
my $headers = psql_json("SELECT headers, category, user_id, "
    . "headers_sealed IS NOT NULL AS sealed, position(convert_to("
    . "'$alice_token', 'UTF8') IN headers_sealed) AS token_at FROM "
    . "sscn.mail_outbox WHERE id = $alice_mail->{id}")->[0];
is($headers->{category}, 'marketing', 'outbox: category marketing');
is($headers->{user_id}, $alice->{user_id}, 'outbox: the user');
ok(!exists $headers->{headers}{'List-Unsubscribe'},
    'outbox: no List-Unsubscribe in clear');
ok($headers->{sealed}, 'outbox: sealed headers present');
is($headers->{token_at}, 0, 'outbox: token not in the sealed bytes');
is($headers->{headers}{'List-Unsubscribe-Post'},
    'List-Unsubscribe=One-Click', 'header List-Unsubscribe-Post: One-Click');

my $hash = sha256_hex($alice_token);
is(psql_value("SELECT user_id FROM sscn.unsubscribe_tokens "
    . "WHERE token_hash = '\\x$hash'::bytea"), $alice->{user_id},
    'token stored as its SHA-256');
is(psql_value("SELECT count(*) FROM sscn.unsubscribe_tokens "
    . "WHERE position(convert_to('$alice_token', 'UTF8') IN token_hash) > 0"),
    0, 'token not stored in clear');

# ---- GET only describes --------------------------------------------------------------

my $res = api('GET', "/api/v1/unsubscribe?token=$alice_token");
is($res->{status}, 200, 'GET: 200');
is($res->{json}{marketing_emails}, $T, 'GET: shows the current state');
like($res->{json}{action} // '', qr/POST/, 'GET: says a POST unsubscribes');
is(marketing_of($alice), 't', 'GET: still subscribed');
is_deeply([audit_rows(header($res, 'X-Request-ID'))], [],
    'GET: no audit row');
is(header_count($res, 'Set-Cookie'), 0, 'GET: no cookie');

# ---- bad tokens ---------------------------------------------------------------------

my $wrong = 'A' x 43;
$res = one_click($wrong);
is_error_response($res, 404, 'not_found', 'POST with a wrong token');
like($res->{json}{error}{message} // '', qr/unsubscribe link is not valid/,
    'wrong token: the message says so');
$res = api('GET', "/api/v1/unsubscribe?token=$wrong");
is_error_response($res, 404, 'not_found', 'GET with a wrong token');
$res = one_click('short');
my $body = is_error_response($res, 400, 'validation_failed',
    'POST with a malformed token');
ok(exists $body->{error}{fields}{token}, 'malformed token: fields.token');
$res = request('POST', '/api/v1/unsubscribe',
    headers => ['Content-Type' => $FORM], body => 'List-Unsubscribe=One-Click');
$res->{json} = decode_json_body($res);
$body = is_error_response($res, 400, 'validation_failed',
    'POST without a token');
ok(exists $body->{error}{fields}{token}, 'no token: fields.token');
$res = one_click($alice_token, type => 'text/plain');
is_error_response($res, 415, 'unsupported_media_type',
    'POST as text/plain');
$res = one_click($alice_token, body => 'List-Unsubscribe=Later');
is_error_response($res, 400, 'validation_failed',
    'POST with another List-Unsubscribe value');
# Alice's token in the query and Bob's in the form body: which user is
# meant is unclear, so the request is rejected and changes no one.
$res = request('POST', "/api/v1/unsubscribe?token=$alice_token",
    headers => ['Content-Type' => $FORM],
    body => "token=$bob_token&List-Unsubscribe=One-Click");
$res->{json} = decode_json_body($res);
$body = is_error_response($res, 400, 'validation_failed',
    'POST with two different tokens');
like($body->{error}{fields}{token} // '', qr/differs/,
    'two tokens: fields.token says they differ');
is(scalar(audit_rows(header($res, 'X-Request-ID'))), 0,
    'two tokens: no audit row');
is(marketing_of($alice), 't', 'rejected POSTs: Alice still subscribed');
is(marketing_of($bob), 't', 'rejected POSTs: Bob still subscribed');

# ---- one click ------------------------------------------------------------------------

$res = one_click($alice_token);
is($res->{status}, 200, 'one-click POST: 200, no redirect') or diag($res->{body});
is(header_count($res, 'Location'), 0, 'one-click POST: no Location');
is(header_count($res, 'Set-Cookie'), 0, 'one-click POST: no cookie');
is($res->{json}{status}, 'unsubscribed', 'one-click POST: status');
is($res->{json}{marketing_emails}, $F, 'one-click POST: marketing off');
is(marketing_of($alice), 'f', 'one-click POST: Alice unsubscribed');
is(marketing_of($bob), 't', 'one-click POST: Bob still subscribed');
my @audit = audit_rows(header($res, 'X-Request-ID'));
is_deeply([map { $_->{action} } @audit], ['preferences.unsubscribe'],
    'one-click POST: audit row preferences.unsubscribe');
is($audit[0]{actor_id}, $alice->{user_id}, 'audit: the token\'s user');
is($audit[0]{details}{before}, $T, 'audit: subscribed before');
like(psql_value("SELECT last_used_at FROM sscn.unsubscribe_tokens "
    . "WHERE token_hash = '\\x$hash'::bytea") // '', qr/\d/,
    'token: last use recorded');

is(api('GET', '/api/v1/me/preferences', token => $alice->{token})
    ->{json}{marketing_emails}, $F, 'Alice\'s preferences: off');

# Reusing Alice's token only ever reaches Alice.
$res = one_click($alice_token);
is($res->{status}, 200, 'Alice\'s token again: 200');
is(marketing_of($bob), 't', 'Alice\'s token again: Bob still subscribed');

# The token in a form body, and multipart/form-data, as RFC 8058 allows.
my $boundary = 'sscn' . random_id();
$res = request('POST', "/api/v1/unsubscribe?token=$bob_token",
    headers => ['Content-Type' => "multipart/form-data; boundary=$boundary"],
    body => "--$boundary\r\nContent-Disposition: form-data; "
    . "name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--$boundary--\r\n");
is($res->{status}, 200, 'multipart one-click POST: 200');
is(marketing_of($bob), 'f', 'multipart one-click POST: Bob unsubscribed');
is(set_marketing($bob, 1)->{status}, 200, 'Bob opts in again');
$res = request('POST', '/api/v1/unsubscribe',
    headers => ['Content-Type' => $FORM],
    body => "token=$bob_token&List-Unsubscribe=One-Click");
is($res->{status}, 200, 'token in the form body: 200');
is(marketing_of($bob), 'f', 'token in the form body: Bob unsubscribed');
is(set_marketing($bob, 1)->{status}, 200, 'Bob opts in before the same-token POST');
$res = request('POST', "/api/v1/unsubscribe?token=$bob_token",
    headers => ['Content-Type' => $FORM],
    body => "token=$bob_token&List-Unsubscribe=One-Click");
is($res->{status}, 200, 'same token in query and body: 200')
    or diag($res->{body});
is(marketing_of($bob), 'f', 'same token in query and body: Bob unsubscribed');

# ---- the outbox skips unsubscribed users ----------------------------------------------

is(set_marketing($bob, 1)->{status}, 200, 'Bob opts in once more');
$subject = 'SSCN news ' . random_id();
($status, $out) = newsletter($subject);
is($status, 0, 'second newsletter: exit 0') or diag($out);
is(scalar(grep { $_->{subject} eq $subject }
    newsletter_mails($alice->{email})), 0,
    'second newsletter: nothing to Alice');
my ($queued) = grep { $_->{subject} eq $subject }
    newsletter_mails($bob->{email});
ok($queued, 'second newsletter: Bob gets it');

# Queued before Bob unsubscribes: the claim marks it skipped.
$res = one_click(unsubscribe_token($queued));
is($res->{status}, 200, 'Bob unsubscribes after queueing');
my $claimed = psql_value('SET ROLE sscn_maint; SELECT coalesce(string_agg('
    . 'id::text, \',\'), \'\') FROM sscn.mail_outbox_claim(10000)');
ok(defined $claimed, 'claim runs as sscn_maint');
ok(!grep({ $_ eq $queued->{id} } split /,/, $claimed // ''),
    'claim: Bob\'s marketing mail not returned');
is(psql_value("SELECT state FROM sscn.mail_outbox WHERE id = $queued->{id}"),
    'skipped', 'claim: Bob\'s marketing mail skipped');

# Queue time: the outbox's trigger drops marketing mail to an unsubscribed
# user, whoever inserts it (here the superuser, because sscn_app may not
# read the rows it inserts).
# Recipient and body are ciphertext in real rows; any bytes do here, and
# the kept row is removed at once so that "sscnctl mailq" still decrypts
# every row.
is(psql_value('SET client_min_messages = warning; '
    . 'WITH i AS (INSERT INTO sscn.mail_outbox (recipient, subject, body, '
    . 'template, user_id, category, seal_id) VALUES '
    . "('\\x00', 's', '\\x00', 'newsletter', '$alice->{user_id}', "
    . "'marketing', gen_random_uuid()) RETURNING id) SELECT count(*) FROM i"),
    0, 'outbox: marketing mail to an unsubscribed user dropped');
my $kept = psql_value('INSERT INTO sscn.mail_outbox (recipient, subject, '
    . 'body, template, user_id, seal_id) VALUES '
    . "('\\x00', 's', '\\x00', 'test', '$alice->{user_id}', "
    . 'gen_random_uuid()) RETURNING id') // '';
like($kept, qr/^\d+$/, 'outbox: transactional mail to the same user kept');
psql_value("DELETE FROM sscn.mail_outbox WHERE id = $kept") if $kept ne '';
my ($psql_status, $psql_out) = dev_tool('psql', '-X', '-q', '-v',
    'ON_ERROR_STOP=1', '-c', 'INSERT INTO sscn.mail_outbox '
    . '(recipient, subject, body, template, headers, seal_id) VALUES '
    . "('\\x00', 's', '\\x00', 'test', "
    . "'{\"X-Bad\": \"a\\r\\nBcc: y\@example.test\"}', gen_random_uuid())");
isnt($psql_status, 0, 'outbox: a header value with CR LF rejected');
like($psql_out, qr/mail_outbox_headers_check/,
    'outbox: rejected by the headers constraint');
is(psql_value("SELECT count(*) FROM sscn.mail_outbox WHERE template = 'test' "
    . "AND user_id = '$alice->{user_id}' AND headers <> '{}'"), 0,
    'outbox: nothing stored for the bad header');

done_testing();
