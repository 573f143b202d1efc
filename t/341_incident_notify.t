#!/usr/bin/perl
# POST /api/v1/admin/incidents/{id}/notify queues one plain-language mail
# per affected user, named by user id or as every member of an
# organization, once per user per incident.  The notice needs the
# incident's likely consequences, measures and contact point; a wrong id
# or a missing field queues nothing.  Each notice is audited and sets
# when and how the data subjects were notified.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use SSCN::Test;
use SSCN::Incidents;
use SSCN::Sourcing qw(org_user colleague sql_as);
use Test::More;

require_stack();

my $admin = mfa_admin();
my $buyer = org_user('buyer');
my $colleague = colleague($buyer, 'member');
my $single = verified_user() or BAIL_OUT('cannot create a user');
my $single_id = user_id_of($single->{email});

my $res = create_incident($admin, incident_body(2));
my $incident = is_json_ok($res, 201, 'create the incident');
my $id = $incident->{id} // '';
my $path = "/api/v1/admin/incidents/$id/notify";
my $message = 'On 1 December a wrong setting let another company see '
    . 'the list of your requests for quotation for two hours.';
my $advice = 'You need to do nothing. Tell us if a stranger contacts you '
    . 'about your requests for quotation.';

sub outbox_count () {
	return psql_value('SELECT count(*) FROM sscn.mail_outbox');
}

# ---- the incident must carry what the notice needs ----------------------------

my $outbox_before = outbox_count();
$res = api('POST', $path, token => $admin->{token},
    json => { user_ids => [$single_id], message => $message, advice => $advice });
my $err = is_error_response($res, 400, 'validation_failed',
    'notify before consequences, measures and contact are set');
for my $field (qw(consequences measures contact_point)) {
	ok(exists $err->{error}{fields}{$field}, "notify too early: fields.$field");
}
is(outbox_count(), $outbox_before, 'notify too early: nothing queued');

$res = api('PATCH', "/api/v1/admin/incidents/$id", token => $admin->{token},
    json => { consequences => 'Another company may know which goods you buy.',
	measures => 'We closed the setting and checked every other export.',
	contact_point => 'privacy@sscn.example, +44 20 7946 0000' });
is_json_ok($res, 200, 'set consequences, measures and contact point');

# ---- bad requests ------------------------------------------------------------------------

for my $case (
    [{ message => $message, advice => $advice }, 'user_ids', 'no user or organization'],
    [{ user_ids => ['nope'], message => $message, advice => $advice }, 'user_ids', 'invalid user id'],
    [{ user_ids => [$single_id], advice => $advice }, 'message', 'no message'],
    [{ user_ids => [$single_id], message => '', advice => $advice }, 'message',
	'empty message'],
    [{ user_ids => [$single_id], message => $message }, 'advice', 'no advice'],
    [{ user_ids => [$single_id], message => $message, advice => $advice,
	subject => 'x' },
	'subject', 'unknown field'],
    [{ user_ids => ['00000000-0000-4000-8000-000000000000'], message => $message, advice => $advice },
	'user_ids', 'unknown user'],
    [{ organization_ids => ['00000000-0000-4000-8000-000000000000'],
	message => $message, advice => $advice }, 'organization_ids', 'unknown organization'],
    [{ organization_ids => 'all', message => $message, advice => $advice }, 'organization_ids',
	'organization_ids not an array'],
) {
	my ($body, $field, $name) = @$case;
	my $bad = api('POST', $path, token => $admin->{token}, json => $body);
	my $body_err = is_error_response($bad, 400, 'validation_failed',
	    "notify with $name");
	ok(exists $body_err->{error}{fields}{$field}, "notify with $name: fields.$field")
	    or diag($bad->{body});
}
is(outbox_count(), $outbox_before, 'bad notify requests queued nothing');
is(psql_value("SELECT count(*) FROM sscn.incident_subjects WHERE incident_id = '$id'"),
    0, 'bad notify requests recorded no subject');

# ---- by user id and by organization ---------------------------------------------------

$res = api('POST', $path, token => $admin->{token},
    json => { user_ids => [$single_id], organization_ids => [$buyer->{org_id}],
	message => $message, advice => $advice });
my $result = is_json_ok($res, 200, 'notify one user and one organization');
is($result->{affected_users}, 3, 'notify: three affected users');
is($result->{queued}, 3, 'notify: three mails queued');
is($result->{already_notified}, 0, 'notify: nobody notified before');

for my $user ($single, $buyer->{user}, $colleague->{user}) {
	my @mails = mail_for($user->{email}, 'incident_notice');
	is(scalar @mails, 1, "one notice to $user->{email}");
	my $body = $mails[0]{body} // '';
	is($mails[0]{subject}, 'Notice of Data Breach', 'notice: subject');
	like($body, qr/\Q$message\E/, 'notice: contains the message');
	like($body, qr/\Q$advice\E/, 'notice: contains the advice');
	like($body, qr/^- contact details\n- business records$/m,
	    'notice: lists the data categories');
	my @headings = $body =~ /^(What Happened|What Information Was Involved|What This May Mean for You|What We Are Doing|What You Can Do|For More Information)$/mg;
	is(scalar @headings, 6, 'notice: every heading once');
	like($body, qr/Another company may know/, 'notice: contains the consequences');
	like($body, qr/checked every other export/, 'notice: contains the measures');
	like($body, qr/privacy\@sscn\.example/, 'notice: contains the contact point');
	unlike($body, qr/misconfigured export/,
	    'notice: not the internal description');
}

