// rfq-buyer.js - the buyer's part of the RFQ page: the state changes
// (publish, close, cancel), the invitations, the NDA acceptances and the
// quote comparison table with the award.

import { api } from "./api.js";
import { el, formatDate, formatTime, replace } from "./dom.js";
import { field, form, value } from "./forms.js";
import { navigate } from "./router.js";
import { QUOTE_STATUS, actionButton, compareAmounts, confirmed, formatMoney, statusBadge,
	table } from "./sourcing.js";

const INVITATION_RESPONSES = {
	none: "No response yet",
	viewed: "Viewed",
	quoted: "Quoted",
	declined: "Declined",
};

function rfqPath(rfq, tail = "") {
	return "/api/v1/rfqs/" + rfq.id + tail;
}

function after(rfq, notice) {
	navigate("/rfqs/" + rfq.id + "?notice=" + notice, { replace: true });
}

function cancelForm(rfq) {
	return form({ label: "Cancel the request", class: "stack cancel-form",
		children: [field({ name: "reason", label: "Reason for cancelling", type: "textarea",
			rows: 3, required: true, hint: "Sent to the suppliers that were invited or quoted." })] },
	async (formNode) => {
		await api.post(rfqPath(rfq, "/cancel"), { reason: value(formNode, "reason") });
		after(rfq, "cancelled");
	});
}

function stateActions(ctx, rfq) {
	const container = ctx.main;
	const buttons = [];
	if (rfq.status === "draft" || rfq.status === "published") {
		buttons.push(el("a", { class: "button", href: "/rfqs/" + rfq.id + "/edit" },
			rfq.status === "draft" ? "Edit the draft" : "Amend"));
	}
	if (rfq.status === "draft") {
		buttons.push(actionButton("Publish", { container, className: "button button-primary" },
			async () => {
				await api.post(rfqPath(rfq, "/publish"));
				after(rfq, "published");
			}));
	}
	if (rfq.status === "published") {
		buttons.push(actionButton("Close before the deadline", { container }, async () => {
			if (confirmed("Close the request now? Suppliers can no longer quote or revise.")) {
				await api.post(rfqPath(rfq, "/close"));
				after(rfq, "closed");
			}
		}));
	}
	const cancellable = ["draft", "published", "closed"].includes(rfq.status);
	const cancelArea = el("div");
	if (cancellable) {
		buttons.push(el("button", { type: "button", class: "button button-danger",
			"aria-expanded": "false", on: { click: (event) => {
				event.target.setAttribute("aria-expanded", "true");
				replace(cancelArea, cancelForm(rfq));
				cancelArea.querySelector("textarea").focus();
			} } }, "Cancel the request…"));
	}
	if (buttons.length === 0) {
		return null;
	}
	return el("section", { class: "card", "aria-label": "Actions" },
		el("div", { class: "actions" }, buttons), cancelArea);
}

async function supplierChoices(query) {
	const answer = await api.get("/api/v1/suppliers", { query: { q: query, limit: 20 } });
	return answer.items;
}

function inviteForm(rfq, invitedIds) {
	const results = el("fieldset", { class: "supplier-choices", hidden: true },
		el("legend", null, "Suppliers to invite"));
	const search = form({ label: "Search", class: "stack inline-form",
		children: [field({ name: "q", label: "Supplier name or keyword", type: "search",
			hint: "Leave empty to list every supplier in the directory." })] },
	async (formNode) => {
		const found = await supplierChoices(value(formNode, "q"));
		const choices = found.filter((supplier) => !invitedIds.has(supplier.id));
		replace(results, el("legend", null, "Suppliers to invite"),
			choices.length === 0 ? el("p", { class: "muted" }, "No supplier found that is not invited yet.") :
				choices.map((supplier) => field({ name: "supplier_org_ids", type: "checkbox",
					label: supplier.name + (supplier.country ? " (" + supplier.country + ")" : ""),
					attrs: { value: supplier.id } })));
		results.hidden = false;
	});
	const invite = form({ label: "Invite the chosen suppliers", children: [results] },
		async (formNode) => {
			const ids = [...formNode.querySelectorAll('[name="supplier_org_ids"]:checked')]
				.map((box) => box.value);
			await api.post(rfqPath(rfq, "/invitations"), { supplier_org_ids: ids });
			after(rfq, "invited");
		});
	return el("div", null, search, invite);
}

