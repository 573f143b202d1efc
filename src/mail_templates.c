/*
 * mail_templates.c - the table of mail templates and their renderer.
 *
 * Placeholders common to several templates: {{name}} is the recipient's
 * full name, {{site_url}} the base_url of sscn.conf(5), and {{link}} a
 * complete URL under it.  Callers format numbers and dates themselves.
 *
 * There is no template for a completed deletion.  "sscnctl purge" erases
 * the address in the same transaction as every mail to it (see
 * sscn.purge_user()), so a mail queued before would be deleted with the
 * rest.  One queued after would keep the erased address in the outbox
 * until it is sent.  The "account_deletion_scheduled" mail names the date
 * instead.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sscn.h"
#include "mail_templates.h"

/* Maximum number of values in one call of mail_template_render(). */
#define MAIL_VALUES_MAX		16
/* Maximum length of a placeholder name, in bytes. */
#define MAIL_PLACEHOLDER_MAX	32

const struct mail_template mail_templates[] = {
	/* ---- account and sign-in ---- */
	{ "verify_email",
	  "Confirm your e-mail address for SSCN",
	  "Hello {{name}},\n\nplease confirm your e-mail address for SSCN by "
	  "opening this link within {{validity}}:\n\n{{link}}\n\nIf you did "
	  "not register, ignore this mail.\n" },
	{ "register_existing",
	  "Your SSCN account",
	  "Hello {{name}},\n\nsomeone tried to register a new SSCN account "
	  "with this e-mail address, which already has one. If that was you, "
	  "sign in or reset your password at {{site_url}}. Otherwise you can "
	  "ignore this mail.\n" },
	{ "account_locked",
	  "Your SSCN account was locked",
	  "Hello {{name}},\n\nyour SSCN account was locked for {{minutes}} "
	  "minutes after {{attempts}} failed sign-in attempts. If that was not "
	  "you, reset your password at {{site_url}} once the lock ends.\n" },
	{ "password_reset",
	  "Reset your SSCN password",
	  "Hello {{name}},\n\nto choose a new password for SSCN, open this "
	  "link within {{minutes}} minutes:\n\n{{link}}\n\nIf you did not ask "
	  "for this, ignore this mail; your password stays as it is.\n" },
	{ "password_changed",
	  "Your SSCN password was changed",
	  "Hello {{name}},\n\nthe password of your SSCN account was changed, "
	  "and your other sessions were ended. If that was not you, reset "
	  "your password at {{site_url}} at once.\n" },
	{ "password_reset_done",
	  "Your SSCN password was reset",
	  "Hello {{name}},\n\nthe password of your SSCN account was reset and "
	  "every session was ended. If that was not you, contact your "
	  "administrator at once.\n" },
	{ "mfa_enabled",
	  "Multi-factor authentication is on for your SSCN account",
	  "Multi-factor authentication was turned on for your SSCN account. "
	  "If that was not you, contact your administrator at once.\n" },
	{ "mfa_disabled",
	  "Multi-factor authentication is off for your SSCN account",
	  "Multi-factor authentication was turned off for your SSCN account. "
	  "If that was not you, reset your password and contact your "
	  "administrator at once.\n" },

	/* ---- organizations and sourcing ---- */
	{ "org_invitation",
	  "You are invited to an organization on SSCN",
	  "Hello,\n\n{{inviter}} invited you to join the organization "
	  "\"{{organization}}\" on SSCN as {{role}}.\n\nTo accept, open this "
	  "link within {{validity}} and sign in with this e-mail address; if "
	  "you have no SSCN account yet, you can register from there:\n\n"
	  "{{link}}\n\nIf you did not expect this invitation, ignore this "
	  "mail.\n" },
	{ "rfq_invitation",
	  "Invitation to quote: {{title}}",
	  "Hello {{name}},\n\nyour organization is invited to quote on this "
	  "request for quotation on SSCN:\n\n{{link}}\n" },
	{ "rfq_cancelled",
	  "RFQ cancelled: {{title}}",
	  "Hello {{name}},\n\nthe buyer has cancelled this request for "
	  "quotation on SSCN. The reason given:\n\n{{reason}}\n\n{{link}}\n" },
	{ "quote_awarded",
	  "Your quote was awarded",
	  "Hello,\n\nthe buyer has decided the request for quotation "
	  "\"{{title}}\": your organization's quote was awarded.\n\nSee the "
	  "RFQ at {{link}}\n" },
	{ "quote_rejected",
	  "Your quote was not selected",
	  "Hello,\n\nthe buyer has decided the request for quotation "
	  "\"{{title}}\": your organization's quote was not selected.\n\nSee "
	  "the RFQ at {{link}}\n" },

	/* ---- privacy ---- */
	{ "account_deletion_scheduled",
	  "Your SSCN account is scheduled for deletion",
	  "You asked to delete your SSCN account. It will be deleted on "
	  "{{deletion_date}} (UTC), and every session of the account has been "
	  "signed out.\n\nTo keep the account, sign in before then at "
	  "{{site_url}} and cancel the deletion. If you did not ask for this, "
	  "sign in, cancel it and change your password at once.\n" },
	{ "account_deletion_cancelled",
	  "The deletion of your SSCN account is cancelled",
	  "The scheduled deletion of your SSCN account was cancelled; the "
	  "account stays as it is. If that was not you, change your password "
	  "at once.\n" },
	/*
	 * The title and headings are the ones incident_notify.c explains;
	 * {{data_categories}} is a list of "- item" lines, each ending in LF.
	 */
	{ "incident_notice",
	  "Notice of Data Breach",
	  "Notice of Data Breach\n\nWe are writing to tell you about a "
	  "security incident at SSCN that affects personal data of your "
	  "account.\n\nWhat Happened\n{{what_happened}}\n\n"
	  "What Information Was Involved\n{{data_categories}}\n"
	  "What This May Mean for You\n{{consequences}}\n\n"
	  "What We Are Doing\n{{measures}}\n\n"
	  "What You Can Do\n{{advice}}\n\n"
	  "For More Information\n{{contact_point}}\n\nSSCN\n" },
	/* The operator writes subject and text; the footer is RFC 8058's. */
	{ "newsletter",
	  "{{subject}}",
	  "{{text}}\n\n-- \nYou receive this mail because you turned on SSCN "
	  "marketing mail.\nTo stop it, open {{unsubscribe_link}} and confirm, "
	  "or turn it off in your account settings.\n" },
};

