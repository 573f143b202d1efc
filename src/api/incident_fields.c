/*
 * incident_fields.c - the writable fields of an incident and the rules
 * between them.
 *
 * One table lists every field a client may set, with its type and limit,
 * and POST and PATCH both check a body against it.  The rules between
 * fields are checked on the whole incident as it would be stored, so a
 * PATCH cannot break them by changing one side only.  Examples: a
 * reference needs a notification time, a late notification needs the
 * reason for the delay, and closing needs both notification decisions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sscn.h"
#include "api/incidents.h"

#define INCIDENT_TEXT_MAX	20000	/* characters, the long text fields */
#define INCIDENT_LIST_MAX	30	/* entries of a category list */
#define INCIDENT_LIST_ITEM_MAX	100	/* characters per entry */
#define INCIDENT_COUNT_MAX	INT64_C(1000000000000)	/* records or people */

/* GDPR Article 33(1): notify the authority within 72 hours of awareness. */
#define INCIDENT_DEADLINE_SECONDS (72 * 3600)

/*
 * How far in the future a time may lie: every time of an incident records
 * something that has happened, and clocks differ by a little.
 */
#define INCIDENT_CLOCK_SKEW	300

enum incident_field_type {
	FIELD_LINE,		/* one line of text */
	FIELD_TEXT,		/* multi-line text */
	FIELD_CHOICE,		/* one of "choices" */
	FIELD_TIME,		/* RFC 3339 date and time, not in the future */
	FIELD_COUNT,		/* integer from 0 */
	FIELD_LIST		/* array of one-line texts */
};

struct incident_field {
	const char		*name;
	enum incident_field_type type;
	size_t			 max_chars;	/* FIELD_LINE and FIELD_TEXT */
	const char *const	*choices;	/* FIELD_CHOICE, NULL-terminated */
	bool			 required;	/* when creating; never null */
};

static const char *const severities[] = {
	"sev1", "sev2", "sev3", "sev4", NULL
};
static const char *const statuses[] = {
	"open", "contained", "notified", "closed", NULL
};
static const char *const risk_levels[] = { "none", "risk", "high", NULL };

static const struct incident_field incident_fields[] = {
	{ "title", FIELD_LINE, 200, NULL, true },
	{ "severity", FIELD_CHOICE, 0, severities, true },
	{ "status", FIELD_CHOICE, 0, statuses, false },
	{ "reporter", FIELD_LINE, 200, NULL, false },
	{ "detected_at", FIELD_TIME, 0, NULL, false },
	{ "became_aware_at", FIELD_TIME, 0, NULL, true },
	{ "description", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, true },
	{ "data_categories", FIELD_LIST, 0, NULL, false },
	{ "subject_categories", FIELD_LIST, 0, NULL, false },
	{ "approx_subjects", FIELD_COUNT, 0, NULL, false },
	{ "approx_records", FIELD_COUNT, 0, NULL, false },
	{ "consequences", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, false },
	{ "risk_level", FIELD_CHOICE, 0, risk_levels, false },
	{ "risk_reasoning", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, false },
	{ "measures", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, false },
	{ "contact_point", FIELD_TEXT, 500, NULL, false },
	{ "authority_notified_at", FIELD_TIME, 0, NULL, false },
	{ "authority_reference", FIELD_LINE, 200, NULL, false },
	{ "authority_delay_reason", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, false },
	{ "authority_not_notified_reason", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL,
	    false },
	{ "subjects_notified_at", FIELD_TIME, 0, NULL, false },
	{ "subjects_notification_method", FIELD_LINE, 200, NULL, false },
	{ "subjects_not_notified_reason", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL,
	    false },
	{ "processor_notifications", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL,
	    false },
	{ "lessons_learned", FIELD_TEXT, INCIDENT_TEXT_MAX, NULL, false },
};
#define INCIDENT_NFIELDS (sizeof(incident_fields) / sizeof(incident_fields[0]))

bool
rfc3339_parse(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*p;
	int		 offset = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL || strlen(s) < 19 || s[4] != '-' || s[10] != 'T')
		return false;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' && p[1] == '\0')
		offset = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
	    strspn(p + 1, "0123456789") == 2 && strspn(p + 4, "0123456789") == 2) {
		int hours = atoi(p + 1), minutes = atoi(p + 4);

		if (hours > 23 || minutes > 59)
			return false;
		offset = (hours * 60 + minutes) * 60 * (*p == '-' ? -1 : 1);
	} else
		return false;
	if (tm.tm_year < 70 || tm.tm_year > 9999 - 1900)
		return false;
	*out = timegm(&tm) - offset;
	return true;
}