async function invitationSection(rfq) {
	const answer = await api.get(rfqPath(rfq, "/invitations"));
	const invitedIds = new Set(answer.items.map((item) => item.supplier_org_id));
	const section = el("section", { class: "card", "aria-labelledby": "invitations-title" },
		el("h2", { id: "invitations-title" }, "Invited suppliers"),
		table({ headers: ["Supplier", "Invited", "Response"],
			rows: answer.items.map((item) => [
				el("a", { href: "/suppliers/" + item.supplier_org_id }, item.supplier_name),
				formatTime(item.invited_at), INVITATION_RESPONSES[item.response] || item.response]),
			empty: rfq.visibility === "invited" ?
				"No supplier is invited yet. An invited-only request needs one to be published." :
				"No supplier is invited. Every supplier can see a public request." }));
	if (rfq.status === "draft" || rfq.status === "published") {
		section.append(el("h3", null, "Invite suppliers"), inviteForm(rfq, invitedIds));
	}
	return section;
}

async function acceptanceSection(rfq) {
	const answer = await api.get(rfqPath(rfq, "/nda/acceptances"));
	const items = answer.items || answer;
	return el("section", { class: "card", "aria-labelledby": "nda-title" },
		el("h2", { id: "nda-title" }, "NDA acceptances"),
		table({ headers: ["Supplier", "Accepted by", "Version", "Accepted"],
			rows: items.map((item) => [item.supplier_name, item.user_name || "",
				item.nda_version, formatTime(item.accepted_at)]),
			empty: "No supplier has accepted the NDA yet." }));
}

// The total of a quote for the RFQ's quantity, for comparison only.
function total(rfq, quote) {
	if (rfq.quantity === null || rfq.quantity === undefined) {
		return "";
	}
	const amount = Number(quote.unit_price) * Number(rfq.quantity);
	return formatMoney(amount.toFixed(2), quote.currency);
}

function quoteRow(ctx, rfq, quote, lowest) {
	const awardable = rfq.status === "closed" && quote.status === "submitted";
	const award = awardable ? actionButton(["Award ", el("span", { class: "visually-hidden" },
		"the quote of " + quote.supplier_name)], { container: ctx.main, className: "button button-primary" },
	async () => {
		if (confirmed("Award the quote of " + quote.supplier_name +
			"? The other quotes are rejected and every supplier gets a mail.")) {
			await api.post("/api/v1/quotes/" + quote.id + "/award");
			after(rfq, "awarded");
		}
	}) : null;
	return [
		[quote.supplier_name, quote.id === lowest ? el("span", { class: "badge badge-lowest" },
			"Lowest price") : null],
		formatMoney(quote.unit_price, quote.currency),
		total(rfq, quote),
		quote.lead_time_days + " days",
		formatDate(quote.valid_until),
		statusBadge(QUOTE_STATUS, quote.status),
		String(quote.revision),
		quote.notes || "",
		[award, el("a", { href: "/rfqs/" + rfq.id + "/messages?supplier=" + quote.supplier_org_id },
			"Message")],
	];
}

async function quoteSection(ctx, rfq) {
	const section = el("section", { class: "card", "aria-labelledby": "quotes-title" },
		el("h2", { id: "quotes-title" }, "Quotes"));
	if (rfq.sealed && rfq.status === "published") {
		section.append(el("p", null, "Sealed bidding: the quotes stay closed until the deadline, ",
			formatTime(rfq.quote_deadline), "."));
		return section;
	}
	const answer = await api.get(rfqPath(rfq, "/quotes"), { query: { limit: 100 } });
	const quotes = [...answer.items].sort((a, b) => compareAmounts(a.unit_price, b.unit_price));
	const open = quotes.filter((quote) => ["submitted", "needs_reconfirmation"].includes(quote.status));
	const lowest = open.length > 1 ? open[0].id : null;
	section.append(
		rfq.status === "closed" ? el("p", null, "The deadline has passed. Award one quote to finish.") :
			rfq.status === "published" ? el("p", { class: "muted" },
				"Suppliers may still revise their quotes until the deadline.") : "",
		table({ caption: "Quotes by unit price, lowest first", className: "comparison",
			headers: ["Supplier", "Unit price", "Total", "Lead time", "Valid until", "Status",
				"Revision", "Notes", "Action"],
			rows: quotes.map((quote) => quoteRow(ctx, rfq, quote, lowest)),
			empty: "No quote yet." }));
	return section;
}

// Append the buyer's sections for rfq to the page.
export async function buyerSections(ctx, rfq) {
	const actions = stateActions(ctx, rfq);
	if (actions) {
		ctx.main.append(actions);
	}
	if (rfq.status !== "draft") {
		ctx.main.append(await quoteSection(ctx, rfq));
	}
	ctx.main.append(await invitationSection(rfq));
	if (rfq.nda_required && rfq.status !== "draft") {
		ctx.main.append(await acceptanceSection(rfq));
	}
}
