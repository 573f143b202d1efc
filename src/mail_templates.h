/*
 * mail_templates.h - the subject and body of every mail SSCN sends.
 *
 * Each template has a name, stored in sscn.mail_outbox.template and shown
 * by "sscnctl mailq", and a plain-text subject and body with named
 * placeholders such as {{name}} or {{link}}.  mail_template_render()
 * fills them from a list of values.  A template that names a placeholder
 * without a value, or a value that the template does not use, is a
 * programming error: rendering fails and nothing is queued.
 */
#ifndef SSCN_MAIL_TEMPLATES_H
#define SSCN_MAIL_TEMPLATES_H

#include <stddef.h>

#include "sscn.h"

/* One placeholder value; a list of them ends with a NULL name. */
struct mail_value {
	const char	*name;		/* placeholder without the braces */
	const char	*value;		/* UTF-8, inserted as it is */
};

/* One mail: its name, subject and body, with placeholders. */
struct mail_template {
	const char	*name;
	const char	*subject;
	const char	*body;
};

extern const struct mail_template	mail_templates[];
extern const size_t			mail_template_count;

/* Returns the template called "name", or NULL. */
const struct mail_template *mail_template_find(const char *name);

/*
 * Render template "name" with "values" into "*subject" and "*body", both
 * allocated; free them with mail_text_free().  Values are inserted once
 * and never scanned for placeholders themselves.  Returns
 * SSCN_ERR_VALIDATION when a value placed in the subject contains CR or
 * LF, and SSCN_ERR_INTERNAL for an unknown template, a placeholder
 * without a value, a value the template does not use, a NULL value or
 * lack of memory.  On an error both outputs are NULL and "reason"
 * holds a message that names the template and the placeholder, for the
 * log; it contains no value.
 */
enum sscn_err mail_template_render(const char *name,
	    const struct mail_value *values, char **subject, char **body,
	    char *reason, size_t reasonlen) SSCN_WARN_UNUSED;

/* Overwrite and free a rendered text, which may hold a token; NULL is fine. */
void	mail_text_free(char *text);

#endif