my @audit = grep { $_->{action} eq 'incident.notify' }
    audit_rows(header($res, 'X-Request-ID'));
is(scalar @audit, 1, 'notify: one audit row');
is($audit[0]{target}, $id, 'notify audit: target is the incident');
is($audit[0]{details}{queued}, 3, 'notify audit: queued count');
unlike(join(' ', %{ $audit[0]{details} // {} }), qr/\@/,
    'notify audit: no address in details');

my $after = is_json_ok(api('GET', "/api/v1/admin/incidents/$id",
    token => $admin->{token}), 200, 'GET incident after notify');
is($after->{subjects_notified}, JSON::PP::true, 'incident: subjects notified');
is($after->{subjects_notification_method}, 'e-mail',
    'incident: notification method e-mail');
is($after->{affected_users_notified}, 3, 'incident: three users notified');

# Stored by user id only: the subjects table has no address column.
is(psql_value("SELECT count(*) FROM information_schema.columns WHERE "
    . "table_schema = 'sscn' AND table_name = 'incident_subjects' "
    . "AND column_name NOT IN ('incident_id', 'user_id', 'notified_at')"), 0,
    'incident_subjects: ids and times only');

# ---- once per user per incident ---------------------------------------------------------

my $newcomer = colleague($buyer, 'member');
$res = api('POST', $path, token => $admin->{token},
    json => { organization_ids => [$buyer->{org_id}], user_ids => [$single_id],
	message => $message, advice => $advice });
$result = is_json_ok($res, 200, 'notify the same users again');
is($result->{queued}, 1, 'second notify: only the new member queued');
is($result->{already_notified}, 3, 'second notify: three already notified');
is(scalar(mail_for($single->{email}, 'incident_notice')), 1,
    'second notify: still one notice to the single user');
is(scalar(mail_for($newcomer->{user}{email}, 'incident_notice')), 1,
    'second notify: one notice to the new member');

# A second incident notifies the same user again.
my $other = is_json_ok(create_incident($admin, incident_body(1,
    consequences => 'None expected.', measures => 'Rotated keys.',
    contact_point => 'privacy@sscn.example')), 201, 'create a second incident');
$res = api('POST', "/api/v1/admin/incidents/$other->{id}/notify",
    token => $admin->{token}, json => { user_ids => [$single_id],
	message => 'A backup copy was sent to the wrong storage account.',
	advice => $advice });
is(is_json_ok($res, 200, 'notify for the second incident')->{queued}, 1,
    'second incident: queued');
is(scalar(mail_for($single->{email}, 'incident_notice')), 2,
    'second incident: a second notice to the user');

# ---- an affected account that was deleted and purged ---------------------------

# A purged account keeps its row without an address: it is counted and
# gets no notice, and the others are still notified.
my $gone = verified_user() or BAIL_OUT('cannot create a user');
my $gone_id = user_id_of($gone->{email});
my $bystander = verified_user() or BAIL_OUT('cannot create a user');
my $bystander_id = user_id_of($bystander->{email});
psql_value("UPDATE sscn.users SET email = NULL, email_index = NULL, "
    . "full_name = NULL, phone = NULL, purged_at = now() "
    . "WHERE id = '$gone_id'");
$outbox_before = outbox_count();
$result = is_json_ok(api('POST', $path, token => $admin->{token},
    json => { user_ids => [$gone_id, $bystander_id], message => $message,
	advice => $advice }), 200, 'notify with a purged account');
is($result->{queued}, 1, 'purged account: the other user notified');
is($result->{no_address}, 1, 'purged account: counted without address');
is(outbox_count(), $outbox_before + 1, 'purged account: one mail queued');

# ---- guards -----------------------------------------------------------------------------------

$outbox_before = outbox_count();
is_error_response(api('POST', $path, token => $buyer->{token},
    json => { user_ids => [$single_id], message => $message, advice => $advice }), 403, 'forbidden',
    'notify by a non-admin');
is_error_response(api('POST', $path,
    json => { user_ids => [$single_id], message => $message, advice => $advice }), 401,
    'unauthorized', 'notify without a token');
is_error_response(api('POST',
    '/api/v1/admin/incidents/00000000-0000-4000-8000-000000000000/notify',
    token => $admin->{token}, json => { user_ids => [$single_id],
	message => $message, advice => $advice }), 404, 'not_found', 'notify a missing incident');
is(outbox_count(), $outbox_before, 'refused notify requests queued nothing');

# Row-level security on its own: the runtime role sees the affected users
# of an incident only for an admin.
is(sql_as({ user_id => $buyer->{user_id} }, 'SELECT count(*) FROM '
    . "sscn.incident_subjects WHERE incident_id = '$id'"), '0',
    'RLS: a non-admin sees no affected user');
is(sql_as({ user_id => $admin->{user_id} }, 'SELECT count(*) FROM '
    . "sscn.incident_subjects WHERE incident_id = '$id'"), '6',
    'RLS: an admin sees the affected users');
is(sql_as({ user_id => $buyer->{user_id} }, 'SELECT count(*) FROM '
    . "sscn.incident_affected_users(ARRAY['$single_id']::uuid[], "
    . "ARRAY['$buyer->{org_id}']::uuid[])"), '0',
    'affected users function: nothing for a non-admin');

done_testing();
