// pages/rfqs.js - the list of requests for quotation the caller sees,
// with filters by status and "mine" (a buyer's own, a supplier's
// invitations).

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { field } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { RFQ_STATUS, categories, categoryName, pagedList, statusBadge, submitAsQuery,
	table } from "../sourcing.js";

function filterForm(ctx) {
	const statusChoices = [{ value: "", label: "Any status" },
		...Object.entries(RFQ_STATUS).map(([status, label]) => ({ value: status, label }))];
	const mineLabel = ctx.roles.has("buyer") ? "Only requests I created" :
		"Only requests my organization is invited to";
	const node = el("form", { class: "filters", role: "search" },
		field({ name: "status", label: "Status", type: "select", value: ctx.query.get("status") || "",
			choices: statusChoices }),
		field({ name: "mine", label: mineLabel, type: "checkbox", value: ctx.query.get("mine") === "true" }),
		el("div", { class: "actions" }, el("button", { type: "submit", class: "button" }, "Filter")));
	return submitAsQuery(node, "/rfqs", ["status", "mine"]);
}

definePage({
	path: "/rfqs",
	title: "Requests for quotation",
	access: ["buyer", "supplier"],
	nav: { label: "Requests", order: 20, roles: ["buyer", "supplier"] },
	async render(ctx) {
		pageHeading(ctx.main, "Requests for quotation");
		if (ctx.roles.has("buyer")) {
			ctx.main.append(el("div", { class: "actions" },
				el("a", { class: "button button-primary", href: "/rfqs/new" }, "New request for quotation")));
		}
		ctx.main.append(filterForm(ctx));

		const list = await categories();
		const query = { status: ctx.query.get("status"), mine: ctx.query.get("mine"), limit: 20 };
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/rfqs", { query: { ...query, cursor } }),
			(items) => table({ caption: "Requests, newest first",
				headers: ["Title", "Buyer", "Category", "Status", "Quote deadline"],
				rows: items.map((rfq) => [el("a", { href: "/rfqs/" + rfq.id }, rfq.title),
					rfq.buyer ? rfq.buyer.name : "", categoryName(list, rfq.category),
					statusBadge(RFQ_STATUS, rfq.status), formatTime(rfq.quote_deadline)]),
				empty: "No request matches." })));
	},
});
