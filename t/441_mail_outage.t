#!/usr/bin/perl
# Mail delivery when the SMTP server is away, refuses TLS or rejects a
# recipient: with no server the row stays queued, counts the attempt and
# waits for next_attempt_at, then goes out once the server is back; a
# server without STARTTLS receives nothing while smtp_require_tls is on;
# a 5xx reply marks the row failed at once; repeated temporary failures
# end in 'failed' after mail_max_attempts.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Mail;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();
start_test_mail();

# Register an account and return its address and verification row id.
sub queued_verification ($tag) {
	my ($user, $res) = register_user(email => unique_email($tag));
	is($res->{status}, 202, "$tag: register 202");
	my ($id) = outbox_ids($user->{email}, 'verify_email');
	ok($id, "$tag: verification queued");
	return ($user->{email}, $id);
}

# ---- server down, then back ---------------------------------------------------

my $probe = start_sink() or BAIL_OUT('smtp-sink did not start');
my $port = $probe->{port};
stop_sink($probe);
my $conf = sender_conf({ port => $port });

my ($email, $id) = queued_verification('outage');
my ($status, $out) = mail_send($conf);
is($status, 0, 'server down: mail-send exits 0');
like($out, qr/event=mail_deferred outbox_id=$id attempt=1/,
    'server down: the deferral is logged with the outbox id');
unlike($out, qr/\Q$email\E/, 'server down: the log has no address');
my $row = outbox_row($id);
is($row->{state}, 'queued', 'server down: row stays queued');
is($row->{attempts}, 1, 'server down: the attempt is counted');
ok($row->{scheduled}, 'server down: next_attempt_at is set');
like($row->{last_error}, qr/connect/i, 'server down: last_error says why');
unlike($row->{last_error}, qr/\Q$email\E/, 'server down: last_error has no address');

($status, $out) = mail_send($conf);
is(outbox_row($id)->{attempts}, 1, 'before next_attempt_at: not tried again');

my $sink = start_sink(port => $port) or BAIL_OUT('smtp-sink did not restart');
sleep 1.5;
($status, $out) = mail_send($conf);
is($status, 0, 'server back: mail-send exits 0') or diag($out);
is(scalar(messages_to($sink, $email)), 1, 'server back: the mail arrives once');
$row = outbox_row($id);
is($row->{state}, 'sent', 'server back: row is sent');
is($row->{attempts}, 2, 'server back: on the second attempt');
is($row->{last_error}, '', 'server back: last_error is cleared');
stop_sink($sink);

# ---- STARTTLS required ----------------------------------------------------------

my $plain = start_sink(no_starttls => 1) or BAIL_OUT('plain smtp-sink did not start');
($email, $id) = queued_verification('notls');
($status, $out) = mail_send(sender_conf($plain));
is($status, 0, 'no STARTTLS: mail-send exits 0');
is(scalar(sink_messages($plain)), 0, 'no STARTTLS: the server receives nothing');
$row = outbox_row($id);
is($row->{state}, 'queued', 'no STARTTLS: row stays queued');
like($row->{last_error}, qr/SSL|TLS/i, 'no STARTTLS: last_error names TLS');

sleep 1.1;
($status, $out) = mail_send(sender_conf($plain, smtp_require_tls => 'no'));
is(scalar(messages_to($plain, $email)), 1,
    'smtp_require_tls = no: the same server receives it in clear');
stop_sink($plain);

# ---- wrong CA -------------------------------------------------------------------

$sink = start_sink() or BAIL_OUT('smtp-sink did not start');
($email, $id) = queued_verification('wrongca');
($status, $out) = mail_send(sender_conf($sink,
    smtp_ca_file => '/etc/ssl/certs/ca-certificates.crt'));
is(scalar(sink_messages($sink)), 0,
    'unverified certificate: the server receives nothing');
is(outbox_row($id)->{state}, 'queued', 'unverified certificate: row stays queued');
sleep 1.1;
mail_send(sender_conf($sink));
is(outbox_row($id)->{state}, 'sent', 'right CA: the row goes out');
stop_sink($sink);

# ---- permanent failure ----------------------------------------------------------

$sink = start_sink(reject_rcpt => 'rejectme') or BAIL_OUT('smtp-sink did not start');
($email, $id) = queued_verification('rejectme');
($status, $out) = mail_send(sender_conf($sink));
is($status, 0, '550: mail-send exits 0');
like($out, qr/event=mail_failed outbox_id=$id attempt=1/, '550: logged as failed');
$row = outbox_row($id);
is($row->{state}, 'failed', '550: row is failed at once');
is($row->{attempts}, 1, '550: after one attempt');
like($row->{last_error}, qr/SMTP reply 550/, '550: last_error has the reply code');
unlike($row->{last_error}, qr/\Q$email\E/, '550: last_error has no address');
sleep 1.1;
mail_send(sender_conf($sink));
is(outbox_row($id)->{attempts}, 1, '550: never tried again');
stop_sink($sink);

# ---- attempts run out -----------------------------------------------------------

$conf = sender_conf({ port => $port }, mail_max_attempts => 2);
($email, $id) = queued_verification('maxattempts');
mail_send($conf);
is(outbox_row($id)->{state}, 'queued', 'max attempts: queued after the first');
sleep 1.1;
mail_send($conf);
$row = outbox_row($id);
is($row->{state}, 'failed', 'max attempts: failed after the second');
is($row->{attempts}, 2, 'max attempts: two attempts');

done_testing();
