/*
 * test_metrics.c - the shared counters of metrics.c and their text form.
 *
 * The route tables are the test's own.  Counts made in a child process,
 * one that exits and one killed with SIGKILL, must reach the parent,
 * as a worker's counts reach the master's mapping.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sscn.h"
#include "metrics.h"
#include "tap.h"

static const struct route main_routes[] = {
	{ "GET", "/api/health/live", NULL, 0 },
	{ "POST", "/api/v1/rfqs/{id}/quotes", NULL, ROUTE_BODY_JSON },
};

static const struct route extra_routes[] = {
	{ "POST", "/api/v1/echo", NULL, ROUTE_BODY_JSON },
};

static const struct metrics_route_table tables[] = {
	{ main_routes, 2 },
	{ extra_routes, 1 },
};

/* metrics_write() into a new string; the caller frees it. */
static char *
written(void)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*out = open_memstream(&text, &len);

	if (out == NULL)
		bail_out("open_memstream failed");
	metrics_write(out);
	fclose(out);
	return text;
}

/* True when "text" has "line" as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t		 len = strlen(line);
	const char	*p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
		p++;
	}
	return false;
}

static void
check_line(const char *text, const char *line)
{
	if (!ok(has_line(text, line), "line: %s", line))
		diag("output:\n%s", text);
}

/* Fork a child that runs "count" and then exits, or kills itself. */
static void
run_child(void (*count)(void), bool killed)
{
	pid_t	 pid = fork();
	int	 status;

	if (pid == -1)
		bail_out("fork failed");
	if (pid == 0) {
		count();
		if (killed)
			raise(SIGKILL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		bail_out("waitpid failed");
	if (killed)
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "child: killed by SIGKILL");
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "child: exited with status 0");
}

static void
count_lockouts(void)
{
	int i;

	for (i = 0; i < 1000; i++)
		metrics_lockout();
}

static void
count_request(void)
{
	metrics_request(&main_routes[0], 200, 700);
}

static void
test_before_init(void)
{
	char *text;

	ok(!metrics_enabled(), "before init: metrics are off");
	metrics_request(&main_routes[0], 200, 10);
	metrics_lockout();
	text = written();
	is_str(text, "", "before init: nothing is written");
	free(text);
}

static void
test_requests(void)
{
	char *text;

	metrics_request(&main_routes[0], 200, 500);
	metrics_request(&main_routes[0], 200, 3000);
	metrics_request(&main_routes[0], 503, 20000000);
	metrics_request(&extra_routes[0], 400, 1000);
	metrics_request(NULL, 404, 100);
	metrics_request(NULL, 42, 100);
	text = written();

	check_line(text, "# TYPE sscn_http_requests_total counter");
	check_line(text, "sscn_http_requests_total{method=\"GET\","
	    "route=\"/api/health/live\",status=\"200\"} 2");
	check_line(text, "sscn_http_requests_total{method=\"GET\","
	    "route=\"/api/health/live\",status=\"503\"} 1");
	check_line(text, "sscn_http_requests_total{method=\"POST\","
	    "route=\"/api/v1/echo\",status=\"400\"} 1");
	check_line(text, "sscn_http_requests_total{route=\"unmatched\","
	    "status=\"404\"} 1");
	check_line(text, "sscn_http_requests_total{route=\"unmatched\","
	    "status=\"other\"} 1");
	ok(strstr(text, "/api/v1/rfqs/{id}/quotes") == NULL,
	    "requests: a route without requests has no series");

	check_line(text, "# TYPE sscn_http_request_duration_seconds histogram");
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/api/health/live\",le=\"0.001\"} 1");
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/api/health/live\",le=\"0.0025\"} 1");
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/api/health/live\",le=\"0.005\"} 2");
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/api/health/live\",le=\"10\"} 2");
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"GET\",route=\"/api/health/live\",le=\"+Inf\"} 3");
	check_line(text, "sscn_http_request_duration_seconds_sum{method="
	    "\"GET\",route=\"/api/health/live\"} 20.003500");
	check_line(text, "sscn_http_request_duration_seconds_count{method="
	    "\"GET\",route=\"/api/health/live\"} 3");
	/* 1000 us is the first bound itself: buckets are inclusive ("le"). */
	check_line(text, "sscn_http_request_duration_seconds_bucket{method="
	    "\"POST\",route=\"/api/v1/echo\",le=\"0.001\"} 1");
	check_line(text, "sscn_http_request_duration_seconds_count{route="
	    "\"unmatched\"} 2");
	free(text);
}

static void
test_counters(void)
{
	char *text;

	metrics_rate_limited();
	metrics_auth_failure("wrong_password");
	metrics_auth_failure("wrong_password");
	metrics_auth_failure("totp_replay");
	metrics_auth_failure("confirm_invalid");
	metrics_auth_failure("no_such_reason");
	metrics_db_error(METRICS_DB_TIMEOUT);
	metrics_db_reconnect();
	metrics_worker_restart();
	metrics_sentry_failure(METRICS_SENTRY_REJECTED);
	text = written();

	check_line(text, "sscn_http_rate_limited_requests_total 1");
	check_line(text, "sscn_auth_login_failures_total{reason="
	    "\"wrong_password\"} 2");
	check_line(text, "sscn_auth_login_failures_total{reason=\"other\"} 1");
	check_line(text, "sscn_auth_login_failures_total{reason="
	    "\"unknown_email\"} 0");
	check_line(text, "sscn_auth_mfa_failures_total{reason="
	    "\"totp_replay\"} 1");
	check_line(text, "sscn_auth_mfa_failures_total{reason="
	    "\"confirm_invalid\"} 1");
	check_line(text, "sscn_auth_mfa_failures_total{reason=\"other\"} 0");
	check_line(text, "sscn_db_errors_total{kind=\"timeout\"} 1");
	check_line(text, "sscn_db_errors_total{kind=\"query\"} 0");
	check_line(text, "sscn_db_reconnects_total 1");
	check_line(text, "sscn_worker_restarts_total 1");
	check_line(text, "sscn_sentry_send_failures_total{kind=\"rejected\"} 1");
	check_line(text, "sscn_sentry_send_failures_total{kind="
	    "\"transport\"} 0");
	check_line(text, "# HELP sscn_auth_lockouts_total Accounts locked "
	    "after lockout_threshold consecutive failures.");
	free(text);
}

static void
test_children(void)
{
	char *text;

	run_child(count_lockouts, false);
	run_child(count_lockouts, true);
	run_child(count_request, true);
	text = written();
	check_line(text, "sscn_auth_lockouts_total 2000");
	check_line(text, "sscn_http_requests_total{method=\"GET\","
	    "route=\"/api/health/live\",status=\"200\"} 3");
	free(text);
}

int
main(void)
{
	test_before_init();
	if (metrics_init(tables, 2) == -1)
		bail_out("metrics_init failed");
	ok(metrics_enabled(), "init: metrics are on");
	test_requests();
	test_counters();
	test_children();
	return done_testing();
}
