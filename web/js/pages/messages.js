// pages/messages.js - the private message threads of an RFQ: one thread
// per supplier organization.  A supplier sees only its own thread; the
// buyer picks a thread (?supplier=ID) or starts one with an invited or
// quoting supplier.

import { api } from "../api.js";
import { el, formatTime } from "../dom.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";

const PAGE_SIZE = 100;

// Every message the caller may read, oldest first.
async function loadMessages(rfqId, supplierId) {
	const items = [];
	let cursor = null;
	do {
		const answer = await api.get("/api/v1/rfqs/" + rfqId + "/messages", {
			query: { supplier_org_id: supplierId, limit: PAGE_SIZE, cursor } });
		items.push(...answer.items);
		cursor = answer.next_cursor;
	} while (cursor);
	return items;
}

function messageList(messages, ownSide) {
	if (messages.length === 0) {
		return el("p", { class: "muted" }, "No message yet.");
	}
	return el("ol", { class: "thread", "aria-label": "Messages, oldest first" },
		messages.map((message) => el("li", {
			class: "message" + (message.author_side === ownSide ? " message-own" : "") },
		el("p", { class: "message-meta" },
			el("strong", null, message.author_name || (message.author_side === "buyer" ?
				"Buyer" : "Supplier")),
			" (", message.author_side, "), ", el("time", { datetime: message.created_at },
				formatTime(message.created_at))),
		el("p", { class: "message-body preformatted" }, message.body))));
}

function replyForm(rfqId, supplierId, backUrl) {
	return form({ label: "Send", children: [field({ name: "body", label: "Your message",
		type: "textarea", rows: 4, required: true, hint: "Up to 10000 characters." })] },
	async (formNode) => {
		const body = { body: value(formNode, "body") };
		if (supplierId) {
			body.supplier_org_id = supplierId;
		}
		await api.post("/api/v1/rfqs/" + rfqId + "/messages", body);
		navigate(backUrl, { replace: true });
	});
}

// The suppliers a buyer can write to: those with a thread, the invited and
// those that quoted.
async function buyerPartners(rfq, messages) {
	const partners = new Map();
	for (const message of messages) {
		partners.set(message.supplier_org_id, message.supplier_name);
	}
	const [invitations, quotes] = await Promise.all([
		api.get("/api/v1/rfqs/" + rfq.id + "/invitations"),
		rfq.sealed && rfq.status === "published" ? { items: [] } :
			api.get("/api/v1/rfqs/" + rfq.id + "/quotes", { query: { limit: 100 } }),
	]);
	for (const item of invitations.items) {
		partners.set(item.supplier_org_id, item.supplier_name);
	}
	for (const quote of quotes.items) {
		partners.set(quote.supplier_org_id, quote.supplier_name);
	}
	return partners;
}

async function renderBuyer(ctx, rfq) {
	const all = await loadMessages(rfq.id, null);
	const partners = await buyerPartners(rfq, all);
	const chosen = ctx.query.get("supplier");
	const counts = new Map();
	for (const message of all) {
		counts.set(message.supplier_org_id, (counts.get(message.supplier_org_id) || 0) + 1);
	}

	const threads = el("nav", { class: "thread-list", "aria-label": "Threads" },
		el("h2", null, "Threads"),
		partners.size === 0 ? el("p", { class: "muted" },
			"No supplier is invited or has quoted yet. A public request's suppliers write first.") :
			el("ul", null, [...partners].map(([id, name]) => el("li", null,
				el("a", { href: "/rfqs/" + rfq.id + "/messages?supplier=" + id,
					"aria-current": id === chosen ? "page" : null }, name),
				" ", el("span", { class: "muted" }, "(" + (counts.get(id) || 0) + ")")))));
	ctx.main.append(threads);

	if (!chosen) {
		ctx.main.append(el("p", null, "Choose a supplier to read or start its thread."));
		return;
	}
	const messages = all.filter((message) => message.supplier_org_id === chosen);
	ctx.main.append(el("section", { class: "card", "aria-labelledby": "thread-title" },
		el("h2", { id: "thread-title" }, "Thread with ", partners.get(chosen) || "the supplier"),
		messageList(messages, "buyer"),
		rfq.status === "cancelled" ? null :
			replyForm(rfq.id, chosen, location.pathname + location.search)));
}

async function renderSupplier(ctx, rfq) {
	const messages = await loadMessages(rfq.id, null);
	ctx.main.append(el("section", { class: "card", "aria-labelledby": "thread-title" },
		el("h2", { id: "thread-title" }, "Thread with ", rfq.buyer ? rfq.buyer.name : "the buyer"),
		messageList(messages, "supplier"),
		rfq.status === "cancelled" ? null :
			replyForm(rfq.id, null, location.pathname)));
}

definePage({
	path: "/rfqs/:id/messages",
	title: "Messages",
	access: ["buyer", "supplier"],
	async render(ctx) {
		const rfq = await api.get("/api/v1/rfqs/" + encodeURIComponent(ctx.params.id));
		document.title = "Messages: " + rfq.title + " - SSCN";
		pageHeading(ctx.main, "Messages", "About ",
			el("a", { href: "/rfqs/" + rfq.id }, rfq.title), ". Only the buyer and the supplier of a thread read it.");
		if (ctx.roles.has("buyer")) {
			await renderBuyer(ctx, rfq);
		} else {
			await renderSupplier(ctx, rfq);
		}
	},
});