const size_t mail_template_count =
    sizeof(mail_templates) / sizeof(mail_templates[0]);

const struct mail_template *
mail_template_find(const char *name)
{
	size_t i;

	for (i = 0; i < mail_template_count; i++)
		if (strcmp(mail_templates[i].name, name) == 0)
			return &mail_templates[i];
	return NULL;
}

/*
 * Parse the placeholder at "p", which starts with "{{".  Copies its name
 * into "name" and returns its length including the braces, or 0 when it
 * is not "{{" [a-z0-9_]+ "}}".
 */
static size_t
mail_placeholder(const char *p, char name[MAIL_PLACEHOLDER_MAX + 1])
{
	size_t n = 0;

	p += 2;
	while (n < MAIL_PLACEHOLDER_MAX && ((p[n] >= 'a' && p[n] <= 'z') ||
	    (p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
		n++;
	if (n == 0 || p[n] != '}' || p[n + 1] != '}')
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	return n + 4;
}

/*
 * Expand "text" into "out" (NULL in the sizing pass) and return the
 * length of the result, or -1 with "reason" set.  Marks each value used
 * in "used".  In the subject, a value with CR or LF sets "*header_break".
 */
static long
mail_expand(const char *template_name, const char *text,
    const struct mail_value *values, bool *used, bool subject,
    bool *header_break, char *out, char *reason, size_t reasonlen)
{
	char		 name[MAIL_PLACEHOLDER_MAX + 1];
	const char	*p = text;
	size_t		 len = 0, skip, vlen;
	int		 i;

	while (*p != '\0') {
		if (p[0] != '{' || p[1] != '{') {
			if (out != NULL)
				out[len] = *p;
			len++;
			p++;
			continue;
		}
		if ((skip = mail_placeholder(p, name)) == 0) {
			snprintf(reason, reasonlen, "template %s has a malformed "
			    "placeholder", template_name);
			return -1;
		}
		for (i = 0; values[i].name != NULL; i++)
			if (strcmp(values[i].name, name) == 0)
				break;
		if (values[i].name == NULL) {
			snprintf(reason, reasonlen, "template %s: no value for "
			    "{{%s}}", template_name, name);
			return -1;
		}
		if (values[i].value == NULL) {
			snprintf(reason, reasonlen, "template %s: the value of "
			    "{{%s}} is NULL", template_name, name);
			return -1;
		}
		if (subject && strpbrk(values[i].value, "\r\n") != NULL) {
			snprintf(reason, reasonlen, "template %s: the value of "
			    "{{%s}} in the subject contains a line break",
			    template_name, name);
			*header_break = true;
			return -1;
		}
		used[i] = true;
		vlen = strlen(values[i].value);
		if (out != NULL)
			memcpy(out + len, values[i].value, vlen);
		len += vlen;
		p += skip;
	}
	if (out != NULL)
		out[len] = '\0';
	return (long)len;
}

/* Expand "text" into a new string: a sizing pass, then a copying pass. */
static enum sscn_err
mail_expand_alloc(const char *template_name, const char *text,
    const struct mail_value *values, bool *used, bool subject, char **out,
    char *reason, size_t reasonlen)
{
	bool	header_break = false;
	long	len;

	len = mail_expand(template_name, text, values, used, subject,
	    &header_break, NULL, reason, reasonlen);
	if (len < 0)
		return header_break ? SSCN_ERR_VALIDATION : SSCN_ERR_INTERNAL;
	if ((*out = malloc((size_t)len + 1)) == NULL) {
		snprintf(reason, reasonlen, "template %s: out of memory",
		    template_name);
		return SSCN_ERR_INTERNAL;
	}
	(void)mail_expand(template_name, text, values, used, subject,
	    &header_break, *out, reason, reasonlen);
	return SSCN_OK;
}

enum sscn_err
mail_template_render(const char *name, const struct mail_value *values,
    char **subject, char **body, char *reason, size_t reasonlen)
{
	const struct mail_template	*t;
	bool				 used[MAIL_VALUES_MAX] = { false };
	enum sscn_err			 err;
	int				 i, n;

	*subject = *body = NULL;
	if ((t = mail_template_find(name)) == NULL) {
		snprintf(reason, reasonlen, "unknown mail template %s", name);
		return SSCN_ERR_INTERNAL;
	}
	for (n = 0; values[n].name != NULL; n++)
		;
	if (n > MAIL_VALUES_MAX) {
		snprintf(reason, reasonlen, "template %s: more than %d values",
		    name, MAIL_VALUES_MAX);
		return SSCN_ERR_INTERNAL;
	}

	if ((err = mail_expand_alloc(name, t->subject, values, used, true,
	    subject, reason, reasonlen)) != SSCN_OK ||
	    (err = mail_expand_alloc(name, t->body, values, used, false, body,
	    reason, reasonlen)) != SSCN_OK)
		goto fail;

	/* An unused value is a misspelt name or a forgotten text. */
	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		snprintf(reason, reasonlen, "template %s does not use the value "
		    "{{%s}}", name, values[i].name);
		err = SSCN_ERR_INTERNAL;
		goto fail;
	}
	return SSCN_OK;

fail:
	mail_text_free(*subject);
	mail_text_free(*body);
	*subject = *body = NULL;
	return err;
}

void
mail_text_free(char *text)
{
	if (text == NULL)
		return;
	sodium_memzero(text, strlen(text));
	free(text);
}
