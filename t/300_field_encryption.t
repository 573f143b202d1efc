#!/usr/bin/env perl
# Field encryption of personal data: a dump of the database holds no
# address, name or phone in clear; the blind index finds an account
# whatever the case of the address; a modified or moved ciphertext makes
# the read fail with 500 internal_error, never with altered text.

use v5.36;
use lib 'lib', '../t/lib', 't/lib';

use Test::More;

use SSCN::Test;
use SSCN::Crypt;

require_stack();

# ---- a dump holds no personal data in clear -------------------------------

my $user = verified_user(full_name => 'Ottilie Brennan-Vasquez')
    or BAIL_OUT('could not register a verified user');
my $login = login_user($user);
is($login->{status}, 200, 'dump: login of the new user') or diag($login->{body});
my $phone = '+44 20 7946 0' . (100 + int(rand(800)));
my $res = api('PATCH', '/api/v1/me', token => $login->{token},
    json => { phone => $phone });
is($res->{status}, 200, 'dump: phone stored') or diag($res->{body});
is($res->{json}{phone}, $phone, 'dump: phone read back decrypted');

my ($emails, $names) = demo_people();
ok(@$emails >= 5 && @$names >= 5, 'dump: demo accounts found in tools/demo-data')
    or diag('emails: @$emails; names: @$names');
my $dump = pg_dump_text();
ok(defined $dump && $dump =~ /COPY sscn\.users/, 'dump: pg_dump ran')
    or BAIL_OUT('no dump to check');
for my $text (@$emails, @$names, $user->{email}, $user->{full_name}, $phone) {
	unlike($dump, qr/\Q$text\E/i, "dump: no \"$text\" in clear");
}
my $normalized = normalized_email($user->{email});
unlike($dump, qr/\Q$normalized\E/, 'dump: no normalized address in clear');

# The audit log keeps addresses of clients clear, but never a user's
# e-mail or name in its details or target.
my $audit_hits = psql_value("SELECT count(*) FROM sscn.audit_log WHERE "
    . "coalesce(details::text, '') || coalesce(target, '') ~* "
    . "'example\\.test|Brennan|Greta Albers'");
is($audit_hits, 0, 'audit: no address or name in details');

# ---- stored columns -------------------------------------------------------

my $id = user_id_of($user->{email});
ok(defined $id, 'columns: the blind index finds the account');
is(psql_value("SELECT length(email_index) FROM sscn.users WHERE id = '$id'"),
    32, 'columns: blind index is 32 bytes');
is(psql_value("SELECT get_byte(email, 0) * 256 + get_byte(email, 1) = "
    . "(SELECT max(get_byte(email, 0) * 256 + get_byte(email, 1)) "
    . "FROM sscn.users) FROM sscn.users WHERE id = '$id'"), 't',
    'columns: e-mail under the newest key version');
is(psql_value("SELECT count(*) FROM information_schema.columns "
    . "WHERE table_schema = 'sscn' AND column_name = 'email_normalized' "
    . "AND table_name IN ('users', 'login_lockouts')"), 0,
    'columns: no clear normalized address column is left');

# ---- the blind index ignores case -----------------------------------------

my $upper = uc $user->{email};
$res = login_user($user, email => $upper);
is($res->{status}, 200, 'index: login with the address in upper case')
    or diag($res->{body});
$res = login_user($user, email => "  $upper ");
is($res->{status}, 200, 'index: login with blanks around the address')
    or diag($res->{body});

my ($again, $reg) = register_user(email => ucfirst(uc $user->{email}),
    full_name => 'Second Try');
is($reg->{status}, 202, 'index: second registration answers as usual');
is(psql_value("SELECT count(*) FROM sscn.users WHERE email_index = '"
    . email_index_of($user->{email}) . "'::bytea"), 1,
    'index: other case creates no second account');
my ($notice) = reverse mail_for($user->{email}, 'register_existing');
ok($notice, 'index: existing-account notice sent to the stored address');
like($notice->{body} // '', qr/Hello Ottilie Brennan-Vasquez,/,
    'index: notice greets with the decrypted name');

