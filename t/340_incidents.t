#!/usr/bin/perl
# The breach register: POST, GET and PATCH /api/v1/admin/incidents.  The
# 72-hour deadline is computed from became_aware_at, the list shows open
# incidents with the seconds left (negative when overdue), the rules
# between fields hold on every change, every change writes an audit row
# naming the changed fields, and only admins with an MFA-verified session
# reach the register, row-level security included.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Incidents;
use SSCN::Sourcing qw(sql_as);
use Test::More;

require_stack();

my $admin = mfa_admin();

# Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ".
sub epoch_of ($time) {
	my $out = psql_value("SELECT extract(epoch FROM timestamptz '$time')::bigint");
	return $out;
}

# The stored incident row as JSON, read by the superuser.
sub stored ($id) {
	my $rows = psql_json("SELECT * FROM sscn.incidents WHERE id = '$id'");
	return $rows->[0];
}

# ---- create ---------------------------------------------------------------------------

my $res = create_incident($admin, incident_body(1, reporter => 'support desk'));
my $incident = is_json_ok($res, 201, 'POST /admin/incidents');
my $id = $incident->{id} // '';
like($id, qr/^[0-9a-f-]{36}$/, 'create: id is a UUID');
is($incident->{status}, 'open', 'create: status defaults to open');
is($incident->{severity}, 'sev2', 'create: severity');
is_deeply($incident->{data_categories}, ['contact details', 'business records'],
    'create: data categories');
is($incident->{approx_subjects}, 40, 'create: approximate data subjects');
is($incident->{approx_records}, 1200, 'create: approximate records');
is($incident->{authority_notified}, JSON::PP::false,
    'create: authority not notified');
is($incident->{created_by}, $admin->{user_id}, 'create: created_by is the admin');

my $aware = epoch_of($incident->{became_aware_at});
is(epoch_of($incident->{deadline_at}), $aware + 72 * 3600,
    'create: deadline is 72 hours after became_aware_at');
my $left = $incident->{seconds_to_deadline} // 0;
ok($left > 70 * 3600 && $left <= 71 * 3600,
    'create: about 71 hours left') or diag("seconds_to_deadline $left");

my @audit = audit_rows(header($res, 'X-Request-ID'));
is(scalar(grep { $_->{action} eq 'incident.create' } @audit), 1,
    'create: one audit row incident.create');
