/*
 * sentry.c - error events for Sentry: collection in the request path,
 * queueing, rate limits and sending (contract in sentry.h).
 *
 * Nothing here runs on a request's critical path except the collection,
 * which copies a log event name into a static buffer.  Events are built
 * when a request ends and sent by sentry_flush(), which the worker calls
 * after FCGX_Finish_r().  A send takes at most SENTRY_TIMEOUT_MS; while it
 * runs, this worker accepts no request, but the others do, and the rate
 * limits bound how often that happens.
 *
 * Error handling: a failed or rejected send is logged with log_warn() and
 * the event is dropped.  This file never calls log_error(), whose hook
 * would turn Sentry's own failures into more events.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>

#include "sscn.h"
#include "metrics.h"
#include "outbound.h"
#include "sentry.h"

/* Events a worker keeps between two flushes; more are dropped. */
#define SENTRY_QUEUE_MAX	8
/* Fingerprint slots of the rate limit, chosen by a 32-bit hash. */
#define SENTRY_SLOTS		256
#define SENTRY_EVENT_NAME_MAX	64

/*
 * Rate limits shared by the master and its workers.  Each slot packs the
 * hash of a fingerprint (high 32 bits) and the monotonic second of its
 * last event (low 32 bits).  Two fingerprints with one slot only make the
 * limit looser: each overwrites the other's time.
 */
struct sentry_limits {
	_Atomic uint64_t	slots[SENTRY_SLOTS];
	_Atomic uint64_t	wait_until_ms;	/* monotonic; 0: not waiting */
};

struct sentry_event {
	char	 event_id[33];
	char	 request_id[65];
	char	*payload;		/* the event item, JSON */
};

static const struct sscn_conf	*sentry_conf;
static struct sentry_dsn	 sentry_dsn;
static bool			 sentry_on;
static char			 sentry_host[256] = "-";

static struct sentry_limits	 sentry_local_limits;
static struct sentry_limits	*sentry_limits = &sentry_local_limits;

static struct sentry_event	 sentry_queue[SENTRY_QUEUE_MAX];
static size_t			 sentry_nqueued;
static unsigned long		 sentry_dropped;	/* since the last log line */
static bool			 sentry_in_hook;

/* What the request being served has logged so far. */
static struct {
	bool		active;
	char		request_id[65];
	char		first_event[SENTRY_EVENT_NAME_MAX];
	unsigned	errors;
} sentry_current;

static uint64_t
sentry_now_ms(void)
{
	return now_us() / 1000;
}

void
sentry_shared_init(void)
{
	void *shared = mmap(NULL, sizeof(struct sentry_limits),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (shared == MAP_FAILED) {
		log_warn(NULL, "sentry_shared_memory_failed", "error=\"%s\" "
		    "action=\"each process keeps its own rate limits\"",
		    strerror(errno));
		return;
	}
	sentry_limits = shared;
}

void
sentry_shared_reset(void)
{
	size_t i;

	for (i = 0; i < SENTRY_SLOTS; i++)
		atomic_store(&sentry_limits->slots[i], 0);
	atomic_store(&sentry_limits->wait_until_ms, 0);
}

/* FNV-1a, 32 bits: spreads fingerprints over the slots. */
static uint32_t
sentry_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static bool
sentry_waiting(void)
{
	return atomic_load(&sentry_limits->wait_until_ms) > sentry_now_ms();
}

/* Send nothing for "seconds" from now, unless a longer wait is set. */
static void
sentry_wait(uint64_t seconds)
{
	uint64_t until = sentry_now_ms() + seconds * 1000;
	uint64_t old = atomic_load(&sentry_limits->wait_until_ms);

	while (old < until &&
	    !atomic_compare_exchange_weak(&sentry_limits->wait_until_ms, &old,
	    until))
		;
}

/*
 * Claim the right to send an event with "fingerprint": false when Sentry
 * asked to wait or when the fingerprint had an event less than
 * SENTRY_FINGERPRINT_INTERVAL_S ago.
 */
static bool
sentry_claim(const char *fingerprint)
{
	uint32_t		 hash = sentry_hash(fingerprint);
	uint32_t		 now = (uint32_t)(now_us() / 1000000);
	_Atomic uint64_t	*slot = &sentry_limits->slots[hash % SENTRY_SLOTS];
	uint64_t		 old, fresh = (uint64_t)hash << 32 | now;

	if (sentry_waiting())
		return false;
	old = atomic_load(slot);
	do {
		if (old != 0 && (uint32_t)(old >> 32) == hash &&
		    now - (uint32_t)old < SENTRY_FINGERPRINT_INTERVAL_S)
			return false;
	} while (!atomic_compare_exchange_weak(slot, &old, fresh));
	return true;
}

static void
sentry_drop(const char *request_id, const char *reason)
{
	sentry_dropped++;
	log_debug(request_id, "sentry_event_dropped", "reason=%s", reason);
}

/* RFC 3339 UTC with milliseconds, as Sentry's "timestamp" takes it. */
static void
sentry_timestamp(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

static void
sentry_add_string(struct json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value));
}

