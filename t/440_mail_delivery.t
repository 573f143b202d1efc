#!/usr/bin/perl
# Mail delivery over SMTP: the verification, reset and lock mails that the
# API queues reach a real SMTP server on 127.0.0.1 (tools/smtp-sink) over
# STARTTLS, as RFC 5322 messages with the expected headers, each to its
# one recipient; the outbox row becomes 'sent' with the Message-ID it was
# sent with, and the verification link from the delivered mail works.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Mail;
use Test::More;

require_stack();
start_test_mail();

my $sink = start_sink() or BAIL_OUT('smtp-sink did not start');
my $conf = sender_conf($sink);

# Check the headers every SSCN message must have.
sub has_rfc5322_headers ($m, $to, $name) {
	for my $h (qw(Date From To Subject Message-ID MIME-Version
	    Content-Type Content-Transfer-Encoding)) {
		is(scalar(header_values($m, $h)), 1, "$name: one $h header");
	}
	my ($date) = header_values($m, 'Date');
	like($date, qr/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$/,
	    "$name: Date in RFC 5322 form");
	is((header_values($m, 'From'))[0], '"SSCN Tests" <noreply@sscn.test>',
	    "$name: From from the configuration");
	is((header_values($m, 'To'))[0], $to, "$name: To is the recipient");
	like((header_values($m, 'Message-ID'))[0], qr/^<[0-9a-f]{32}\@sscn\.test>$/,
	    "$name: Message-ID at the sender's domain");
	is((header_values($m, 'MIME-Version'))[0], '1.0', "$name: MIME 1.0");
	is((header_values($m, 'Content-Type'))[0], 'text/plain; charset=utf-8',
	    "$name: UTF-8 text");
	is_deeply([header_values($m, 'Delivered-To')], [$to],
	    "$name: one envelope recipient");
	is(scalar(header_values($m, 'Bcc')) + scalar(header_values($m, 'Cc')),
	    0, "$name: no Cc or Bcc");
}

# ---- verification mail ------------------------------------------------------

my ($user, $res) = register_user(full_name => 'Zoë Ångström');
is($res->{status}, 202, 'register: 202');
my ($verify_id) = outbox_ids($user->{email}, 'verify_email');
ok($verify_id, 'register: a verification mail is queued');
is(outbox_row($verify_id)->{state}, 'queued', 'verification: queued');

my ($status, $out) = mail_send($conf);
is($status, 0, 'mail-send --once: exit 0') or diag($out);
unlike($out, qr/\Q$user->{email}\E/, 'mail-send log: no recipient address');
unlike($out, qr/token=/, 'mail-send log: no link');

my @mails = messages_to($sink, $user->{email});
is(scalar @mails, 1, 'verification: exactly one message arrives');
my $mail = $mails[0];
SKIP: {
	skip 'no verification message', 30 unless $mail;
	has_rfc5322_headers($mail, $user->{email}, 'verification');
	is((header_values($mail, 'Subject'))[0],
	    'Confirm your e-mail address for SSCN', 'verification: Subject');
	my $body = body_of($mail);
	like($body, qr/^Hello Zoë Ångström,/, 'verification: UTF-8 name in body');
	my ($token) = $body =~ m{/verify-email#token=([A-Za-z0-9_-]+)};
	ok($token, 'verification: the body has the link');
	my $row = outbox_row($verify_id);
	is($row->{state}, 'sent', 'verification: row is sent');
	is($row->{attempts}, 1, 'verification: one attempt');
	is($row->{message_id}, (header_values($mail, 'Message-ID'))[0],
	    'verification: row keeps the Message-ID');
	$res = api('POST', '/api/v1/auth/verify-email', json => { token => $token });
	is($res->{status}, 200, 'verification: the delivered link verifies');
}
open(my $log, '<', $sink->{log});
like(do { local $/; <$log> }, qr/tls=True/, 'smtp-sink: the message came over TLS');

# ---- password reset ---------------------------------------------------------

$res = api('POST', '/api/v1/auth/password/forgot',
    json => { email => $user->{email} });
is($res->{status}, 202, 'forgot: 202');
($status, $out) = mail_send($conf);
is($status, 0, 'mail-send after forgot: exit 0') or diag($out);
@mails = grep { (header_values($_, 'Subject'))[0] eq 'Reset your SSCN password' }
    messages_to($sink, $user->{email});
is(scalar @mails, 1, 'reset: exactly one message arrives');
SKIP: {
	skip 'no reset message', 20 unless @mails;
	has_rfc5322_headers($mails[0], $user->{email}, 'reset');
	my ($token) = body_of($mails[0]) =~ m{/reset-password#token=([A-Za-z0-9_-]+)};
	ok($token, 'reset: the body has the link');
	$res = api('POST', '/api/v1/auth/password/reset',
	    json => { token => $token, new_password => strong_password() });
	is($res->{status}, 204, 'reset: the delivered link resets the password');
}

# ---- lock notice ------------------------------------------------------------

my $addr = client_addr();
for (1 .. 5) {
	api('POST', '/api/v1/auth/login', addr => $addr,
	    json => { email => $user->{email}, password => 'Wrong-password-1' });
}
my ($lock_id) = outbox_ids($user->{email}, 'account_locked');
ok($lock_id, 'lock: five failed logins queue the lock notice');
($status, $out) = mail_send($conf);
is($status, 0, 'mail-send after the lock: exit 0') or diag($out);
@mails = grep { (header_values($_, 'Subject'))[0] eq 'Your SSCN account was locked' }
    messages_to($sink, $user->{email});
is(scalar @mails, 1, 'lock: exactly one message arrives');
SKIP: {
	skip 'no lock message', 20 unless @mails;
	has_rfc5322_headers($mails[0], $user->{email}, 'lock');
	like(body_of($mails[0]), qr/locked for \d+ minutes/, 'lock: body says how long');
	is(outbox_row($lock_id)->{state}, 'sent', 'lock: row is sent');
}

# ---- a second run sends nothing again ----------------------------------------

my $count = () = sink_messages($sink);
($status, $out) = mail_send($conf);
is($status, 0, 'idle mail-send: exit 0');
is(scalar(() = sink_messages($sink)), $count, 'idle mail-send: nothing sent twice');

stop_sink($sink);
done_testing();
