#!/usr/bin/perl
# Idempotency-Key on POSTs that create objects: a retry with the same key
# and body within 24 hours gets the first answer byte for byte and creates
# nothing; the same key with another body gets 422; a key still in
# progress gets 409; another client's key is its own; an expired key is
# a new request, and "sscnctl purge" deletes it.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Deletion;
use SSCN::Rfqs;
use SSCN::Sourcing;
use SSCN::Test;
use Test::More;
use Time::HiRes qw(sleep);

require_stack();

my $buyer = org_user('buyer');
my $other = org_user('buyer');

sub create ($actor, $key, $body) {
	return api('POST', '/api/v1/rfqs', token => $actor->{token},
	    json => $body, headers => ['Idempotency-Key' => $key]);
}

sub rfq_count ($title) {
	return psql_value('SELECT count(*) FROM sscn.rfqs WHERE title = '
	    . sql_quote($title));
}

sub key_rows ($key) {
	return psql_value('SELECT count(*) FROM sscn.idempotency_keys '
	    . 'WHERE key = ' . sql_quote($key));
}

# ---- retry ------------------------------------------------------------------

my $key = 'retry-' . random_id();
my $body = rfq_body();
my $first = create($buyer, $key, $body);
my $rfq = is_json_ok($first, 201, 'retry: first request creates');
my $again = create($buyer, $key, $body);
is($again->{status}, 201, 'retry: same status');
is($again->{body}, $first->{body}, 'retry: same body, byte for byte');
is(header($again, 'Location'), header($first, 'Location'),
    'retry: same Location');
isnt(header($again, 'X-Request-ID'), header($first, 'X-Request-ID'),
    'retry: own request id');
is(rfq_count($body->{title}), 1, 'retry: one RFQ');
is(key_rows($key), 1, 'retry: one stored key');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'rfq.create' AND target = '$rfq->{id}'"), 1, 'retry: one audit row');
is(psql_value('SELECT position(convert_to(' . sql_quote($body->{title})
    . ", 'UTF8') IN response) FROM sscn.idempotency_keys WHERE key = "
    . sql_quote($key)), 0, 'retry: stored answer is sealed');

# ---- another body -----------------------------------------------------------

my $changed = { %$body, quantity => 7000 };
is_error_response(create($buyer, $key, $changed), 422,
    'idempotency_key_reused', 'reuse: another body gets 422');
is(rfq_count($body->{title}), 1, 'reuse: still one RFQ');
my $elsewhere = api('POST', "/api/v1/organizations/$buyer->{org_id}/members",
    token => $buyer->{token}, headers => ['Idempotency-Key' => $key],
    json => $body);
is_error_response($elsewhere, 422, 'idempotency_key_reused',
    'reuse: another route gets 422');

# ---- another client ---------------------------------------------------------

my $theirs = create($other, $key, $body);
my $their_rfq = is_json_ok($theirs, 201, 'client: another user creates');
isnt($their_rfq->{id}, $rfq->{id}, 'client: a new RFQ');
is(rfq_count($body->{title}), 2, 'client: two RFQs in all');
is(key_rows($key), 2, 'client: a key row per user');

# ---- invalid keys -----------------------------------------------------------

for my $case (['empty', ''], ['space', 'a b'], ['too long', 'k' x 256],
    ['non-ASCII', "cl\xc3\xa9"]) {
	my ($name, $value) = @$case;
	my $b = rfq_body();
	is_error_response(create($buyer, $value, $b), 400,
	    'validation_failed', "invalid key: $name gets 400");
	is(rfq_count($b->{title}), 0, "invalid key: $name creates nothing");
}
my $longest = 'k' x 254 . '~';
is(create($buyer, $longest, rfq_body())->{status}, 201,
    'valid key: 255 characters accepted');

# ---- in flight --------------------------------------------------------------

# A psql session holds the advisory lock that a request with this key
# takes, as a request still in progress would.
my $busy = 'busy-' . random_id();
my $lock = "hashtextextended('user:$buyer->{user_id} $busy', 0)";
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	dev_tool('psql', '-qAtc',
	    "SELECT pg_advisory_lock($lock); SELECT pg_sleep(6)");
	exit 0;
}
ok(wait_for(sub { psql_value("SELECT count(*) FROM pg_locks WHERE "
    . "locktype = 'advisory' AND granted") > 0 }, 5),
    'in flight: lock held');
my $held = rfq_body();
is_error_response(create($buyer, $busy, $held), 409,
    'idempotency_key_in_use', 'in flight: 409');
is(rfq_count($held->{title}), 0, 'in flight: nothing created');
waitpid($pid, 0);
is(create($buyer, $busy, $held)->{status}, 201, 'in flight: done, 201');

# ---- two at once ------------------------------------------------------------

