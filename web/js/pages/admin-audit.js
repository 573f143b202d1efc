// pages/admin-audit.js - search the audit log by actor, action, target and
// time, with a CSV download of the same search.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { field } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { fromLocalInput, pagedList, submitAsQuery, table, toLocalInput } from "../sourcing.js";

const FILTERS = ["actor", "action", "target", "from", "to"];
const TIME_FILTERS = new Set(["from", "to"]);

function searchForm(ctx) {
	const node = el("form", { class: "filters", role: "search" },
		el("div", { class: "field-row" },
			field({ name: "actor", label: "Actor (user id)", value: ctx.query.get("actor") || "" }),
			field({ name: "action", label: "Action", value: ctx.query.get("action") || "",
				hint: "Exact, such as auth.login or rfq.publish." })),
		field({ name: "target", label: "Target", value: ctx.query.get("target") || "",
			hint: "Exact id of the changed object." }),
		el("div", { class: "field-row" },
			field({ name: "from", label: "From (inclusive)", type: "datetime-local",
				value: toLocalInput(ctx.query.get("from")) }),
			field({ name: "to", label: "To (exclusive)", type: "datetime-local",
				value: toLocalInput(ctx.query.get("to")) })),
		el("div", { class: "actions" }, el("button", { type: "submit", class: "button button-primary" },
			"Search")));
	return submitAsQuery(node, "/admin/audit", FILTERS,
		(name, text) => TIME_FILTERS.has(name) ? fromLocalInput(text) : text);
}

definePage({
	path: "/admin/audit",
	title: "Audit log",
	access: ["admin"],
	async render(ctx) {
		pageHeading(ctx.main, "Audit log", "Newest first. Every search is itself recorded in the audit log.");
		ctx.main.append(searchForm(ctx));

		const query = {};
		for (const name of FILTERS) {
			query[name] = ctx.query.get(name);
		}
		const csv = new URLSearchParams({ format: "csv" });
		for (const [name, text] of Object.entries(query)) {
			if (text) {
				csv.set(name, text);
			}
		}
		ctx.main.append(el("p", null, el("a", { href: "/api/v1/admin/audit?" + csv, download: "" },
			"Download this search as CSV"), el("span", { class: "muted" }, " (up to 1000 rows)")));
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/admin/audit", { query: { ...query, limit: 50, cursor } }),
			(items) => table({ caption: "Audit events", className: "audit",
				headers: ["Time", "Action", "Result", "Actor", "Target", "Address", "Request id", "Details"],
				rows: items.map((item) => [formatTime(item.occurred_at), item.action, item.result || "",
					item.actor_id ? el("a", { href: "/admin/audit?actor=" + item.actor_id },
						item.actor_id) : "",
					item.target || "", item.address || "", item.request_id || "",
					item.details ? el("code", null, JSON.stringify(item.details)) : ""]),
				empty: "No event matches." })));
	},
});
