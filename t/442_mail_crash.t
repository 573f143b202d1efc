#!/usr/bin/perl
# A sender killed in the middle of a batch sends nothing twice: the row
# whose SMTP transaction was cut off stays 'sending' until the next sender
# starts, which moves it to 'review' instead of sending it again, and
# sends the rest once.  "mail-send --requeue ID" puts a reviewed row back
# in the queue and audits it; other states and bad ids are rejected.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Mail;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();
my $tmp = start_test_mail();

# Empty the queue first, so that the batch below is only this test's.
my $sink = start_sink() or BAIL_OUT('smtp-sink did not start');
my ($status, $out) = mail_send(sender_conf($sink));
is($status, 0, 'flush: mail-send exits 0') or diag($out);
stop_sink($sink);

my (@emails, %row_of);
for my $n (1 .. 3) {
	my ($user, $res) = register_user(email => unique_email("crash$n"));
	is($res->{status}, 202, "user $n: register 202");
	push @emails, $user->{email};
	($row_of{ $user->{email} }) = outbox_ids($user->{email}, 'verify_email');
}

# A server that waits 5 s before it answers the end of DATA, after it
# stored the message: the sender is killed inside that window.
my $slow = start_sink(data_delay => 5) or BAIL_OUT('slow smtp-sink did not start');
my $conf = sender_conf($slow);
my $pid = start_sender_loop($conf, "$tmp/loop.log");
my $stored = wait_for(sub { scalar(sink_messages($slow)) >= 1 }, 15);
ok($stored, 'slow server: the first message is stored');
kill 'KILL', $pid;
waitpid($pid, 0);
stop_sink($slow);

my @sending = split /\n/, psql_value("SELECT id FROM sscn.mail_outbox "
    . "WHERE state = 'sending' ORDER BY id") // '';
is(scalar @sending, 1, 'after SIGKILL: one row is left in sending');
my $cut = $sending[0] // 0;
ok((grep { $_ == $cut } values %row_of), 'after SIGKILL: it is one of the batch');

# The next sender, with a prompt server on the same mailbox.
$sink = start_sink(dir => $slow->{dir}) or BAIL_OUT('smtp-sink did not start');
($status, $out) = mail_send(sender_conf($sink));
is($status, 0, 'next sender: exits 0') or diag($out);
like($out, qr/event=mail_review count=1 /, 'next sender: logs the row for review');
is(outbox_row($cut)->{state}, 'review', 'next sender: the cut-off row is in review');
like(outbox_row($cut)->{last_error}, qr/may have accepted/,
    'next sender: last_error says why');
for my $email (@emails) {
	is(scalar(messages_to($sink, $email)), 1, "each mail arrives exactly once ($email)");
	my $state = outbox_row($row_of{$email})->{state};
	ok($state eq 'sent' || $row_of{$email} == $cut,
	    "every other row is sent ($email: $state)");
}
($status, $out) = mail_send(sender_conf($sink));
is(outbox_row($cut)->{state}, 'review', 'a later run leaves review alone');
is(scalar(sink_messages($sink)), 3, 'a later run sends nothing again');

# ---- --requeue ----------------------------------------------------------------

my ($sent_id) = grep { $_ != $cut } values %row_of;
($status, $out) = sscnctl('mail-send', '--requeue', $sent_id);
is($status, 1, 'requeue of a sent row: exit 1');
like($out, qr/not in state review or failed/, 'requeue of a sent row: says why');
is(outbox_row($sent_id)->{state}, 'sent', 'requeue of a sent row: unchanged');
($status, $out) = sscnctl('mail-send', '--requeue', '12; DROP');
is($status, 2, 'requeue of a bad id: exit 2');
($status, $out) = sscnctl('mail-send', '--requeue', $cut);
is($status, 0, 'requeue of the reviewed row: exit 0') or diag($out);
is(outbox_row($cut)->{state}, 'queued', 'requeue: the row is queued again');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'mail.requeue' AND target = '$cut'"), 1, 'requeue: audited');
($status, $out) = mail_send(sender_conf($sink));
is(outbox_row($cut)->{state}, 'sent', 'requeued row: sent by the next run');
stop_sink($sink);

# ---- usage ----------------------------------------------------------------------

($status, $out) = sscnctl('mail-send', '--forever');
is($status, 2, 'unknown option: exit 2');
like($out, qr/usage: sscnctl mail-send/, 'unknown option: prints the usage');

done_testing();