void
rfc3339_format(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether "s" is one of the NULL-terminated "choices". */
static bool
incident_choice_valid(const char *s, const char *const *choices)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(s, choices[i]) == 0)
			return true;
	return false;
}

/*
 * Check the array "value" of one-line texts and return it normalized, or
 * NULL after adding the problem to "fields".
 */
static struct json_object *
incident_list_parse(const char *name, struct json_object *value,
    struct json_object *fields)
{
	struct json_object	*list;
	size_t			 i, n;

	if (!json_object_is_type(value, json_type_array)) {
		json_object_object_add(fields, name, json_object_new_string(
		    "must be an array of strings"));
		return NULL;
	}
	n = json_object_array_length(value);
	if (n > INCIDENT_LIST_MAX) {
		json_object_object_add(fields, name, json_object_new_string(
		    "must have at most 30 entries"));
		return NULL;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object	*holder = json_object_new_object();
		struct json_object	*problems = json_object_new_object();
		const char		*text = NULL;

		/* json_get_text() checks an object's member, so wrap it. */
		json_object_object_add(holder, "entry", json_object_get(
		    json_object_array_get_idx(value, i)));
		if (json_get_text(holder, "entry", true, INCIDENT_LIST_ITEM_MAX,
		    false, &text, problems) != SSCN_OK || *text == '\0') {
			json_object_object_add(fields, name,
			    json_object_new_string("must contain one-line strings "
			    "of 1 to 100 characters"));
			json_object_put(problems);
			json_object_put(holder);
			json_object_put(list);
			return NULL;
		}
		json_object_array_add(list, json_object_new_string(text));
		json_object_put(problems);
		json_object_put(holder);
	}
	return list;
}

/*
 * Check one present, non-null field and return its normalized value, or
 * NULL after adding the problem to "fields".
 */
static struct json_object *
incident_field_parse(const struct incident_field *f, struct json_object *body,
    struct json_object *fields)
{
	struct json_object	*value = json_object_object_get(body, f->name);
	const char		*text = NULL;
	char			 when[21];
	time_t			 t;
	int64_t			 count;

	switch (f->type) {
	case FIELD_LINE:
	case FIELD_TEXT:
		if (json_get_text(body, f->name, true, f->max_chars,
		    f->type == FIELD_TEXT, &text, fields) != SSCN_OK)
			return NULL;
		if (*text == '\0') {
			json_object_object_add(fields, f->name,
			    json_object_new_string("must not be empty; send "
			    "null to clear it"));
			return NULL;
		}
		return json_object_new_string(text);
	case FIELD_CHOICE:
		if (json_get_string(body, f->name, true, 32, &text, fields) !=
		    SSCN_OK)
			return NULL;
		if (!incident_choice_valid(text, f->choices)) {
			json_object_object_add(fields, f->name,
			    json_object_new_string("is not one of the allowed "
			    "values"));
			return NULL;
		}
		return json_object_new_string(text);
	case FIELD_TIME:
		if (!json_object_is_type(value, json_type_string) ||
		    !rfc3339_parse(json_object_get_string(value), &t)) {
			json_object_object_add(fields, f->name,
			    json_object_new_string("must be an RFC 3339 time such "
			    "as 2026-12-01T09:30:00Z"));
			return NULL;
		}
		if (t > time(NULL) + INCIDENT_CLOCK_SKEW) {
			json_object_object_add(fields, f->name,
			    json_object_new_string("must not be in the future"));
			return NULL;
		}
		rfc3339_format(t, when);
		return json_object_new_string(when);
	case FIELD_COUNT:
		if (json_get_int(body, f->name, true, 0, INCIDENT_COUNT_MAX,
		    &count, fields) != SSCN_OK)
			return NULL;
		return json_object_new_int64(count);
	case FIELD_LIST:
		return incident_list_parse(f->name, value, fields);
	}
	return NULL;
}

struct json_object *
incident_fields_parse(struct json_object *body, bool creating,
    struct json_object *fields)
{
	struct json_object	*out;
	const char		*allowed[INCIDENT_NFIELDS + 1];
	size_t			 i;

