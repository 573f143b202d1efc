#!/usr/bin/perl
# Header safety and marketing mail at delivery: a name with CR or LF is
# rejected at registration; a name that looks like headers stays in the
# body and adds no header or recipient; an extra header outside the
# allow-list fails the row without sending; a newsletter arrives with an
# RFC 2047 subject and the unsubscribe headers, and is never sent to a
# user who turned marketing mail off after it was queued.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Encode qw(decode);
use SSCN::Test;
use SSCN::Consent;
use SSCN::Mail;
use Test::More;

require_stack();
start_test_mail();
my $sink = start_sink() or BAIL_OUT('smtp-sink did not start');
my $conf = sender_conf($sink);

# ---- CR and LF in a name --------------------------------------------------------

my ($user, $res) = register_user(email => unique_email('crlf'),
    full_name => "Eve\r\nBcc: victim\@example.test");
is($res->{status}, 400, 'CRLF in full_name: 400');
is(user_id_of($user->{email}), undef, 'CRLF in full_name: no account');
is(scalar(outbox_ids($user->{email})), 0, 'CRLF in full_name: no mail queued');

my $lookalike = "Eve <victim\@example.test>, Bcc: victim\@example.test";
($user, $res) = register_user(email => unique_email('lookalike'),
    full_name => $lookalike);
is($res->{status}, 202, 'header-like name: registered');
my ($status, $out) = mail_send($conf);
is($status, 0, 'header-like name: mail-send exits 0') or diag($out);
my @mails = messages_to($sink, $user->{email});
is(scalar @mails, 1, 'header-like name: one message');
is(scalar(messages_to($sink, 'victim@example.test')), 0,
    'header-like name: nothing to the address in the name');
SKIP: {
	skip 'no message', 3 unless @mails;
	is_deeply([header_values($mails[0], 'Delivered-To')], [$user->{email}],
	    'header-like name: one envelope recipient');
	is(scalar(header_values($mails[0], 'Bcc')), 0, 'header-like name: no Bcc');
	like(body_of($mails[0]), qr/^Hello \Q$lookalike\E,/,
	    'header-like name: only in the body');
}

# ---- extra headers checked at send time ----------------------------------------

($user, $res) = register_user(email => unique_email('badheader'));
my ($id) = outbox_ids($user->{email}, 'verify_email');
psql_value("UPDATE sscn.mail_outbox SET headers = "
    . "'{\"Bcc\": \"victim\@example.test\"}' WHERE id = $id");
($status, $out) = mail_send($conf);
my $row = outbox_row($id);
is($row->{state}, 'failed', 'Bcc in the row headers: row failed');
like($row->{last_error}, qr/"Bcc" is not allowed/, 'Bcc in the row headers: reason');
is(scalar(messages_to($sink, $user->{email})), 0, 'Bcc in the row headers: nothing sent');
my $bad = psql_value("UPDATE sscn.mail_outbox SET subject = E'x\\r\\nBcc: y' "
    . "WHERE id = $id RETURNING id");
is($bad, undef, 'CRLF in a subject: the database rejects it');

# ---- newsletter -----------------------------------------------------------------

my $alice = member() or BAIL_OUT('no member');
my $bob = member() or BAIL_OUT('no member');
is(set_marketing($alice, 1)->{status}, 200, 'Alice opts in');
is(set_marketing($bob, 1)->{status}, 200, 'Bob opts in');
my $subject = 'Neuigkeiten für Einkäufer – März';
($status, $out) = newsletter($subject, "Grüße aus Łódź.\n");
is($status, 0, 'newsletter queued') or diag($out);
# Newsletter rows carry the user id, not the address index.
my $bob_id = psql_value("SELECT max(id) FROM sscn.mail_outbox WHERE "
    . "user_id = '$bob->{user_id}' AND template = 'newsletter'");
ok($bob_id, 'Bob has a queued newsletter');
is(set_marketing($bob, 0)->{status}, 200, 'Bob opts out after queueing');

($status, $out) = mail_send($conf);
is($status, 0, 'newsletter: mail-send exits 0') or diag($out);
@mails = grep { (header_values($_, 'List-Unsubscribe'))[0] }
    messages_to($sink, $alice->{email});
is(scalar @mails, 1, 'newsletter: Alice gets one');
SKIP: {
	skip 'no newsletter', 5 unless @mails;
	my ($raw_subject) = header_values($mails[0], 'Subject');
	like($raw_subject, qr/^=\?UTF-8\?B\?/, 'newsletter: subject is RFC 2047 encoded');
	is(decode('MIME-Header', $raw_subject), decode('UTF-8', $subject),
	    'newsletter: subject decodes');
	like((header_values($mails[0], 'List-Unsubscribe'))[0],
	    qr{^<https://[^>]+/api/v1/unsubscribe\?token=[A-Za-z0-9_-]+>$},
	    'newsletter: List-Unsubscribe is the HTTPS link');
	is((header_values($mails[0], 'List-Unsubscribe-Post'))[0],
	    'List-Unsubscribe=One-Click', 'newsletter: one-click header');
	my $greeting = decode('UTF-8', 'Grüße aus Łódź');
	like(body_of($mails[0]), qr/\Q$greeting\E/, 'newsletter: UTF-8 body');
}
is(scalar(grep { (header_values($_, 'List-Unsubscribe'))[0] }
    messages_to($sink, $bob->{email})), 0, 'newsletter: nothing to Bob');
is(outbox_row($bob_id)->{state}, 'skipped', "newsletter: Bob's row is skipped");

stop_sink($sink);
done_testing();
