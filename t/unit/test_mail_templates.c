/*
 * test_mail_templates.c - the mail template table and
 * mail_template_render(): every template renders with sample values, no
 * placeholder is left, no subject has a line break, each mail contains
 * its values, mistakes of the caller fail, and sscnctl(8) names every
 * template.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sscn.h"
#include "mail_templates.h"
#include "tap.h"

#define SAMPLE_VALUES_MAX	8

/* Sample values for one template; every template must have an entry. */
struct sample {
	const char		*template_name;
	struct mail_value	 values[SAMPLE_VALUES_MAX];
};

#define LINK_VERIFY	"https://sscn.example/verify-email#token=tok-verify"
#define LINK_RESET	"https://sscn.example/reset-password#token=tok-reset"
#define LINK_INVITE	"https://sscn.example/invitations/accept#token=tok-inv"
#define LINK_RFQ	"https://sscn.example/rfqs/0b6c1f0e-6a43-4d41-9a0e"
#define SITE		"https://sscn.example"

static const struct sample samples[] = {
	{ "verify_email", { { "name", "Anna Lindqvist" },
	    { "validity", "24 hours" }, { "link", LINK_VERIFY }, { 0 } } },
	{ "register_existing", { { "name", "Anna Lindqvist" },
	    { "site_url", SITE }, { 0 } } },
	{ "account_locked", { { "name", "Anna Lindqvist" },
	    { "minutes", "15" }, { "attempts", "5" }, { "site_url", SITE },
	    { 0 } } },
	{ "password_reset", { { "name", "Anna Lindqvist" },
	    { "minutes", "30" }, { "link", LINK_RESET }, { 0 } } },
	{ "password_changed", { { "name", "Anna Lindqvist" },
	    { "site_url", SITE }, { 0 } } },
	{ "password_reset_done", { { "name", "Anna Lindqvist" }, { 0 } } },
	{ "mfa_enabled", { { 0 } } },
	{ "mfa_disabled", { { 0 } } },
	{ "org_invitation", { { "inviter", "Jonas Berg" },
	    { "organization", "Berg Metall AB" }, { "role", "admin" },
	    { "validity", "7 days" }, { "link", LINK_INVITE }, { 0 } } },
	{ "rfq_invitation", { { "name", "Ola Nordmann" },
	    { "title", "5000 M8 hex bolts" }, { "link", LINK_RFQ }, { 0 } } },
	{ "rfq_cancelled", { { "name", "Ola Nordmann" },
	    { "title", "5000 M8 hex bolts" }, { "link", LINK_RFQ },
	    { "reason", "The budget was withdrawn.\nSorry." }, { 0 } } },
	{ "quote_awarded", { { "title", "5000 M8 hex bolts" },
	    { "link", LINK_RFQ }, { 0 } } },
	{ "quote_rejected", { { "title", "5000 M8 hex bolts" },
	    { "link", LINK_RFQ }, { 0 } } },
	{ "account_deletion_scheduled", { { "deletion_date",
	    "2026-01-04T09:30:00Z" }, { "site_url", SITE }, { 0 } } },
	{ "account_deletion_cancelled", { { 0 } } },
	{ "incident_notice", { { "what_happened", "A backup was exposed." },
	    { "data_categories", "- e-mail address\n- full name\n" },
	    { "consequences", "Phishing mail is possible." },
	    { "measures", "The backup was removed." },
	    { "advice", "Be wary of unexpected mail." },
	    { "contact_point", "dpo@sscn.example" }, { 0 } } },
	{ "newsletter", { { "subject", "SSCN in December" },
	    { "text", "New: supplier certifications." },
	    { "unsubscribe_link",
	    "https://sscn.example/api/v1/unsubscribe?token=tok-unsub" },
	    { 0 } } },
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static const struct sample *
sample_find(const char *name)
{
	size_t i;

	for (i = 0; i < NSAMPLES; i++)
		if (strcmp(samples[i].template_name, name) == 0)
			return &samples[i];
	return NULL;
}

/* Render one template with its samples and check the result. */
static void
check_template(const struct mail_template *t)
{
	const struct sample	*s = sample_find(t->name);
	const struct mail_value	*v;
	char			*subject, *body, reason[160] = "";
	enum sscn_err		 err;

	if (!ok(s != NULL, "%s: has sample values", t->name))
		return;
	err = mail_template_render(t->name, s->values, &subject, &body, reason,
	    sizeof(reason));
	if (!is_int(err, SSCN_OK, "%s: renders", t->name)) {
		diag("%s", reason);
		return;
	}
	ok(*subject != '\0', "%s: subject not empty", t->name);
	ok(strpbrk(subject, "\r\n") == NULL, "%s: subject has no CR or LF",
	    t->name);
	ok(strstr(subject, "{{") == NULL && strstr(subject, "}}") == NULL,
	    "%s: no placeholder left in the subject", t->name);
	ok(strstr(body, "{{") == NULL && strstr(body, "}}") == NULL,
	    "%s: no placeholder left in the body", t->name);
	ok(strchr(body, '\r') == NULL, "%s: body lines end in LF only",
	    t->name);
	ok(*body != '\0' && body[strlen(body) - 1] == '\n',
	    "%s: body ends with a line break", t->name);
	for (v = s->values; v->name != NULL; v++)
		ok(strstr(body, v->value) != NULL ||
		    strstr(subject, v->value) != NULL,
		    "%s: contains {{%s}}", t->name, v->name);
	mail_text_free(subject);
	mail_text_free(body);
}

/* Render "name" and return its error; the outputs must then be NULL. */
static enum sscn_err
render_error(const char *name, const struct mail_value *values,
    char *reason, size_t reasonlen)
{
	static char	 unset[] = "unset";
	char		*subject = unset, *body = unset;
	enum sscn_err	 err;

	err = mail_template_render(name, values, &subject, &body, reason,
	    reasonlen);
	if (err == SSCN_OK) {
		mail_text_free(subject);
		mail_text_free(body);
		return err;
	}
	ok(subject == NULL && body == NULL, "%s: no output after an error",
	    name);
	return err;
}

static void
check_errors(void)
{
	static const struct mail_value missing_link[] = {
		{ "name", "Anna" }, { "validity", "24 hours" }, { NULL, NULL }
	};
	static const struct mail_value unused[] = {
		{ "name", "Anna" }, { "site_url", SITE }, { "link", LINK_RESET },
		{ NULL, NULL }
	};
	static const struct mail_value null_value[] = {
		{ "name", NULL }, { NULL, NULL }
	};
	static const struct mail_value title_crlf[] = {
		{ "name", "Ola" }, { "title", "Bolts\r\nBcc: x@example.com" },
		{ "link", LINK_RFQ }, { NULL, NULL }
	};
	static const struct mail_value title_lf[] = {
		{ "name", "Ola" }, { "title", "Bolts\nBcc: x@example.com" },
		{ "link", LINK_RFQ }, { NULL, NULL }
	};
	static const struct mail_value no_values[] = { { NULL, NULL } };
	char reason[160];

	is_int(render_error("no_such_template", no_values, reason,
	    sizeof(reason)), SSCN_ERR_INTERNAL, "unknown template fails");
	ok(strstr(reason, "no_such_template") != NULL,
	    "unknown template: reason names it");

	is_int(render_error("verify_email", missing_link, reason,
	    sizeof(reason)), SSCN_ERR_INTERNAL, "missing value fails");
	ok(strstr(reason, "{{link}}") != NULL,
	    "missing value: reason names the placeholder");

	is_int(render_error("register_existing", unused, reason,
	    sizeof(reason)), SSCN_ERR_INTERNAL, "unused value fails");
	ok(strstr(reason, "{{link}}") != NULL,
	    "unused value: reason names it");

	is_int(render_error("password_reset_done", null_value, reason,
	    sizeof(reason)), SSCN_ERR_INTERNAL, "NULL value fails");

	is_int(render_error("rfq_invitation", title_crlf, reason,
	    sizeof(reason)), SSCN_ERR_VALIDATION,
	    "CR LF in a subject value is rejected");
	ok(strstr(reason, "Bcc") == NULL, "CR LF: reason holds no value");
	is_int(render_error("rfq_invitation", title_lf, reason,
	    sizeof(reason)), SSCN_ERR_VALIDATION,
	    "LF in a subject value is rejected");
}

/* A value that looks like a placeholder is inserted as it is. */
static void
check_values_not_expanded(void)
{
	static const struct mail_value values[] = {
		{ "name", "Ola" }, { "title", "{{link}}" },
		{ "link", LINK_RFQ },
		{ "reason", "{{title}} {{name}} {{no_such_value}}" },
		{ NULL, NULL }
	};
	char	*subject, *body, reason[160];

	if (!is_int(mail_template_render("rfq_cancelled", values, &subject,
	    &body, reason, sizeof(reason)), SSCN_OK,
	    "placeholder-like values render")) {
		diag("%s", reason);
		return;
	}
	is_str(subject, "RFQ cancelled: {{link}}",
	    "placeholder-like value: subject kept literally");
	ok(strstr(body, "\n\n{{title}} {{name}} {{no_such_value}}\n\n") !=
	    NULL, "placeholder-like value: body kept literally");
	mail_text_free(subject);
	mail_text_free(body);
}

/* The exact text of two mails, as the handlers wrote them before. */
static void
check_exact_texts(void)
{
	char *subject, *body, reason[160];

	if (mail_template_render("verify_email", sample_find("verify_email")->
	    values, &subject, &body, reason, sizeof(reason)) == SSCN_OK) {
		is_str(subject, "Confirm your e-mail address for SSCN",
		    "verify_email: subject");
		is_str(body, "Hello Anna Lindqvist,\n\nplease confirm your "
		    "e-mail address for SSCN by opening this link within 24 "
		    "hours:\n\n" LINK_VERIFY "\n\nIf you did not register, "
		    "ignore this mail.\n", "verify_email: body");
		mail_text_free(subject);
		mail_text_free(body);
	} else
		ok(0, "verify_email: renders (%s)", reason);

	if (mail_template_render("incident_notice",
	    sample_find("incident_notice")->values, &subject, &body, reason,
	    sizeof(reason)) == SSCN_OK) {
		is_str(subject, "Notice of Data Breach",
		    "incident_notice: subject");
		is_str(body, "Notice of Data Breach\n\nWe are writing to tell "
		    "you about a security incident at SSCN that affects "
		    "personal data of your account.\n\nWhat Happened\nA backup "
		    "was exposed.\n\nWhat Information Was Involved\n- e-mail "
		    "address\n- full name\n\nWhat This May Mean for You\n"
		    "Phishing mail is possible.\n\nWhat We Are Doing\nThe "
		    "backup was removed.\n\nWhat You Can Do\nBe wary of "
		    "unexpected mail.\n\nFor More Information\n"
		    "dpo@sscn.example\n\nSSCN\n", "incident_notice: body");
		mail_text_free(subject);
		mail_text_free(body);
	} else
		ok(0, "incident_notice: renders (%s)", reason);
}

/*
 * The template list of "sscnctl mailq" in sscnctl(8): the ".Ql" names
 * after the sentence that starts "The templates" are exactly the
 * table's names.
 */
static void
check_manual(void)
{
	FILE	*f = fopen(SRCDIR "/man/sscnctl.8", "r");
	char	 line[512], name[128];
	bool	 in_list = false, listed[64] = { false };
	size_t	 i, found = 0, unknown = 0;

	if (!ok(f != NULL, "man/sscnctl.8 opens"))
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "The templates", 13) == 0) {
			in_list = true;
			continue;
		}
		if (!in_list)
			continue;
		if (sscanf(line, ".Ql %127[a-z0-9_]", name) != 1) {
			if (strncmp(line, "and", 3) == 0)
				continue;
			break;
		}
		found++;
		for (i = 0; i < mail_template_count; i++)
			if (strcmp(mail_templates[i].name, name) == 0)
				break;
		if (i < mail_template_count && i < 64)
			listed[i] = true;
		else {
			diag("sscnctl.8 lists unknown template %s", name);
			unknown++;
		}
	}
	fclose(f);
	ok(in_list, "sscnctl.8 has the template list");
	is_int((long long)unknown, 0, "sscnctl.8 lists no unknown template");
	for (i = 0; i < mail_template_count && i < 64; i++)
		ok(listed[i], "sscnctl.8 lists %s", mail_templates[i].name);
	is_int((long long)found, (long long)mail_template_count,
	    "sscnctl.8 lists each template once");
}

int
main(void)
{
	size_t i, j;

	ok(mail_template_count > 0 && mail_template_count <= 64,
	    "table has 1 to 64 templates");
	for (i = 0; i < mail_template_count; i++)
		for (j = i + 1; j < mail_template_count; j++)
			ok(strcmp(mail_templates[i].name,
			    mail_templates[j].name) != 0,
			    "names %s and %s differ", mail_templates[i].name,
			    mail_templates[j].name);
	for (i = 0; i < NSAMPLES; i++)
		ok(mail_template_find(samples[i].template_name) != NULL,
		    "sample %s names a template", samples[i].template_name);
	for (i = 0; i < mail_template_count; i++)
		check_template(&mail_templates[i]);

	check_errors();
	check_values_not_expanded();
	check_exact_texts();
	check_manual();
	return done_testing();
}