is($audit[-1]{target}, $id, 'create audit: target is the incident');
is($audit[-1]{actor_id}, $admin->{user_id}, 'create audit: actor is the admin');
ok((grep { $_ eq 'became_aware_at' } @{ $audit[-1]{details}{fields} // [] }),
    'create audit: details name the fields');
unlike(join(' ', map { $_ // '' } values %{ $audit[-1]{details} }),
    qr/misconfigured/, 'create audit: details hold no values');

# ---- validation ------------------------------------------------------------------------

my $count_before = psql_value('SELECT count(*) FROM sscn.incidents');
for my $case (
    [incident_body(1, severity => 'urgent'), 'severity', 'unknown severity'],
    [incident_body(1, became_aware_at => 'yesterday'), 'became_aware_at',
	'unparsable time'],
    [incident_body(-2), 'became_aware_at', 'time in the future'],
    [incident_body(1, id => '00000000-0000-4000-8000-000000000000'), 'id',
	'server-owned id'],
    [incident_body(1, deadline_at => '2030-01-01T00:00:00Z'), 'deadline_at',
	'computed deadline'],
    [incident_body(1, approx_subjects => -1), 'approx_subjects',
	'negative count'],
    [incident_body(1, data_categories => 'contact'), 'data_categories',
	'categories not an array'],
    [incident_body(1, title => "two\nlines"), 'title', 'title with a newline'],
    [incident_body(1, status => 'notified'), 'status',
	'notified without a notification time'],
    [incident_body(1, authority_reference => 'CNIL-1'), 'authority_reference',
	'reference without a notification time'],
    [incident_body(1, detected_at => '2020-01-01T00:00:00Z',
	became_aware_at => '2019-12-31T00:00:00Z'), 'became_aware_at',
	'aware before detected'],
) {
	my ($body, $field, $name) = @$case;
	my $body_res = create_incident($admin, $body);
	my $err = is_error_response($body_res, 400, 'validation_failed',
	    "create with $name");
	ok(exists $err->{error}{fields}{$field}, "create with $name: fields.$field")
	    or diag($body_res->{body});
}
{
	my %body = %{ incident_body(1) };
	delete $body{description};
	my $err = is_error_response(create_incident($admin, \%body), 400,
	    'validation_failed', 'create without description');
	is($err->{error}{fields}{description}, 'missing',
	    'create without description: missing');
}
is(psql_value('SELECT count(*) FROM sscn.incidents'), $count_before,
    'refused creates stored nothing');

# ---- overdue incident and the list ---------------------------------------------------

$res = create_incident($admin, incident_body(80, title => 'Overdue laptop loss',
    severity => 'sev1'));
my $overdue = is_json_ok($res, 201, 'create an incident known for 80 hours');
my $overdue_left = $overdue->{seconds_to_deadline} // 0;
ok($overdue_left < -7 * 3600 && $overdue_left >= -8 * 3600 - 60,
    'overdue: seconds_to_deadline about -8 hours')
    or diag("seconds_to_deadline $overdue_left");

my %listed;
my $cursor;
for (1 .. 50) {
	my $path = '/api/v1/admin/incidents?limit=2'
	    . (defined $cursor ? "&cursor=$cursor" : '');
	my $page = is_json_ok(api('GET', $path, token => $admin->{token}), 200,
	    'GET /admin/incidents page') or last;
	$listed{ $_->{id} } = $_ for @{ $page->{items} };
	ok(@{ $page->{items} } <= 2, 'list page: at most limit items');
	$cursor = $page->{next_cursor};
	last unless defined $cursor;
}
ok($listed{$id}, 'list: contains the new incident');
ok($listed{ $overdue->{id} // '' }, 'list: contains the overdue incident');
ok(($listed{ $overdue->{id} // '' }{seconds_to_deadline} // 0) < 0,
    'list: overdue incident has negative time left');
ok(!(grep { $_->{status} eq 'closed' } values %listed),
    'list: no closed incident by default');

is_error_response(api('GET', '/api/v1/admin/incidents?status=done',
    token => $admin->{token}), 400, 'validation_failed', 'list with status=done');
is_error_response(api('GET', '/api/v1/admin/incidents?cursor=abc',
    token => $admin->{token}), 400, 'validation_failed', 'list with a bad cursor');

# ---- PATCH ---------------------------------------------------------------------------------

$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { status => 'contained', measures => "09:10 export disabled\n"
	. '09:40 tokens rotated', risk_level => 'risk' });
my $patched = is_json_ok($res, 200, 'PATCH status contained with measures');
is($patched->{status}, 'contained', 'patch: status contained');
like($patched->{measures}, qr/tokens rotated/, 'patch: measures stored');
is($patched->{title}, $incident->{title}, 'patch: other fields kept');
@audit = grep { $_->{action} eq 'incident.update' }
    audit_rows(header($res, 'X-Request-ID'));
is(scalar @audit, 1, 'patch: one audit row incident.update');
is_deeply([sort @{ $audit[0]{details}{fields} // [] }],
    [qw(measures risk_level status)], 'patch audit: changed fields named');

# The authority is notified 75 hours after awareness: late, so the
# reason for the delay is required.
my $late_id = $overdue->{id};
my $late_at = psql_value("SELECT to_char((timestamptz '$overdue->{became_aware_at}' "
    . "+ interval '75 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
my $before = stored($late_id);
$res = api('PATCH', "/api/v1/admin/incidents/$late_id", token => $admin->{token},
    json => { authority_notified_at => $late_at, authority_reference => 'DPA-2026-77' });
my $err = is_error_response($res, 400, 'validation_failed',
    'late authority notification without a delay reason');
ok(exists $err->{error}{fields}{authority_delay_reason},
    'late notification: fields.authority_delay_reason');
is_deeply(stored($late_id), $before, 'refused patch changed nothing');
is(scalar(audit_rows(header($res, 'X-Request-ID'))), 0,
    'refused patch wrote no audit row');

$res = api('PATCH', "/api/v1/admin/incidents/$late_id", token => $admin->{token},
    json => { authority_notified_at => $late_at, authority_reference => 'DPA-2026-77',
	authority_delay_reason => 'The scope was unknown until the forensic report.',
	status => 'notified' });
$patched = is_json_ok($res, 200, 'late notification with a delay reason');
is($patched->{authority_notified}, JSON::PP::true, 'patch: authority notified');
is($patched->{authority_reference}, 'DPA-2026-77', 'patch: authority reference');

$res = api('PATCH', "/api/v1/admin/incidents/$late_id", token => $admin->{token},
    json => { status => 'closed' });
$err = is_error_response($res, 400, 'validation_failed',
    'close without a data-subject decision');
like($err->{error}{fields}{status} // '', qr/subjects/,
    'close: names the missing data-subject decision');

$res = api('PATCH', "/api/v1/admin/incidents/$late_id", token => $admin->{token},
    json => { status => 'closed', subjects_not_notified_reason =>
	'Art. 34(3)(a): the data was encrypted and the key was not exposed.',
	lessons_learned => 'Inventory laptops monthly.' });
$patched = is_json_ok($res, 200, 'close with both decisions');
is($patched->{status}, 'closed', 'close: status closed');
ok(defined $patched->{closed_at}, 'close: closed_at set');
my %open_ids = map { $_->{id} => 1 } @{ (api('GET',
    '/api/v1/admin/incidents?limit=100', token => $admin->{token})->{json}
    // {})->{items} // [] };
ok(!$open_ids{$late_id}, 'closed incident left the default list');
my %all_ids = map { $_->{id} => 1 } @{ (api('GET',
    '/api/v1/admin/incidents?status=all&limit=100', token => $admin->{token})->{json}
    // {})->{items} // [] };
ok($all_ids{$late_id}, 'status=all lists the closed incident');

$res = api('PATCH', "/api/v1/admin/incidents/$late_id", token => $admin->{token},
    json => { status => 'open' });
$patched = is_json_ok($res, 200, 'reopen');
ok(!defined $patched->{closed_at}, 'reopen: closed_at cleared');

$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { reporter => undef });
ok(!defined is_json_ok($res, 200, 'patch reporter null')->{reporter},
    'patch: null clears an optional field');
$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { title => undef });
is_error_response($res, 400, 'validation_failed', 'patch title null');
$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { created_at => '2020-01-01T00:00:00Z' });
is_error_response($res, 400, 'validation_failed', 'patch a server-owned field');

is_error_response(api('GET', '/api/v1/admin/incidents/not-a-uuid',
    token => $admin->{token}), 404, 'not_found', 'GET incident with a bad id');
is_error_response(api('PATCH',
    '/api/v1/admin/incidents/00000000-0000-4000-8000-000000000000',
    token => $admin->{token}, json => { title => 'x' }), 404, 'not_found',
    'PATCH of a missing incident');
my $one = is_json_ok(api('GET', "/api/v1/admin/incidents/$id",
    token => $admin->{token}), 200, 'GET one incident');
is($one->{id}, $id, 'GET one incident: same id');

# The history keeps each phase's values, oldest first.
my @updates = @{ $one->{updates} // [] };
is(scalar @updates, 3, 'history: creation and two changes');
is($updates[0]{changes}{reporter}, 'support desk', 'history: created values');
is($updates[0]{changed_by}, $admin->{user_id}, 'history: changed_by');
is_deeply([sort keys %{ $updates[1]{changes} // {} }],
    [qw(measures risk_level status)], 'history: second phase fields');
like($updates[1]{changes}{measures} // '', qr/export disabled/,
    'history: second phase value');
ok(exists $updates[2]{changes}{reporter} && !defined $updates[2]{changes}{reporter},
    'history: a cleared field is null');
like($updates[0]{changed_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    'history: changed_at is RFC 3339');

$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { updates => [] });
is_error_response($res, 400, 'validation_failed', 'patch the history');

# An empty PATCH changes nothing, so it is rejected and writes neither an
# audit row nor a history entry.
$before = stored($id);
$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => {});
$err = is_error_response($res, 400, 'validation_failed', 'patch empty object');
is($err->{error}{fields}{body}, 'no field to change',
    'empty patch: fields.body names the problem');
is_deeply(stored($id), $before, 'empty patch: incident unchanged');
is(scalar(audit_rows(header($res, 'X-Request-ID'))), 0,
    'empty patch: no audit row');
my $after = api('GET', "/api/v1/admin/incidents/$id",
    token => $admin->{token})->{json} // {};
is(scalar @{ $after->{updates} // [] }, 3, 'empty patch: no history entry');

# ---- guards ----------------------------------------------------------------------------------

my $member = verified_user() or BAIL_OUT('cannot create a user');
my $member_token = login_user($member)->{token};
$count_before = psql_value('SELECT count(*) FROM sscn.incidents');
for my $case (['GET', '/api/v1/admin/incidents', undef],
    ['POST', '/api/v1/admin/incidents', incident_body(1)],
    ['GET', "/api/v1/admin/incidents/$id", undef],
    ['PATCH', "/api/v1/admin/incidents/$id", { title => 'Hijacked' }]) {
	my ($method, $path, $body) = @$case;
	is_error_response(api($method, $path, token => $member_token,
	    defined $body ? (json => $body) : ()), 403, 'forbidden',
	    "non-admin $method $path");
	is_error_response(api($method, $path,
	    defined $body ? (json => $body) : ()), 401, 'unauthorized',
	    "no token $method $path");
}
is(psql_value('SELECT count(*) FROM sscn.incidents'), $count_before,
    'non-admin requests created nothing');
is(stored($id)->{title}, $incident->{title}, 'non-admin PATCH changed nothing');

# Row-level security on its own: the runtime role sees no incident for a
# user who is not an admin, and every incident for an admin.
my $member_id = user_id_of($member->{email});
is(sql_as({ user_id => $member_id }, 'SELECT count(*) FROM sscn.incidents'),
    '0', 'RLS: a non-admin sees no incident');
ok((sql_as({ user_id => $admin->{user_id} },
    'SELECT count(*) FROM sscn.incidents') // 0) >= 2,
    'RLS: an admin sees the incidents');
is(sql_as({ user_id => $member_id }, 'SELECT count(*) FROM sscn.incident_updates'),
    '0', 'RLS: a non-admin sees no history');
is(sql_as({ user_id => $member_id }, "UPDATE sscn.incidents SET title = 'x' "
    . "WHERE id = '$id' RETURNING 1"), '', 'RLS: a non-admin updates nothing');

done_testing();
