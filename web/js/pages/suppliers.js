// pages/suppliers.js - the supplier directory with full-text search and
// filters, and a supplier's profile.

import { api } from "../api.js";
import { el, formatDate, formatTime } from "../dom.js";
import { field } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { categories, categoryChoices, categoryName, facts, pagedList, submitAsQuery,
	table } from "../sourcing.js";

const FILTERS = ["q", "category", "country"];

function searchForm(ctx, list) {
	const node = el("form", { class: "filters", role: "search" },
		field({ name: "q", label: "Search", type: "search", value: ctx.query.get("q") || "",
			hint: "Words of the name, categories or description; \"quoted phrase\", or, -word." }),
		el("div", { class: "field-row" },
			field({ name: "category", label: "Category", type: "select",
				value: ctx.query.get("category") || "",
				choices: categoryChoices(list, { empty: "Any category" }) }),
			field({ name: "country", label: "Country", value: ctx.query.get("country") || "",
				attrs: { maxlength: "2", pattern: "[A-Za-z]{2}" }, hint: "ISO 3166-1 code, such as DE." })),
		el("div", { class: "actions" }, el("button", { type: "submit", class: "button button-primary" },
			"Search")));
	return submitAsQuery(node, "/suppliers", FILTERS,
		(name, text) => name === "country" ? text.toUpperCase() : text);
}

definePage({
	path: "/suppliers",
	title: "Supplier directory",
	access: "user",
	nav: { label: "Suppliers", order: 30 },
	async render(ctx) {
		pageHeading(ctx.main, "Supplier directory");
		const list = await categories();
		ctx.main.append(searchForm(ctx, list));

		const query = { limit: 20 };
		for (const name of FILTERS) {
			query[name] = ctx.query.get(name);
		}
		ctx.main.append(await pagedList(
			(cursor) => api.get("/api/v1/suppliers", { query: { ...query, cursor } }),
			(items) => table({ caption: query.q ? "Suppliers, best match first" : "Suppliers by name",
				headers: ["Supplier", "Country", "Categories", "Delivers to"],
				rows: items.map((supplier) => [
					el("a", { href: "/suppliers/" + supplier.id }, supplier.name),
					supplier.country || "",
					(supplier.categories || []).map((code) => categoryName(list, code)).join(", "),
					(supplier.regions || []).join(", ")]),
				empty: "No supplier matches. Try fewer words or another category." })));
	},
});

const CERT_STATUS = { claimed: "Claimed", verified: "Verified", expired: "Expired" };

function certificateTable(profile) {
	return table({ caption: "Certifications",
		headers: ["Scheme", "Number", "Issuer", "Valid", "Status", "Certificate"],
		rows: profile.certifications.map((cert) => [cert.scheme, cert.certificate_no, cert.issuer,
			formatDate(cert.valid_from) + " to " + formatDate(cert.valid_until),
			el("span", { class: "badge badge-" + cert.status }, CERT_STATUS[cert.status] || cert.status),
			cert.document_id ? el("a", { href: "/api/v1/documents/" + cert.document_id + "/content",
				download: "" }, "Download") : el("span", { class: "muted" }, "No file")]),
		empty: "No certification entered." });
}

// The description HTML comes from the server, rendered by cmark in safe
// mode (raw HTML dropped, unsafe link targets removed); it is the only
// HTML the web UI inserts as markup.
function descriptionNode(profile) {
	const node = el("div", { class: "markdown" });
	if (profile.description_html) {
		node.innerHTML = profile.description_html;
	} else {
		node.append(el("p", { class: "muted" }, "No description yet."));
	}
	return node;
}

function canEdit(ctx, id) {
	const organization = ctx.user.organization;
	return Boolean(organization && organization.id === id &&
		["owner", "admin"].includes(organization.role));
}

definePage({
	path: "/suppliers/:id",
	title: "Supplier",
	access: "user",
	async render(ctx) {
		const list = await categories();
		const profile = await api.get("/api/v1/suppliers/" + encodeURIComponent(ctx.params.id));
		document.title = profile.name + " - SSCN";
		pageHeading(ctx.main, profile.name);
		if (canEdit(ctx, profile.id)) {
			ctx.main.append(el("div", { class: "actions" }, el("a", { class: "button button-primary",
				href: "/suppliers/" + profile.id + "/edit" }, "Edit the profile")));
		}
		ctx.main.append(
			el("section", { class: "card", "aria-label": "Company" },
				facts([
					["Country", profile.country],
					["Website", profile.website ? el("a", { href: profile.website, rel: "noopener noreferrer",
						target: "_blank" }, profile.website) : null],
					["Categories", profile.categories.map((category) => category.name).join(", ")],
					["Delivers to", profile.regions.join(", ")],
					["Identifiers", profile.identifiers.map((item) => item.scheme + " " + item.id).join(", ")],
					["Profile updated", profile.updated_at ? formatTime(profile.updated_at) : "Never"],
				]),
				el("h2", null, "About"),
				descriptionNode(profile)),
			el("section", { class: "card", "aria-labelledby": "capacity-title" },
				el("h2", { id: "capacity-title" }, "Capacities"),
				table({ headers: ["Category", "Quantity", "Per"],
					rows: profile.capacities.map((item) => [categoryName(list, item.category),
						String(item.quantity) + " " + item.unit, item.per]),
					empty: "No capacity entered." })),
			el("section", { class: "card", "aria-labelledby": "cert-title" },
				el("h2", { id: "cert-title" }, "Certifications"),
				certificateTable(profile)));
	},
});
