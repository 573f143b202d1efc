// pages/dashboard.js - the start page after sign-in, with one section per
// role: a buyer's RFQs and their quotes; a supplier's invitations, the
// open public RFQs and its quotes; an administrator's tools.

import { api } from "../api.js";
import { el, formatDate, formatTime } from "../dom.js";
import { errorBox } from "../errors.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { QUOTE_STATUS, RFQ_STATUS, categories, categoryName, formatMoney, statusBadge,
	table } from "../sourcing.js";

// NOTE: the API lists quotes per RFQ only, so the dashboards ask for the
// quotes of at most this many RFQs, to stay well inside the rate limit of
// 60 requests per minute per user.  Older RFQs show their quotes on the
// RFQ page.
const QUOTE_LOOKUPS = 8;

function rfqTitle(rfq) {
	return el("a", { href: "/rfqs/" + rfq.id }, rfq.title);
}

function isTeaser(rfq) {
	return rfq.nda_required && rfq.nda_accepted === false;
}

async function quotesOf(rfq) {
	const answer = await api.get("/api/v1/rfqs/" + rfq.id + "/quotes", { query: { limit: 100 } });
	return answer.items;
}

// A section that shows its own error instead of failing the whole page.
async function section(title, build) {
	const node = el("section", { class: "dashboard-section" },
		el("h2", null, title));
	try {
		node.append(await build());
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		node.append(errorBox(error));
	}
	return node;
}

function quoteSummary(rfq, quotes) {
	if (rfq.status === "draft") {
		return "Not published";
	}
	if (rfq.sealed && rfq.status === "published") {
		return "Sealed until the deadline";
	}
	if (quotes === null) {
		return el("a", { href: "/rfqs/" + rfq.id }, "See the RFQ");
	}
	if (quotes.length === 0) {
		return "None yet";
	}
	const cheapest = quotes.filter((quote) => quote.status !== "withdrawn")
		.sort((a, b) => Number(a.unit_price) - Number(b.unit_price))[0];
	return [String(quotes.length), quotes.length === 1 ? " quote" : " quotes",
		cheapest ? el("span", { class: "muted" }, ", lowest ",
			formatMoney(cheapest.unit_price, cheapest.currency)) : null];
}

async function buyerRfqs() {
	const answer = await api.get("/api/v1/rfqs", { query: { mine: "true", limit: 50 } });
	const list = await categories();
	const rows = [];
	let lookups = 0;
	for (const rfq of answer.items) {
		let quotes = null;
		const readable = rfq.status !== "draft" && !(rfq.sealed && rfq.status === "published");
		if (readable && lookups < QUOTE_LOOKUPS) {
			lookups += 1;
			quotes = await quotesOf(rfq);
		}
		rows.push([rfqTitle(rfq), categoryName(list, rfq.category), statusBadge(RFQ_STATUS, rfq.status),
			formatTime(rfq.quote_deadline), quoteSummary(rfq, quotes)]);
	}
	return el("div", null,
		el("div", { class: "actions" },
			el("a", { class: "button button-primary", href: "/rfqs/new" }, "New request for quotation")),
		table({ caption: "Requests for quotation that you created, newest first",
			headers: ["Title", "Category", "Status", "Quote deadline", "Quotes"],
			rows, empty: "You have created no request for quotation yet." }));
}

function supplierRfqRow(rfq, list) {
	return [rfqTitle(rfq), rfq.buyer ? rfq.buyer.name : "", categoryName(list, rfq.category),
		statusBadge(RFQ_STATUS, rfq.status), formatTime(rfq.quote_deadline),
		isTeaser(rfq) ? "NDA to accept" : rfq.nda_required ? "NDA accepted" : "No NDA"];
}

const SUPPLIER_HEADERS = ["Title", "Buyer", "Category", "Status", "Quote deadline", "NDA"];

async function supplierSections(main) {
	const [invited, open, list] = await Promise.all([
		api.get("/api/v1/rfqs", { query: { mine: "true", limit: 50 } }),
		api.get("/api/v1/rfqs", { query: { status: "published", sort: "quote_deadline",
			order: "asc", limit: 50 } }),
		categories(),
	]);
	const invitedIds = new Set(invited.items.map((rfq) => rfq.id));
	const publicOpen = open.items.filter((rfq) => !invitedIds.has(rfq.id));

	main.append(
		await section("Invitations", async () => table({
			caption: "Requests for quotation your organization is invited to",
			headers: SUPPLIER_HEADERS, rows: invited.items.map((rfq) => supplierRfqRow(rfq, list)),
			empty: "No invitations yet." })),
		await section("Open public requests", async () => table({
			caption: "Published requests open to every supplier, nearest deadline first",
			headers: SUPPLIER_HEADERS, rows: publicOpen.map((rfq) => supplierRfqRow(rfq, list)),
			empty: "No public request is open at the moment." })),
		await section("My quotes", async () => {
			const candidates = [...invited.items, ...publicOpen].filter((rfq) => !isTeaser(rfq))
				.slice(0, QUOTE_LOOKUPS);
			const rows = [];
			for (const rfq of candidates) {
				for (const quote of await quotesOf(rfq)) {
					rows.push([rfqTitle(rfq), statusBadge(QUOTE_STATUS, quote.status),
						formatMoney(quote.unit_price, quote.currency), String(quote.revision),
						formatTime(quote.updated_at)]);
				}
			}
			return table({ caption: "Your organization's quotes on the requests above",
				headers: ["Request", "Status", "Unit price", "Revision", "Last change"],
				rows, empty: "No quote yet." });
		}));
}

function adminSection() {
	const links = [
		["/admin/users", "Users: lock and unlock accounts"],
		["/admin/audit", "Audit log search"],
		["/admin/access-review", "Access review"],
		["/admin/incidents", "Incidents and the breach register"],
	];
	return el("section", { class: "dashboard-section" },
		el("h2", null, "Administration"),
		el("ul", null, links.map(([href, label]) => el("li", null, el("a", { href }, label)))));
}

definePage({
	path: "/dashboard",
	title: "Dashboard",
	access: "user",
	nav: { label: "Dashboard", order: 10 },
	async render(ctx) {
		const organization = ctx.user.organization;
		const alerts = pageHeading(ctx.main, "Dashboard", organization ?
			["Signed in for ", organization.name, organization.name.endsWith(".") ? "" : "."] :
			"Your account belongs to no organization.");
		if (ctx.user.deletion_scheduled_for) {
			alerts.append(el("div", { class: "alert alert-info", role: "status" },
				"Your account is scheduled for deletion on ",
				el("strong", null, formatDate(ctx.user.deletion_scheduled_for)), ". ",
				el("a", { href: "/account/privacy" }, "Cancel the deletion"),
				" on the privacy page to keep it."));
		}

		if (ctx.roles.has("buyer")) {
			ctx.main.append(await section("My requests for quotation", buyerRfqs));
		}
		if (ctx.roles.has("supplier")) {
			await supplierSections(ctx.main);
			ctx.main.append(el("p", null,
				el("a", { href: "/suppliers/" + organization.id }, "View your supplier profile"),
				" or ", el("a", { href: "/suppliers/" + organization.id + "/edit" }, "edit it"), "."));
		}
		if (ctx.roles.has("admin")) {
			ctx.main.append(adminSection());
		}
	},
});