/*
 * Build an event item with the fields every event has.  "tags" and
 * "fingerprint" are consumed.  Returns the JSON text (caller frees) and
 * the new event id, or NULL when out of memory.
 */
static char *
sentry_build_event(const char *level, const char *logger, const char *message,
    struct json_object *tags, struct json_object *fingerprint,
    char event_id[33])
{
	struct json_object	*event = json_object_new_object();
	struct json_object	*msg = json_object_new_object();
	unsigned char		 random[16];
	char			 timestamp[64];
	const char		*text;
	char			*copy = NULL;

	/* A UUID4 without dashes, as Sentry's event_id requires. */
	randombytes_buf(random, sizeof(random));
	random[6] = (random[6] & 0x0f) | 0x40;
	random[8] = (random[8] & 0x3f) | 0x80;
	sodium_bin2hex(event_id, 33, random, sizeof(random));
	sentry_timestamp(timestamp, sizeof(timestamp));

	if (event == NULL || msg == NULL) {
		json_object_put(msg);
		json_object_put(tags);
		json_object_put(fingerprint);
		goto out;
	}
	sentry_add_string(event, "event_id", event_id);
	sentry_add_string(event, "timestamp", timestamp);
	sentry_add_string(event, "platform", "c");
	sentry_add_string(event, "level", level);
	sentry_add_string(event, "logger", logger);
	sentry_add_string(event, "server_name", sentry_host);
	sentry_add_string(event, "release", sentry_conf->sentry_release != NULL ?
	    sentry_conf->sentry_release : PACKAGE_VERSION);
	sentry_add_string(event, "environment", sentry_conf->sentry_environment);
	sentry_add_string(msg, "formatted", message);
	json_object_object_add(event, "message", msg);
	json_object_object_add(event, "tags", tags);
	json_object_object_add(event, "fingerprint", fingerprint);

	text = json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text != NULL)
		copy = strdup(text);
out:
	json_object_put(event);
	return copy;
}

static void
sentry_enqueue(const char *request_id, const char *event_id, char *payload)
{
	struct sentry_event *slot;

	if (payload == NULL) {
		sentry_drop(request_id, "out_of_memory");
		return;
	}
	if (sentry_nqueued == SENTRY_QUEUE_MAX) {
		free(payload);
		sentry_drop(request_id, "queue_full");
		return;
	}
	slot = &sentry_queue[sentry_nqueued++];
	memcpy(slot->event_id, event_id, sizeof(slot->event_id));
	snprintf(slot->request_id, sizeof(slot->request_id), "%s",
	    request_id != NULL ? request_id : "");
	slot->payload = payload;
}

/*
 * Queue the event of a request or of an error logged outside one.
 * "event_name" is the first log_error() event, NULL when none.
 */