# Wrong passwords lock the address in any case; the lock row is keyed by
# the index, so no address is stored for it either.
my $victim = verified_user() or BAIL_OUT('could not register a second user');
for (1 .. 2) {
	login_user($victim, email => uc $victim->{email}, password => 'wrong-' . random_id());
}
is(psql_value("SELECT failures FROM sscn.login_lockouts WHERE email_index = '"
    . email_index_of($victim->{email}) . "'::bytea"), 2,
    'index: failed logins in upper case count for the address');
is(login_user($victim)->{status}, 200, 'index: right password clears the count');

# ---- a modified ciphertext fails loudly -----------------------------------

my $stored = psql_value("SELECT encode(full_name, 'hex') FROM sscn.users "
    . "WHERE id = '$id'");
ok(length($stored // '') > 2 * 30, 'tamper: name ciphertext read');

# Flip one bit of the last ciphertext byte before the tag.
my $at = length($stored) / 2 - 17;
psql_value("UPDATE sscn.users SET full_name = set_byte(full_name, $at, "
    . "get_byte(full_name, $at) # 1) WHERE id = '$id'");
my $offset = file_size($SSCND_LOG);
$res = api('GET', '/api/v1/me', token => $login->{token});
is_error_response($res, 500, 'internal_error', 'tamper: flipped byte');
unlike($res->{body} // '', qr/Brennan|Vasquez/, 'tamper: no name in the body');
my $rid = header($res, 'X-Request-ID') // 'missing';
my @lines = log_lines_with($offset, $rid);
my ($logged) = grep { /pii_decrypt_failed/ } @lines;
ok($logged, 'tamper: failure logged') or diag(join("\n", @lines));
like($logged // '', qr/column=users\.full_name row=\Q$id\E/,
    'tamper: log names column and row');
like($logged // '', qr/reason="authentication failed"/,
    'tamper: log gives the reason');
unlike(join("\n", @lines), qr/Brennan|Vasquez|\Q$stored\E/,
    'tamper: log holds neither value nor ciphertext');
is(api('GET', '/api/v1/admin/users?limit=100', token => $login->{token})->{status},
    403, 'tamper: other reads still run');

# Restore the byte: the same ciphertext decrypts again.
psql_value("UPDATE sscn.users SET full_name = decode('$stored', 'hex') "
    . "WHERE id = '$id'");
$res = api('GET', '/api/v1/me', token => $login->{token});
is($res->{status}, 200, 'tamper: restored ciphertext reads');
is($res->{json}{full_name}, 'Ottilie Brennan-Vasquez', 'tamper: name intact');

# A valid ciphertext of another row does not decrypt here: the
# additional data names the row.
my $other = user_id_of($victim->{email});
psql_value("UPDATE sscn.users SET full_name = (SELECT full_name FROM "
    . "sscn.users WHERE id = '$other') WHERE id = '$id'");
is_error_response(api('GET', '/api/v1/me', token => $login->{token}), 500,
    'internal_error', 'tamper: ciphertext of another row');
# The e-mail ciphertext in the name column fails too.
psql_value("UPDATE sscn.users SET full_name = email WHERE id = '$id'");
is_error_response(api('GET', '/api/v1/me', token => $login->{token}), 500,
    'internal_error', 'tamper: ciphertext of another column');
psql_value("UPDATE sscn.users SET full_name = decode('$stored', 'hex') "
    . "WHERE id = '$id'");
is(api('GET', '/api/v1/me', token => $login->{token})->{status}, 200,
    'tamper: restored again');

# ---- sscnctl keys status --------------------------------------------------

my $status = keys_status();
ok($status, 'status: sscnctl keys status runs');
for my $column (qw(sscn.users.email sscn.users.full_name sscn.users.phone)) {
	ok(exists $status->{$column}, "status: lists $column");
}
# Purged accounts keep their row but no address.
my $users = psql_value('SELECT count(*) FROM sscn.users '
    . 'WHERE email IS NOT NULL');
my $sum = 0;
$sum += $_ for values %{ $status->{'sscn.users.email'} // {} };
is($sum, $users, 'status: e-mail rows add up to the users');

my ($code, $out) = sscnctl('keys', 'rotate');
is($code, 2, 'status: rotate without --pid is a usage error');
like($out, qr/--pid/, 'status: usage names --pid');
($code, $out) = sscnctl('keys', 'rotate', '--batch', '0', '--no-add');
is($code, 2, 'status: batch of 0 rows is a usage error');

done_testing();
