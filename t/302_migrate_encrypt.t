#!/usr/bin/env perl
# sscnctl migrate converts an existing database: on a scratch database at
# schema version 5 with personal data in clear, applying
# 0006_field_encryption.sql leaves only ciphertexts and blind indexes,
# which sscnctl then reads back with the key file.

use v5.36;
use lib 'lib', '../t/lib', 't/lib';

use File::Basename qw(basename);
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use Test::More;

use SSCN::Test;
use SSCN::Crypt;

require_stack();
my $sscnctl = find_program('sscnctl');
plan skip_all => "sscnctl not built in $BUILD" unless $sscnctl;

my $scratch_db = "sscn_t302_$$";
my $created = 0;
END {
	if ($created) {
		local $?;
		psql_value("DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)");
	}
}

my $dir = tempdir('sscn-t302-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = scratch_conf($scratch_db, "$dir/sql", $dir)
    or BAIL_OUT('cannot write a scratch configuration');
$created = defined psql_value("CREATE DATABASE $scratch_db OWNER sscn_owner");
ok($created, 'scratch database created') or BAIL_OUT('no scratch database');
my @db = ('-d', $scratch_db);

# ---- schema version 5 with data in clear ---------------------------------

mkdir "$dir/sql" or die "mkdir $dir/sql: $!";
for my $file (glob("$ROOT/sql/*.sql")) {
	next if basename($file) =~ /^(\d+)_/ && $1 >= 6;
	copy($file, "$dir/sql/" . basename($file)) or die "copy $file: $!";
}
my ($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'migrate']);
is($status, 0, 'version 5: migrate exits 0') or diag($out);

my $user = '7d0c1a5e-1111-4a2b-8c3d-0123456789ab';
my $email = 'Ada.Quist@Example.test';
my $name = 'Ada Quist-Larsen';
my $session = '7d0c1a5e-2222-4a2b-8c3d-0123456789ab';
psql_value("INSERT INTO sscn.users (id, email_normalized, email, full_name, "
    . "phone) VALUES ('$user', 'ada.quist\@example.test', '$email', '$name', "
    . "'+45 3312 0000')", @db);
psql_value("INSERT INTO sscn.login_lockouts (email_normalized, failures) "
    . "VALUES ('ada.quist\@example.test', 2), ('nobody\@example.test', 1)", @db);
psql_value("INSERT INTO sscn.mail_outbox (recipient, subject, body, template) "
    . "VALUES ('$email', 'Welcome', 'Hello $name,', 'verify_email')", @db);
psql_value("INSERT INTO sscn.sessions (id, user_id, aal, auth_time, address) "
    . "VALUES ('$session', '$user', 1, now(), '192.0.2.44')", @db);
psql_value("INSERT INTO sscn.legal_acceptances (user_id, kind, version, "
    . "address) SELECT '$user', kind, version, '2001:db8::7' FROM "
    . "sscn.legal_documents WHERE kind = 'terms' LIMIT 1", @db);
psql_value("INSERT INTO sscn.organizations (id, kind, name) VALUES "
    . "('7d0c1a5e-3333-4a2b-8c3d-0123456789ab', 'buyer', 'Quist ApS')", @db);
psql_value("INSERT INTO sscn.org_invitations (id, organization_id, "
    . "email_normalized, role, token_hash, expires_at) VALUES "
    . "(gen_random_uuid(), '7d0c1a5e-3333-4a2b-8c3d-0123456789ab', "
    . "'invitee.quist\@example.test', 'member', sha256('t302'), "
    . "now() + interval '1 day')", @db);
is(psql_value("SELECT count(*) FROM sscn.users", @db), 1,
    'version 5: user in clear inserted');

# ---- apply 0006 -----------------------------------------------------------

copy("$ROOT/sql/0006_field_encryption.sql", "$dir/sql/")
    or die "copy 0006: $!";
($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'migrate']);
is($status, 0, 'convert: migrate exits 0') or diag($out);
like($out, qr/encrypted the personal data of 1 users/, 'convert: user counted');
like($out, qr/encrypted the recipients and bodies of 1 mails/,
    'convert: mail counted');
like($out, qr/encrypted 1 values of sscn\.sessions\.address/,
    'convert: session address counted');
like($out, qr/encrypted 1 values of sscn\.legal_acceptances\.address/,
    'convert: acceptance address counted');
