#!/usr/bin/perl
# Registration and e-mail verification: POST /api/v1/auth/register answers
# 202 alike for a new and an existing address and mails the verification
# link or, for an existing address, a notice to its owner; validation and
# password policy errors name each field and every failed rule; the
# strength meter POST /api/v1/auth/password/check; the verification token
# is single-use and expires.

use v5.36;
use FindBin;
use lib "$FindBin::Bin/lib";
use Encode ();
use SSCN::Test;
use Test::More;
use Unicode::Normalize qw(NFC NFD);

require_stack();

my ($terms, $privacy) = legal_versions();
ok(defined $terms && defined $privacy, 'legal versions published')
    or BAIL_OUT('GET /api/v1/legal/terms and /privacy must answer a version');

# Every rule code that fields.password of a weak_password error lists.
sub password_problems ($res) {
	my $text = ref $res->{json} eq 'HASH' && ref $res->{json}{error} eq 'HASH'
	    && ref $res->{json}{error}{fields} eq 'HASH'
	    ? $res->{json}{error}{fields}{password} // '' : '';
	return sort split /\s*,\s*/, $text;
}

sub account_count ($email) {
	my $index = email_index_of($email);
	return psql_value("SELECT count(*) FROM sscn.users "
	    . "WHERE email_index = '$index'::bytea");
}

# ---- a new address ----------------------------------------------------------------

my ($user, $res) = register_user(full_name => 'Mira Tolvanen',
    organization_name => 'Tolvanen Parts Oy', organization_kind => 'supplier');
my $new_body = is_json_ok($res, 202, 'register new address');
is_deeply($new_body, { status => 'verification_sent' },
    'register new address: body {"status":"verification_sent"}');
is(account_count($user->{email}), 1, 'register new address: one account');

my @verify_mail = mail_for($user->{email}, 'verify_email');
is(scalar @verify_mail, 1, 'register new address: one verification mail');
my $verify_token = @verify_mail ? link_token($verify_mail[0]) : undef;
like($verify_mail[0]{body} // '', qr{\Q$URL\E/verify-email#token=},
    'verification mail: link to the web app');
