#!/usr/bin/perl
# Rate limits of the error reports: a flood of one error sends one event
# per minute across all workers, while another error still gets through;
# after a 429 with Retry-After nothing is sent until that time has passed.
# /metrics counts the 429 as a rejected send.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Sentry;
use Test::More;
use Time::HiRes qw(sleep time);

require_stack();
my $mock = SSCN::Sentry->start;
ok(conf_override($mock->conf_keys), 'sscnd reloads with the mock DSN')
    or BAIL_OUT('cannot configure the mock Sentry');

sub fail_kind ($kind) {
	return request('POST', "/api/v1/test/fail/$kind", body => '')->{status};
}

# The events received so far whose log_event tag is EVENT_NAME.
sub events_for ($event_name) {
	return grep { ($_->{tags}{log_event} // '') eq $event_name } $mock->events;
}

# ---- flood of one error ----------------------------------------------------

my @statuses = parallel_map(20, sub ($i) { fail_kind('a') });
is(scalar(grep { ($_ // '') eq '500' } @statuses), 20,
    'every request of the flood answers 500');
$mock->wait_requests(1);
sleep 3;	# more envelopes would arrive within this time
is(scalar(events_for('test_failure_a')), 1, 'flood of one error sends one event');

is(fail_kind('b'), 500, 'another error answers 500');
$mock->wait_requests(2);
is(scalar(events_for('test_failure_b')), 1, 'another error is still reported');

is(fail_kind('a'), 500, 'first error again answers 500');
sleep 2;
is(scalar(events_for('test_failure_a')), 1,
    'first error within a minute is not reported again');

# ---- 429 with Retry-After ------------------------------------------------------

my $retry_after = 4;
my $REJECTED = 'sscn_sentry_send_failures_total{kind="rejected"}';
my $rejected_before = (metrics_scrape())[1]{$REJECTED} // 0;
$mock->mode('429', $retry_after);
my $offset = file_size($SSCND_LOG);
my $limited_at = time;
is(fail_kind('c'), 500, 'error answered with 429 by Sentry answers 500');
ok(wait_for(sub { read_from($SSCND_LOG, $offset) =~
    /event=sentry_rate_limited[^\n]*retry_after_s=$retry_after\b/ }, 5),
    '429 and its Retry-After are logged');
is(((metrics_scrape())[1]{$REJECTED} // 0) - $rejected_before, 1,
    '429 is counted in /metrics as a rejected send');
my $count = scalar $mock->requests;

# While limited, a new error is dropped without counting as reported.
is(fail_kind('d'), 500, 'error while limited answers 500');
sleep 1;
is(scalar($mock->requests), $count, 'nothing is sent while limited');
ok(time - $limited_at < $retry_after, 'that check ran inside the Retry-After');

sleep($retry_after - (time - $limited_at) + 0.5);
is(fail_kind('d'), 500, 'same error after Retry-After answers 500');
$mock->wait_requests($count + 1);
is(scalar($mock->requests), $count + 1, 'error after Retry-After is sent');
is(scalar(events_for('test_failure_d')), 1, 'that envelope is the new error');

done_testing;