like($out, qr/encrypted the addresses of 1 invitations/,
    'convert: invitation counted');
like($out, qr/applied 0006_field_encryption\.sql/, 'convert: 0006 recorded');

my $text = psql_value("SELECT concat_ws('|', u, l, m, s, a, i) FROM "
    . "(SELECT string_agg(t::text, ',') AS u FROM sscn.users t) u, "
    . "(SELECT string_agg(t::text, ',') AS l FROM sscn.login_lockouts t) l, "
    . "(SELECT string_agg(t::text, ',') AS m FROM sscn.mail_outbox t) m, "
    . "(SELECT string_agg(t::text, ',') AS s FROM sscn.sessions t) s, "
    . "(SELECT string_agg(t::text, ',') AS a FROM sscn.legal_acceptances t) a, "
    . "(SELECT string_agg(t::text, ',') AS i FROM sscn.org_invitations t) i",
    @db);
ok(length($text // ''), 'convert: rows read');
# The phone number is matched with its blank, because its digits alone
# can occur in the hex text of a hash or a ciphertext.
for my $clear ('quist', 'Ada Quist', '3312 0000', '192.0.2.44',
    '2001:db8::7', 'nobody') {
	unlike($text // '', qr/\Q$clear\E/i, "convert: no \"$clear\" in clear");
}

# ---- the converted values read back ---------------------------------------

is(psql_value("SELECT encode(email_index, 'hex') FROM sscn.users", @db),
    substr(email_index_of($email), 2), 'read: blind index of the address');
is(psql_value("SELECT count(*) FROM sscn.login_lockouts WHERE email_index = '"
    . email_index_of('NOBODY@example.test') . "'::bytea AND failures = 1", @db),
    1, 'read: lockout of an unknown address re-keyed');
is(psql_value("SELECT encode(email_index, 'hex') FROM sscn.org_invitations",
    @db), substr(email_index_of('Invitee.Quist@example.test'), 2),
    'read: blind index of the invited address');
is(psql_value("SELECT length(full_name) FROM sscn.users", @db),
    length($name) + 30, 'read: name is a ciphertext of its length');

($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'mailq', '--json']);
is($status, 0, 'read: mailq decrypts') or diag($out);
like($out, qr/"recipient":\s*"\Q$email\E"/, 'read: recipient decrypted');
like($out, qr/Hello \Q$name\E,/, 'read: body decrypted');

($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'create-admin',
    'ada.quist@EXAMPLE.test']);
isnt($status, 0, 'read: same address in other case is taken');
like($out, qr/already exists/, 'read: create-admin finds it by index');

# The key commands cover the columns of every migration, so the scratch
# database takes the later ones first.
for my $file (glob("$ROOT/sql/0*.sql")) {
	my ($version) = $file =~ m{/(\d{4})_[^/]+$};
	copy($file, "$dir/sql/") or die "copy $file: $!" if $version > 6;
}
($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'migrate']);
is($status, 0, 'read: later migrations apply') or diag($out);

($status, $out) = run_cmd([$sscnctl, '-c', $conf, 'keys', 'status']);
is($status, 0, 'read: keys status exits 0') or diag($out);
like($out, qr/sscn\.sessions\s+address\s+\d+\s+1\b/,
    'read: session address counted per version');

done_testing();

# A copy of the dev configuration for database DB and migrations in SQL,
# written to DIR/sscn.conf; returns its path.
sub scratch_conf ($db, $sql, $dir) {
	my $dev_conf = conf_read("$DEV/sscn.conf") or return undef;
	my $path = "$dir/sscn.conf";
	open(my $src, '<', "$DEV/sscn.conf") or return undef;
	open(my $dst, '>', $path) or return undef;
	chmod 0600, $path;
	while (my $line = <$src>) {
		if ($line =~ /^\s*(database|database_owner|database_maintenance)\s*=/) {
			my $key = $1;
			my $value = $dev_conf->{$key} =~ s/\bdbname=\S+/dbname=$db/r;
			$value =~ s/(["\\])/\\$1/g;
			$line = qq($key = "$value"\n);
		} elsif ($line =~ /^\s*sql_dir\s*=/) {
			next;
		}
		print $dst $line;
	}
	print $dst qq(sql_dir = "$sql"\n);
	close $dst;
	return $path;
}