ok(defined $verify_token && length $verify_token >= 22,
    'verification mail: token of at least 128 bits in base64url')
    or diag('mail body: ' . ($verify_mail[0]{body} // 'none'));

# ---- the same address again: same answer, a mail instead of an account ------------

{
	my (undef, $again) = register_user(email => uc $user->{email},
	    full_name => 'Someone Else');
	my $body = is_json_ok($again, 202, 'register existing address');
	is_deeply(json_shape($body), json_shape($new_body),
	    'register existing address: same body shape as a new one');
	is_deeply($body, $new_body, 'register existing address: same body');
	is(account_count($user->{email}), 1,
	    'register existing address: still one account');
	my @notice = mail_for(uc $user->{email}, 'register_existing');
	push @notice, mail_for($user->{email}, 'register_existing');
	is(scalar @notice, 1,
	    'register existing address: owner gets one register_existing mail');
	unlike($notice[0]{body} // '', qr/#token=/,
	    'register_existing mail: carries no token');
}

# ---- NFD and upper-case spellings of an address are one account ---------------

{
	my $email = NFC(unique_email("r\x{e9}my"));
	my (undef, $reg) = register_user(email => $email);
	is($reg->{status}, 202, 'register a non-ASCII address');
	my $variant = uc NFD($email);
	isnt($variant, $email, 'upper-case NFD spelling differs in code points');
	my (undef, $again) = register_user(email => $variant);
	is($again->{status}, 202, 'register the upper-case NFD spelling: 202');
	is(account_count($email), 1, 'upper-case NFD spelling: still one account');
	is(scalar mail_for($email, 'register_existing'), 1,
	    'upper-case NFD spelling: owner gets a register_existing mail');
}

# ---- login before verification ------------------------------------------------------

{
	my $login = login_user($user, addr => client_addr());
	is_error_response($login, 401, 'invalid_credentials',
	    'login before verification');
}

# ---- verification -----------------------------------------------------------------

SKIP: {
	skip 'no verification token', 9 unless defined $verify_token;
	$res = api('POST', '/api/v1/auth/verify-email',
	    json => { token => $verify_token });
	is_json_ok($res, 200, 'verify-email');

	my $login = login_user($user);
	my $body = is_json_ok($login, 200, 'login after verification');
	ok(defined $login->{token}, 'login after verification: access token');

	$res = api('POST', '/api/v1/auth/verify-email',
	    json => { token => $verify_token });
	my $err = is_error_response($res, 400, 'validation_failed',
	    'verify-email token used twice');
	ok(exists $err->{error}{fields}{token},
	    'verify-email token used twice: fields.token');

	# Registration made a supplier organization with the user as owner.
	my $me = api('GET', '/api/v1/me', token => $login->{token});
	my $profile = is_json_ok($me, 200, 'GET /me after registration');
	is($profile->{organization}{role}, 'owner', 'organization: user is owner');
	is($profile->{organization}{kind}, 'supplier', 'organization: kind supplier');
	is($profile->{organization}{name}, 'Tolvanen Parts Oy',
	    'organization: name as registered');
}

# The accepted terms and privacy versions are recorded with time and address.
{
	my $id = user_id_of($user->{email}) // '';
	my $rows = psql_json("SELECT kind, version, "
	    . "(address IS NOT NULL)::int AS has_address, "
	    . "(accepted_at IS NOT NULL)::int AS has_time FROM sscn.legal_acceptances "
	    . "WHERE user_id = '$id' ORDER BY kind") // [];
	is_deeply($rows, [
	    { kind => 'privacy', version => $privacy, has_address => 1, has_time => 1 },
	    { kind => 'terms', version => $terms, has_address => 1, has_time => 1 },
	], 'legal acceptances recorded with version, time and address');
}

# ---- verification token: unknown, malformed, expired ------------------------------

for my $case (['unknown token', 'A' x 43], ['malformed token', 'not a token'],
    ['empty token', '']) {
	my ($name, $token) = @$case;
	$res = api('POST', '/api/v1/auth/verify-email', json => { token => $token });
	is_error_response($res, 400, 'validation_failed', "verify-email $name");
}

{
	my ($late, $reg) = register_user();
	is($reg->{status}, 202, 'register for expiry: status 202');
	my ($mail) = mail_for($late->{email}, 'verify_email');
	my $token = $mail ? link_token($mail) : '';

	# Move the token's expiry into the past, as 24 hours passing would.
	my $id = user_id_of($late->{email}) // '';
	psql_value("UPDATE sscn.user_tokens SET expires_at = now() - interval '1 second' "
	    . "WHERE user_id = '$id' AND purpose = 'verify_email'");
	$res = api('POST', '/api/v1/auth/verify-email', json => { token => $token });
	is_error_response($res, 400, 'validation_failed', 'verify-email expired token');
	my $login = login_user($late, addr => client_addr());
	is_error_response($login, 401, 'invalid_credentials',
	    'login after expired verification');
}

# ---- validation errors ---------------------------------------------------------

my %valid = (
    email => unique_email('valid'), password => strong_password(),
    full_name => 'Ines Marr', organization_name => 'Marr GmbH',
    organization_kind => 'buyer', accept_terms_version => $terms,
    accept_privacy_version => $privacy,
);
my @invalid = (
	['empty body', {}, [qw(email password full_name organization_name
	    organization_kind accept_terms_version accept_privacy_version)]],
	['email without @', { email => 'no-at-sign.example.test' }, ['email']],
	['email with two @', { email => 'a@b@example.test' }, ['email']],
	['email too long', { email => ('x' x 250) . '@example.test' }, ['email']],
	['email as number', { email => 42 }, ['email']],
	['organization_kind unknown', { organization_kind => 'broker' },
	    ['organization_kind']],
	['full_name empty', { full_name => '' }, ['full_name']],
	['full_name with newline', { full_name => "Ines\nMarr" }, ['full_name']],
	['organization_name too long', { organization_name => 'x' x 201 },
	    ['organization_name']],
	['unknown field', { referral => 'x' }, ['referral']],
	['old terms version', { accept_terms_version => 'old-version' },
	    ['accept_terms_version']],
	['old privacy version', { accept_privacy_version => 'old-version' },
	    ['accept_privacy_version']],
);
for my $case (@invalid) {
	my ($name, $change, $fields) = @$case;
	my %body = $name eq 'empty body' ? () : (%valid, %$change);
	$res = api('POST', '/api/v1/auth/register', json => \%body);
	my $err = is_error_response($res, 400, 'validation_failed',
	    "register $name");
	my $got = ref $err eq 'HASH' ? $err->{error}{fields} // {} : {};
	for my $field (@$fields) {
		ok(exists $got->{$field}, "register $name: fields.$field")
		    or diag('fields: ' . join(', ', sort keys %$got));
	}
}
is(account_count($valid{email}), 0, 'invalid registrations: no account made');

# ---- password policy -----------------------------------------------------------

# A password of LENGTH characters with upper and lower case and digits.
sub long_password ($length) {
	my $random = join '', map { random_id() } 1 .. 5;
	return 'Vy7-' . substr($random, 0, $length - 4);
}

my $local_email = unique_email('weak');
my ($local_part) = $local_email =~ /^([^@]+)/;
my @weak = (
	# name, e-mail, password, full name, rules that must be listed
	['common lower-case word', undef, 'password', undef,
	    [qw(common_password missing_digit missing_upper too_weak)]],
	['too short', undef, 'Ab1', undef, [qw(too_short too_weak)]],
	['too long', undef, long_password(129), undef, [qw(too_long)]],
	['no upper case', undef, 'vyq7-wp2z-jx8m-tb4k', undef, [qw(missing_upper)]],
	['no lower case', undef, 'VYQ7-WP2Z-JX8M-TB4K', undef, [qw(missing_lower)]],
	['no digit', undef, 'Vyqw-Wpzk-Jxmt-Bxkv', undef, [qw(missing_digit)]],
	['contains e-mail local part', $local_email, 'Q9' . uc($local_part) . '!x',
	    undef, [qw(contains_email)]],
	['contains full name', undef, 'Zorbalune7-Kq4-Xw', 'Idris Zorbalune',
	    [qw(contains_name)]],
);
for my $case (@weak) {
	my ($name, $email, $password, $full_name, $expected) = @$case;
	my %body = (%valid, email => $email // unique_email('weak'),
	    password => $password);
	$body{full_name} = $full_name if defined $full_name;
	$res = api('POST', '/api/v1/auth/register', json => \%body);
	is_error_response($res, 400, 'weak_password', "weak password, $name");
	my @got = password_problems($res);
	for my $problem (@$expected) {
		ok((grep { $_ eq $problem } @got),
		    "weak password, $name: fields.password lists $problem")
		    or diag('fields.password: ' . join(', ', @got));
	}
	is(account_count($body{email}), 0, "weak password, $name: no account");

	# Every failed rule: the same list as the strength meter gives.
	my $check = api('POST', '/api/v1/auth/password/check', json => {
	    password => $body{password}, email => $body{email},
	    full_name => $body{full_name} });
	is_deeply(\@got, [sort @{ $check->{json}{problems} // [] }],
	    "weak password, $name: same rules as password/check");
}

# A password of 128 characters, the default maximum, is accepted.
{
	my ($long, $reg) = register_user(password => long_password(128));
	is(length $long->{password}, 128, 'maximum length password: 128 characters');
	is($reg->{status}, 202, 'maximum length password: accepted')
	    or diag($reg->{body});
}

# ---- common-password list ---------------------------------------------------------

{
	my $list = conf_read()->{password_common_list};
	ok(defined $list, 'password_common_list is configured');
	my $entries = 0;
	if (defined $list && open(my $fh, '<', $list)) {
		$entries++ while <$fh>;
	}
	cmp_ok($entries, '>=', 100_000,
	    'common-password list has at least 100,000 entries');
}

# ---- strength meter ----------------------------------------------------------------

{
	$res = api('POST', '/api/v1/auth/password/check',
	    json => { password => strong_password() });
	my $body = is_json_ok($res, 200, 'password/check strong');
	is_deeply([sort keys %{ $body // {} }], [qw(acceptable problems score)],
	    'password/check: keys score, acceptable, problems');
	like($body->{score} // '', qr/^[0-4]$/, 'password/check strong: score 0-4');
	cmp_ok($body->{score} // 0, '>=', 3, 'password/check strong: score >= 3');
	ok(JSON::PP::is_bool($body->{acceptable}) && $body->{acceptable},
	    'password/check strong: acceptable true');
	is_deeply($body->{problems}, [], 'password/check strong: no problems');

	$res = api('POST', '/api/v1/auth/password/check',
	    json => { password => 'password' });
	$body = is_json_ok($res, 200, 'password/check weak');
	like($body->{score} // '', qr/^[0-4]$/, 'password/check weak: score 0-4');
	ok(JSON::PP::is_bool($body->{acceptable}) && !$body->{acceptable},
	    'password/check weak: acceptable false');
	ok((grep { $_ eq 'common_password' } @{ $body->{problems} // [] }),
	    'password/check weak: problems lists common_password')
	    or diag('problems: ' . join(', ', @{ $body->{problems} // [] }));

	$res = api('POST', '/api/v1/auth/password/check', json => {
	    password => 'Yarrowick-94-Qt', email => 'yarrowick@example.test' });
	$body = is_json_ok($res, 200, 'password/check with e-mail');
	ok((grep { $_ eq 'contains_email' } @{ $body->{problems} // [] }),
	    'password/check with e-mail: problems lists contains_email')
	    or diag('problems: ' . join(', ', @{ $body->{problems} // [] }));

	# The common-password list is compared without regard to case.
	$res = api('POST', '/api/v1/auth/password/check',
	    json => { password => 'PaSsWoRd' });
	$body = is_json_ok($res, 200, 'password/check mixed-case common password');
	ok((grep { $_ eq 'common_password' } @{ $body->{problems} // [] }),
	    'password/check mixed case: problems lists common_password')
	    or diag('problems: ' . join(', ', @{ $body->{problems} // [] }));

	$res = api('POST', '/api/v1/auth/password/check', json => {});
	is_error_response($res, 400, 'validation_failed',
	    'password/check without password');
}

done_testing();