	for (i = 0; i < INCIDENT_NFIELDS; i++)
		allowed[i] = incident_fields[i].name;
	allowed[i] = NULL;
	(void)json_reject_unknown(body, allowed, fields);

	out = json_object_new_object();
	for (i = 0; i < INCIDENT_NFIELDS; i++) {
		const struct incident_field	*f = &incident_fields[i];
		struct json_object		*value;

		if (!json_object_object_get_ex(body, f->name, &value)) {
			if (creating && f->required)
				json_object_object_add(fields, f->name,
				    json_object_new_string("missing"));
			continue;
		}
		if (value == NULL) {
			if (f->required || f->type == FIELD_LIST ||
			    strcmp(f->name, "status") == 0)
				json_object_object_add(fields, f->name,
				    json_object_new_string("must not be null"));
			else
				json_object_object_add(out, f->name, NULL);
			continue;
		}
		if ((value = incident_field_parse(f, body, fields)) != NULL)
			json_object_object_add(out, f->name, value);
	}
	return out;
}

/* Field "name" of "incident" as a string, or NULL when null or absent. */
static const char *
incident_string(struct json_object *incident, const char *name)
{
	struct json_object *value;

	if (!json_object_object_get_ex(incident, name, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/* Time field "name" of "incident", or false when null or absent. */
static bool
incident_time(struct json_object *incident, const char *name, time_t *out)
{
	const char *s = incident_string(incident, name);

	return s != NULL && rfc3339_parse(s, out);
}

static enum sscn_err
incident_rule_broken(struct json_object *fields, const char *field,
    const char *problem)
{
	if (!json_object_object_get_ex(fields, field, NULL))
		json_object_object_add(fields, field,
		    json_object_new_string(problem));
	return SSCN_ERR_VALIDATION;
}

enum sscn_err
incident_check_rules(struct json_object *incident, struct json_object *fields)
{
	const char	*status = incident_string(incident, "status");
	enum sscn_err	 err = SSCN_OK;
	time_t		 aware, detected, authority, subjects;
	bool		 has_authority, has_subjects;

	if (!incident_time(incident, "became_aware_at", &aware))
		return incident_rule_broken(fields, "became_aware_at", "missing");
	has_authority = incident_time(incident, "authority_notified_at",
	    &authority);
	has_subjects = incident_time(incident, "subjects_notified_at",
	    &subjects);

	if (incident_time(incident, "detected_at", &detected) &&
	    detected > aware)
		err = incident_rule_broken(fields, "became_aware_at",
		    "must not be before detected_at");

	if (has_authority && authority < aware)
		err = incident_rule_broken(fields, "authority_notified_at",
		    "must not be before became_aware_at");
	if (!has_authority && incident_string(incident,
	    "authority_reference") != NULL)
		err = incident_rule_broken(fields, "authority_reference",
		    "needs authority_notified_at");
	if (has_authority && incident_string(incident,
	    "authority_not_notified_reason") != NULL)
		err = incident_rule_broken(fields,
		    "authority_not_notified_reason",
		    "must be null once the authority is notified");
	if (has_authority && authority > aware + INCIDENT_DEADLINE_SECONDS &&
	    incident_string(incident, "authority_delay_reason") == NULL)
		err = incident_rule_broken(fields, "authority_delay_reason",
		    "is required: the authority was notified more than 72 "
		    "hours after became_aware_at");

	if (has_subjects && subjects < aware)
		err = incident_rule_broken(fields, "subjects_notified_at",
		    "must not be before became_aware_at");
	if (has_subjects && incident_string(incident,
	    "subjects_not_notified_reason") != NULL)
		err = incident_rule_broken(fields,
		    "subjects_not_notified_reason",
		    "must be null once the data subjects are notified");

	if (status != NULL && strcmp(status, "notified") == 0 &&
	    !has_authority && !has_subjects)
		err = incident_rule_broken(fields, "status",
		    "notified needs authority_notified_at or "
		    "subjects_notified_at");
	if (status != NULL && strcmp(status, "closed") == 0) {
		if (!has_authority && incident_string(incident,
		    "authority_not_notified_reason") == NULL)
			err = incident_rule_broken(fields, "status",
			    "closed needs authority_notified_at or "
			    "authority_not_notified_reason");
		if (!has_subjects && incident_string(incident,
		    "subjects_not_notified_reason") == NULL)
			err = incident_rule_broken(fields, "status",
			    "closed needs subjects_notified_at or "
			    "subjects_not_notified_reason");
	}
	return err;
}