static void
sentry_queue_event(const char *request_id, const char *event_name,
    const char *method, const char *route, int status)
{
	struct json_object	*tags, *fingerprint;
	char			 fp_text[256], message[512], status_text[16];
	char			 fp_name[SENTRY_EVENT_NAME_MAX + 16];
	char			 event_id[33];

	if (event_name != NULL)
		snprintf(fp_name, sizeof(fp_name), "%s", event_name);
	else
		snprintf(fp_name, sizeof(fp_name), "http_%d", status);
	snprintf(fp_text, sizeof(fp_text), "%s %s %s", fp_name, method, route);
	if (!sentry_claim(fp_text)) {
		sentry_drop(request_id, sentry_waiting() ? "sentry_asked_to_wait" :
		    "rate_limited");
		return;
	}

	if (status == 0)
		snprintf(message, sizeof(message), "%s outside a request",
		    fp_name);
	else if (event_name != NULL)
		snprintf(message, sizeof(message), "%s while serving %s %s "
		    "(status %d)", event_name, method, route, status);
	else
		snprintf(message, sizeof(message), "%s %s answered %d", method,
		    route, status);
	snprintf(status_text, sizeof(status_text), "%d", status);

	tags = json_object_new_object();
	fingerprint = json_object_new_array();
	if (tags != NULL && fingerprint != NULL) {
		sentry_add_string(tags, "route", route);
		sentry_add_string(tags, "method", method);
		sentry_add_string(tags, "request_id", request_id != NULL &&
		    *request_id != '\0' ? request_id : "-");
		if (status != 0)
			sentry_add_string(tags, "status", status_text);
		sentry_add_string(tags, "log_event", event_name != NULL ?
		    event_name : "-");
		json_object_array_add(fingerprint,
		    json_object_new_string(fp_name));
		json_object_array_add(fingerprint, json_object_new_string(method));
		json_object_array_add(fingerprint, json_object_new_string(route));
	}
	sentry_enqueue(request_id, event_id, sentry_build_event("error",
	    "sscnd", message, tags, fingerprint, event_id));
}

/*
 * The log_error() hook: note the first error of the current request, or
 * queue an event for an error logged outside a request.
 */
static void
sentry_on_log_error(const char *request_id, const char *event)
{
	if (!sentry_on || sentry_in_hook)
		return;
	sentry_in_hook = true;
	if (sentry_current.active) {
		if (sentry_current.errors++ == 0)
			snprintf(sentry_current.first_event,
			    sizeof(sentry_current.first_event), "%s", event);
	} else {
		/* NOTE: sent only after the worker's next request. */
		sentry_queue_event(request_id, event, "-", "-", 0);
	}
	sentry_in_hook = false;
}