my $race = 'race-' . random_id();
my $raced = rfq_body();
my @pids;
for my $i (1, 2) {
	my $child = fork() // die "fork: $!";
	if ($child == 0) {
		my $res = create($buyer, $race, $raced);
		open(my $fh, '>', "/tmp/570_race_$$") or exit 1;
		print $fh ($res->{status} // 0), "\n", $res->{body} // '';
		close($fh);
		exit 0;
	}
	push @pids, $child;
}
my @answers;
for my $child (@pids) {
	waitpid($child, 0);
	open(my $fh, '<', "/tmp/570_race_$child") or next;
	local $/;
	my ($status, $text) = split /\n/, <$fh>, 2;
	push @answers, [$status, $text];
	unlink("/tmp/570_race_$child");
}
is(scalar @answers, 2, 'concurrent: both answered');
is(rfq_count($raced->{title}), 1, 'concurrent: one RFQ');
my @created = grep { $_->[0] == 201 } @answers;
ok(@created >= 1, 'concurrent: at least one 201');
ok((grep { $_->[0] != 201 && $_->[0] != 409 } @answers) == 0,
    'concurrent: the other is 201 or 409')
    or diag(explain(\@answers));
is($created[-1][1], $created[0][1], 'concurrent: every 201 is the same')
    if @created;

# ---- API keys: the secret is replayed, not made twice -----------------------

my $keys = "/api/v1/organizations/$buyer->{org_id}/api-keys";
my $api_key = 'apikey-' . random_id();
my @made = map { api('POST', $keys, token => $buyer->{token},
    json => { name => 'ERP', scopes => ['read'] },
    headers => ['Idempotency-Key' => $api_key]) } 1, 2;
is_json_ok($made[0], 201, 'api key: created');
is($made[1]->{body}, $made[0]->{body}, 'api key: same secret on retry');
is(psql_value("SELECT count(*) FROM sscn.api_keys WHERE organization_id = "
    . "'$buyer->{org_id}'"), 1, 'api key: one key');

# ---- member invitations: one invitation and one mail -----------------------

my $members = "/api/v1/organizations/$buyer->{org_id}/members";
my $invite_key = 'invite-' . random_id();
my $invitee = { email => 'idem-' . random_id() . '@example.test',
    role => 'member' };
my @invites = map { api('POST', $members, token => $buyer->{token},
    json => $invitee, headers => ['Idempotency-Key' => $invite_key]) } 1, 2;
ok($invites[0]->{status} >= 200 && $invites[0]->{status} <= 299,
    'invitation: created') or diag($invites[0]->{body});
is($invites[1]->{status}, $invites[0]->{status}, 'invitation: same status');
is($invites[1]->{body}, $invites[0]->{body}, 'invitation: same body');
is(psql_value("SELECT count(*) FROM sscn.org_invitations WHERE "
    . "organization_id = '$buyer->{org_id}'"), 1, 'invitation: one row');

# ---- expiry -----------------------------------------------------------------

psql_value('UPDATE sscn.idempotency_keys SET expires_at = now() - '
    . "interval '1 second' WHERE key = " . sql_quote($key)
    . " AND client = 'user:$buyer->{user_id}'");
my $late = create($buyer, $key, $body);
my $late_rfq = is_json_ok($late, 201, 'expiry: expired key creates');
isnt($late_rfq->{id}, $rfq->{id}, 'expiry: a new RFQ');
is(rfq_count($body->{title}), 3, 'expiry: three RFQs in all');

psql_value('UPDATE sscn.idempotency_keys SET expires_at = now() - '
    . "interval '1 second' WHERE key = " . sql_quote($busy));
my ($status, $out, $counts) = purge();
is($status, 0, 'purge: exits 0') or diag($out);
ok(($counts->{idempotency_keys} // 0) >= 1, 'purge: counts expired keys');
is(key_rows($busy), 0, 'purge: expired key deleted');
is(key_rows($key), 2, 'purge: live keys kept');

# ---- a quote: the write that commits in its own round trip -------------------

my $supplier = org_user('supplier');
my $open = create_rfq($buyer);
publish_rfq($buyer, $open);
my %terms = (unit_price => '8.75', currency => $open->{currency},
    lead_time_days => 14, valid_until => rfq_date(40));
my $quote_key = 'quote-' . random_id();
my @quote = map {
	api('POST', "/api/v1/rfqs/$open->{id}/quotes", token => $supplier->{token},
	    json => \%terms, headers => ['Idempotency-Key' => $quote_key])
} 1 .. 2;
my $quote = is_json_ok($quote[0], 201, 'quote: first request creates');
is($quote[1]{status}, 201, 'quote: retry gets 201');
is($quote[1]{body}, $quote[0]{body}, 'quote: same body, byte for byte');
is(psql_value("SELECT count(*) FROM sscn.quotes WHERE rfq_id = "
    . "'$open->{id}'"), 1, 'quote: one quote');
is(psql_value("SELECT count(*) FROM sscn.audit_log WHERE action = "
    . "'quote.submit' AND target = '$quote->{id}'"), 1,
    'quote: one audit row');
is(key_rows($quote_key), 1, 'quote: key stored with the quote');
is_error_response(api('POST', "/api/v1/rfqs/$open->{id}/quotes",
    token => $supplier->{token}, json => \%terms,
    headers => ['Idempotency-Key' => 'quote-other-' . random_id()]), 409,
    'conflict', 'quote: another key is a second quote, refused');
is(psql_value("SELECT count(*) FROM sscn.quotes WHERE rfq_id = "
    . "'$open->{id}'"), 1, 'quote: still one quote');

done_testing();
