/*
 * health.c - /api/health/, /api/health/live and /api/health/ready.
 *
 * live touches nothing but the worker, so it shows the process answers.
 * ready shows the worker can serve: the database answers and its schema is
 * at least at SSCN_SCHEMA_VERSION.  The root endpoint adds host checks
 * (load, memory, disk of data_dir), but only when nginx marked the client
 * as allowed to see them (FastCGI parameter SSCN_HEALTH_DETAIL=1); others
 * get the bare status, since paths and capacity help an attacker plan.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "sscn.h"

struct health_db {
	enum sscn_err	 err;
	int		 schema_version;
	double		 latency_ms;
};

static void
health_check_db(struct http_request *req, struct health_db *out)
{
	PGresult	*res = NULL;
	uint64_t	 start = now_us();

	out->schema_version = 0;
	out->err = db_exec(&req->worker->db, req->request_id,
	    "health_schema_version", 0, NULL, &res);
	out->latency_ms = (double)(now_us() - start) / 1000.0;
	if (out->err == SSCN_OK) {
		out->schema_version = atoi(PQgetvalue(res, 0, 0));
		if (out->schema_version < SSCN_SCHEMA_VERSION)
			out->err = SSCN_ERR_UNAVAILABLE;
	}
	PQclear(res);
}

/* Send 503 with the status field health probes read and the error body. */
static void
health_send_unavailable(struct http_request *req, const char *message,
    struct json_object *checks)
{
	struct json_object *root = json_object_new_object();
	struct json_object *error = json_object_new_object();

	json_object_object_add(root, "status",
	    json_object_new_string("unavailable"));
	json_object_object_add(error, "code",
	    json_object_new_string("unavailable"));
	json_object_object_add(error, "message",
	    json_object_new_string(message));
	json_object_object_add(error, "request_id",
	    json_object_new_string(req->request_id));
	json_object_object_add(root, "error", error);
	if (checks != NULL)
		json_object_object_add(root, "checks", checks);
	http_send_json(req, 503, root);
	json_object_put(root);
}

static const char *
health_db_message(const struct health_db *db)
{
	if (db->err == SSCN_ERR_UNAVAILABLE && db->schema_version > 0)
		return "The database schema is older than this server "
		    "requires; run sscnctl migrate.";
	return "The database is not reachable.";
}

enum sscn_err
health_live(struct http_request *req)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "status", json_object_new_string("ok"));
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

enum sscn_err
health_ready(struct http_request *req)
{
	struct health_db	 db;
	struct json_object	*root;

	health_check_db(req, &db);
	if (db.err != SSCN_OK) {
		health_send_unavailable(req, health_db_message(&db), NULL);
		return SSCN_OK;
	}

	root = json_object_new_object();
	json_object_object_add(root, "status", json_object_new_string("ok"));
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}

/* A double with three decimals, as JSON writes it, not 0.0830000000001. */
static struct json_object *
health_number(double value)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", value);
	return json_object_new_double_s(value, text);
}

static struct json_object *
health_database_check(const struct health_db *db)
{
	struct json_object *check = json_object_new_object();

	json_object_object_add(check, "status", json_object_new_string(
	    db->err == SSCN_OK ? "ok" : "unavailable"));
	json_object_object_add(check, "latency_ms",
	    health_number(db->latency_ms));
	/* Unknown while the database is unreachable, not 0. */
	json_object_object_add(check, "schema_version",
	    db->schema_version > 0 || db->err == SSCN_OK ?
	    json_object_new_int(db->schema_version) : NULL);
	json_object_object_add(check, "expected_schema_version",
	    json_object_new_int(SSCN_SCHEMA_VERSION));
	return check;
}

static struct json_object *
health_cpu_check(void)
{
	struct json_object	*check = json_object_new_object();
	double			 load[3] = { 0, 0, 0 };

	if (getloadavg(load, 3) != 3)
		json_object_object_add(check, "status",
		    json_object_new_string("unknown"));
	json_object_object_add(check, "load1", health_number(load[0]));
	json_object_object_add(check, "load5", health_number(load[1]));
	json_object_object_add(check, "load15",
	    health_number(load[2]));
	json_object_object_add(check, "cpus",
	    json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	return check;
}

/* MemTotal and MemAvailable from /proc/meminfo, in bytes. */
static struct json_object *
health_memory_check(void)
{
	struct json_object	*check = json_object_new_object();
	unsigned long long	 total = 0, available = 0, kib;
	char			 line[256];
	FILE			*f = fopen("/proc/meminfo", "re");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
				total = kib * 1024;
			else if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
				available = kib * 1024;
		}
		fclose(f);
	}
	if (total == 0)
		json_object_object_add(check, "status",
		    json_object_new_string("unknown"));
	json_object_object_add(check, "total_bytes",
	    json_object_new_int64((int64_t)total));
	json_object_object_add(check, "available_bytes",
	    json_object_new_int64((int64_t)available));
	return check;
}

static struct json_object *
health_disk_check(const char *path)
{
	struct json_object	*check = json_object_new_object();
	struct statvfs		 st;

	json_object_object_add(check, "path", json_object_new_string(path));
	if (statvfs(path, &st) == -1) {
		json_object_object_add(check, "status",
		    json_object_new_string("unknown"));
		return check;
	}
	json_object_object_add(check, "free_bytes", json_object_new_int64(
	    (int64_t)((unsigned long long)st.f_bavail * st.f_frsize)));
	json_object_object_add(check, "total_bytes", json_object_new_int64(
	    (int64_t)((unsigned long long)st.f_blocks * st.f_frsize)));
	return check;
}

enum sscn_err
health_root(struct http_request *req)
{
	struct health_db	 db;
	struct json_object	*root, *checks = NULL;

	health_check_db(req, &db);

	if (req->health_detail) {
		checks = json_object_new_object();
		json_object_object_add(checks, "database",
		    health_database_check(&db));
		json_object_object_add(checks, "cpu", health_cpu_check());
		json_object_object_add(checks, "memory", health_memory_check());
		json_object_object_add(checks, "disk",
		    health_disk_check(req->worker->conf->data_dir));
	}

	if (db.err != SSCN_OK) {
		health_send_unavailable(req, health_db_message(&db), checks);
		return SSCN_OK;
	}

	root = json_object_new_object();
	json_object_object_add(root, "status", json_object_new_string("ok"));
	if (req->health_detail) {
		json_object_object_add(root, "version",
		    json_object_new_string(PACKAGE_VERSION));
		json_object_object_add(root, "checks", checks);
	}
	http_send_json(req, 200, root);
	json_object_put(root);
	return SSCN_OK;
}