void
sentry_configure(const struct sscn_conf *conf, bool collect)
{
	const char	*reason;
	char		*p;

	sentry_conf = conf;
	sentry_on = false;
	if (conf->sentry_dsn != NULL && *conf->sentry_dsn != '\0') {
		/* conf.c rejects an invalid DSN at load time; this is only a guard. */
		if (sentry_dsn_parse(conf->sentry_dsn, &sentry_dsn, &reason) == 0)
			sentry_on = true;
		else
			log_warn(NULL, "sentry_disabled", "reason=\"sentry_dsn "
			    "%s\"", reason);
	}

	if (gethostname(sentry_host, sizeof(sentry_host)) == -1)
		snprintf(sentry_host, sizeof(sentry_host), "-");
	sentry_host[sizeof(sentry_host) - 1] = '\0';
	for (p = sentry_host; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			*p = '_';

	if (collect)
		log_set_error_hook(sentry_on ? sentry_on_log_error : NULL);
}

bool
sentry_enabled(void)
{
	return sentry_on;
}

void
sentry_request_begin(const char *request_id)
{
	memset(&sentry_current, 0, sizeof(sentry_current));
	snprintf(sentry_current.request_id, sizeof(sentry_current.request_id),
	    "%s", request_id);
	sentry_current.active = true;
}

void
sentry_request_end(const char *method, const char *route, int status)
{
	bool report = sentry_current.errors > 0 || status >= 500;

	sentry_current.active = false;
	if (!sentry_on || !report)
		return;
	sentry_in_hook = true;
	sentry_queue_event(sentry_current.request_id,
	    sentry_current.errors > 0 ? sentry_current.first_event : NULL,
	    method != NULL ? method : "-", route != NULL ? route : "-",
	    status);
	sentry_in_hook = false;
}

/* Seconds from a Retry-After value: delta-seconds or an HTTP-date. */
static uint64_t
sentry_retry_after(const char *value)
{
	const char	*p;
	uint64_t	 seconds = 0;
	time_t		 when;

	if (*value == '\0')
		return SENTRY_DEFAULT_RETRY_AFTER_S;
	for (p = value; *p >= '0' && *p <= '9'; p++) {
		seconds = seconds * 10 + (uint64_t)(*p - '0');
		if (seconds > SENTRY_MAX_RETRY_AFTER_S)
			return SENTRY_MAX_RETRY_AFTER_S;
	}
	if (*p == '\0')
		return seconds;

	when = curl_getdate(value, NULL);
	if (when == -1)
		return SENTRY_DEFAULT_RETRY_AFTER_S;
	if (when <= time(NULL))
		return 0;
	seconds = (uint64_t)(when - time(NULL));
	return seconds > SENTRY_MAX_RETRY_AFTER_S ? SENTRY_MAX_RETRY_AFTER_S :
	    seconds;
}

/*
 * The maximum wait that X-Sentry-Rate-Limits sets for error events:
 * "retry_after:categories:scope..." entries separated by commas, where
 * empty categories mean all.  Returns 0 when no entry applies.
 */
static uint64_t
sentry_rate_limits(const char *value)
{
	uint64_t	 longest = 0;
	const char	*p = value;

	while (*p != '\0') {
		uint64_t	 seconds = 0;
		const char	*end = strchr(p, ','), *categories;
		size_t		 len;
		bool		 applies;

		if (end == NULL)
			end = p + strlen(p);
		while (*p == ' ')
			p++;
		for (; *p >= '0' && *p <= '9' && seconds <=
		    SENTRY_MAX_RETRY_AFTER_S; p++)
			seconds = seconds * 10 + (uint64_t)(*p - '0');
		if (*p == ':') {
			categories = ++p;
			len = strcspn(categories, ":,");
			applies = len == 0;
			while (!applies && categories < p + len) {
				size_t n = strcspn(categories, ";:,");

				applies = n == 5 &&
				    strncmp(categories, "error", 5) == 0;
				categories += n + (categories[n] == ';');
				if (n == 0)
					break;
			}
			if (applies && seconds > longest)
				longest = seconds;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return longest > SENTRY_MAX_RETRY_AFTER_S ? SENTRY_MAX_RETRY_AFTER_S :
	    longest;
}

/* Act on Sentry's response: rate limits, back-off and the log line. */
static void
sentry_handle_response(const struct sentry_event *ev,
    enum outbound_status status, const struct outbound_response *res)
{
	const char	*rid = ev->request_id[0] != '\0' ? ev->request_id : NULL;
	uint64_t	 limit;

	if (status != OUTBOUND_OK) {
		metrics_sentry_failure(METRICS_SENTRY_TRANSPORT);
		sentry_wait(SENTRY_FAILURE_BACKOFF_S);
		log_warn(rid, "sentry_send_failed", "event_id=%s result=\"%s\" "
		    "backoff_s=%d", ev->event_id, outbound_status_str(status),
		    SENTRY_FAILURE_BACKOFF_S);
		return;
	}

	limit = sentry_rate_limits(res->headers[1]);
	if (res->status == 429 && limit == 0)
		limit = sentry_retry_after(res->headers[0]);
	if (limit > 0) {
		sentry_wait(limit);
		log_warn(rid, "sentry_rate_limited", "event_id=%s status=%ld "
		    "retry_after_s=%llu", ev->event_id, res->status,
		    (unsigned long long)limit);
	}
	if (res->status >= 200 && res->status < 300) {
		log_info(rid, "sentry_event_sent", "event_id=%s status=%ld",
		    ev->event_id, res->status);
		return;
	}
	metrics_sentry_failure(METRICS_SENTRY_REJECTED);
	if (res->status >= 500) {
		sentry_wait(SENTRY_FAILURE_BACKOFF_S);
		log_warn(rid, "sentry_event_rejected", "event_id=%s status=%ld "
		    "backoff_s=%d", ev->event_id, res->status,
		    SENTRY_FAILURE_BACKOFF_S);
	} else if (res->status != 429)
		log_warn(rid, "sentry_event_rejected", "event_id=%s status=%ld "
		    "hint=\"check sentry_dsn\"", ev->event_id, res->status);
}

/* Wrap the event in an envelope, send it and wait for the response. */
static void
sentry_send(const struct sentry_event *ev)
{
	static const char *const want[] = { "Retry-After",
	    "X-Sentry-Rate-Limits", NULL };
	struct outbound_response res;
	enum outbound_status	 status;
	char			 auth[256], sent_at[64], *envelope;
	const char		*headers[3];
	size_t			 payload_len = strlen(ev->payload);
	size_t			 cap = payload_len + 512;
	int			 n;

	snprintf(auth, sizeof(auth), "X-Sentry-Auth: Sentry sentry_version=7, "
	    "sentry_client=sscn/%s, sentry_key=%s", PACKAGE_VERSION,
	    sentry_dsn.public_key);
	headers[0] = "Content-Type: application/x-sentry-envelope";
	headers[1] = auth;
	headers[2] = NULL;

	if ((envelope = malloc(cap)) == NULL) {
		sentry_drop(ev->request_id, "out_of_memory");
		return;
	}
	sentry_timestamp(sent_at, sizeof(sent_at));
	n = snprintf(envelope, cap, "{\"event_id\":\"%s\",\"sent_at\":\"%s\","
	    "\"sdk\":{\"name\":\"sscn\",\"version\":\"%s\"}}\n"
	    "{\"type\":\"event\",\"length\":%zu,"
	    "\"content_type\":\"application/json\"}\n%s\n", ev->event_id,
	    sent_at, PACKAGE_VERSION, payload_len, ev->payload);
	if (n < 0 || (size_t)n >= cap) {
		free(envelope);
		sentry_drop(ev->request_id, "envelope_too_long");
		return;
	}

	{
		struct outbound_request req = {
			.method = "POST",
			.url = sentry_dsn.envelope_url,
			.path_template = "/api/{project}/envelope/",
			.headers = headers,
			.body = envelope,
			.body_len = (size_t)n,
			.timeout_ms = SENTRY_TIMEOUT_MS,
			.want_headers = want,
		};

		status = outbound_call(&req, &res, ev->request_id[0] != '\0' ?
		    ev->request_id : NULL);
	}
	sentry_handle_response(ev, status, &res);
	outbound_response_free(&res);
	free(envelope);
}

void
sentry_flush(void)
{
	size_t i;

	for (i = 0; i < sentry_nqueued; i++) {
		struct sentry_event *ev = &sentry_queue[i];

		if (sentry_on && !sentry_waiting())
			sentry_send(ev);
		else
			sentry_drop(ev->request_id, "sentry_asked_to_wait");
		free(ev->payload);
		ev->payload = NULL;
	}
	sentry_nqueued = 0;

	if (sentry_dropped > 0) {
		log_info(NULL, "sentry_events_dropped", "count=%lu "
		    "reason=\"rate limit, Sentry's wait or a full queue\"",
		    sentry_dropped);
		sentry_dropped = 0;
	}
}

bool
sentry_worker_death_due(const char *signal_name)
{
	char fingerprint[64];

	if (!sentry_on)
		return false;
	snprintf(fingerprint, sizeof(fingerprint), "worker_died %s",
	    signal_name);
	return sentry_claim(fingerprint);
}

void
sentry_send_worker_death(unsigned index, pid_t pid, const char *signal_name)
{
	struct json_object	*tags = json_object_new_object();
	struct json_object	*fingerprint = json_object_new_array();
	struct sentry_event	 ev = { .request_id = "" };
	char			 message[128], index_text[16];

	snprintf(message, sizeof(message), "worker %u (pid %ld) died from "
	    "signal %s", index, (long)pid, signal_name);
	snprintf(index_text, sizeof(index_text), "%u", index);
	if (tags != NULL && fingerprint != NULL) {
		sentry_add_string(tags, "signal", signal_name);
		sentry_add_string(tags, "worker_index", index_text);
		json_object_array_add(fingerprint,
		    json_object_new_string("worker_died"));
		json_object_array_add(fingerprint,
		    json_object_new_string(signal_name));
	}
	ev.payload = sentry_build_event("fatal", "sscnd.master", message, tags,
	    fingerprint, ev.event_id);
	if (ev.payload == NULL)
		return;
	outbound_init(sentry_conf);
	sentry_send(&ev);
	free(ev.payload);
}
