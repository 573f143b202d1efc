// rfq-supplier.js - a supplier's part of the RFQ page: the NDA gate before
// the RFQ opens, and the organization's one quote (submit, revise,
// withdraw) with its revision history.

import { api, ApiError } from "./api.js";
import { el, formatDate, formatTime } from "./dom.js";
import { field, form, value } from "./forms.js";
import { navigate, reload } from "./router.js";
import { QUOTE_STATUS, actionButton, confirmed, facts, formatMoney, statusBadge, table } from "./sourcing.js";

// The teaser of the RFQ from the supplier's lists: title, buyer, category
// and deadline are all a supplier may see before accepting the NDA.
async function findTeaser(id) {
	for (const query of [{ mine: "true", limit: 100 }, { status: "published", limit: 100 }]) {
		const answer = await api.get("/api/v1/rfqs", { query });
		const found = answer.items.find((rfq) => rfq.id === id);
		if (found) {
			return found;
		}
	}
	return null;
}

// Show the NDA that error (403 nda_required) names, and a form to accept
// it for the organization; acceptance opens the RFQ.
export async function ndaGate(ctx, error) {
	const nda = error.body && error.body.nda;
	const [teaser, text] = await Promise.all([
		findTeaser(ctx.params.id),
		api.get(nda && nda.url ? nda.url : "/api/v1/legal/nda", { anonymous: true }),
	]);

	if (teaser) {
		ctx.main.append(el("section", { class: "card", "aria-label": "Request for quotation" },
			el("h2", null, teaser.title),
			facts([
				["Buyer", teaser.buyer ? teaser.buyer.name : null],
				["Quote deadline", formatTime(teaser.quote_deadline)],
			]),
			el("p", null, "The buyer shares the details of this request only with suppliers ",
				"that accept the non-disclosure agreement below.")));
	}

	const pinned = nda ? nda.version : text.version;
	ctx.main.append(
		el("h2", null, "Mutual non-disclosure agreement, version ", pinned),
		text.version !== pinned ? el("p", { class: "alert alert-info" },
			"The text below is the current version ", text.version,
			"; the request pins version ", pinned, ".") : "",
		el("pre", { class: "document nda-text", tabindex: "0" }, text.text));

	const organization = ctx.user.organization ? ctx.user.organization.name : "my organization";
	const accept = form({ label: "Accept and open the request",
		children: [field({ name: "accept", type: "checkbox", required: true,
			label: "I accept this agreement on behalf of " + organization +
				(organization.endsWith(".") ? "" : ".") })] },
	async (formNode) => {
		if (!value(formNode, "accept")) {
			throw new ApiError({ status: 400, code: "validation_failed",
				message: "Tick the box to accept the agreement.", fields: { accept: "missing" } });
		}
		const path = nda && nda.accept_url ? nda.accept_url :
			"/api/v1/rfqs/" + encodeURIComponent(ctx.params.id) + "/nda/accept";
		await api.post(path, { version: pinned });
		reload();
	});
	ctx.main.append(el("div", { class: "card" }, accept));
}

function quoteFields(rfq, quote) {
	const current = quote || {};
	return [
		el("div", { class: "field-row" },
			field({ name: "unit_price", label: "Unit price", required: true,
				value: current.unit_price, inputmode: "decimal",
				hint: "A decimal number with at most 4 decimals, such as 12.50." }),
			field({ name: "currency", label: "Currency", value: rfq.currency,
				attrs: { readonly: "" }, hint: "The currency of the request." })),
		el("div", { class: "field-row" },
			field({ name: "lead_time_days", label: "Lead time in days", type: "number", required: true,
				value: current.lead_time_days, attrs: { min: "0", max: "3650", step: "1" } }),
			field({ name: "valid_until", label: "Valid until", type: "date", required: true,
				value: current.valid_until })),
		field({ name: "notes", label: "Notes", type: "textarea", rows: 4, value: current.notes,
			hint: "Material, packaging, terms. Up to 5000 characters." }),
	];
}

function readQuote(formNode) {
	const body = {
		unit_price: value(formNode, "unit_price"),
		currency: value(formNode, "currency"),
		valid_until: value(formNode, "valid_until"),
		notes: value(formNode, "notes"),
	};
	const lead = value(formNode, "lead_time_days");
	body.lead_time_days = lead === "" ? "" : Number(lead);
	for (const name of Object.keys(body)) {
		if (body[name] === "") {
			delete body[name];
		}
	}
	return body;
}

function decisionNotice(quote) {
	if (quote.status === "awarded") {
		return el("div", { class: "alert alert-info", role: "status" },
			el("p", null, el("strong", null, "Your quote was awarded."),
				" The buyer will contact you about the order."));
	}
	if (quote.status === "rejected") {
		return el("p", { class: "alert" }, "The buyer chose another quote or cancelled the request.");
	}
	if (quote.status === "needs_reconfirmation") {
		return el("p", { class: "alert alert-error" }, "The buyer changed the terms. ",
			"Confirm your quote, or revise it, before the deadline.");
	}
	return null;
}

function revisionTable(quote) {
	return table({ caption: "Revisions, oldest first",
		headers: ["Revision", "Unit price", "Lead time", "Valid until", "Notes", "Created"],
		rows: (quote.revisions || []).map((revision) => [String(revision.revision),
			formatMoney(revision.unit_price, revision.currency), revision.lead_time_days + " days",
			formatDate(revision.valid_until), revision.notes || "", formatTime(revision.created_at)]),
		empty: "No revision." });
}

// The time of the quote's newest event: its current revision
// ("updated_at"), its withdrawal or the buyer's decision.  The API writes
// every time as RFC 3339 in UTC with the same layout, so the strings sort
// as the times do.
function lastChange(quote) {
	return [quote.updated_at, quote.withdrawn_at, quote.decided_at]
		.filter(Boolean).sort().pop();
}

function ownQuote(ctx, rfq, quote) {
	const section = el("section", { class: "card", "aria-labelledby": "own-quote-title" },
		el("h2", { id: "own-quote-title" }, "Your quote"),
		decisionNotice(quote),
		el("p", null, statusBadge(QUOTE_STATUS, quote.status)),
		facts([
			["Unit price", formatMoney(quote.unit_price, quote.currency)],
			["Lead time", quote.lead_time_days + " days"],
			["Valid until", formatDate(quote.valid_until)],
			["Notes", quote.notes],
			["Revision", String(quote.revision)],
			["First submitted", formatTime(quote.submitted_at)],
			["Last change", formatTime(lastChange(quote))],
		]));

	if (!quote.locked) {
		const revise = form({ label: quote.status === "needs_reconfirmation" ?
			"Confirm or revise the quote" : "Submit a revision",
		children: quoteFields(rfq, quote),
		extraActions: actionButton("Withdraw the quote",
			{ container: ctx.main, className: "button button-danger" }, () => withdraw(quote)) },
		async (formNode) => {
			await api.patch("/api/v1/quotes/" + quote.id, readQuote(formNode));
			navigate("/rfqs/" + rfq.id + "?notice=revised", { replace: true });
		});
		section.append(el("h3", null, "Change your quote"), revise);
	}
	section.append(el("h3", null, "History"), revisionTable(quote));
	return section;
}

async function withdraw(quote) {
	if (!confirmed("Withdraw your quote? Your organization cannot quote on this request again.")) {
		return;
	}
	await api.post("/api/v1/quotes/" + quote.id + "/withdraw");
	navigate("/rfqs/" + quote.rfq_id + "?notice=withdrawn", { replace: true });
}

// The supplier's quote on rfq: the form to submit one while the RFQ is
// open, else the quote itself.
export async function supplierQuoteSection(ctx, rfq) {
	const answer = await api.get("/api/v1/rfqs/" + rfq.id + "/quotes");
	const quote = answer.items[0];
	if (quote) {
		ctx.main.append(ownQuote(ctx, rfq, await api.get("/api/v1/quotes/" + quote.id)));
		return;
	}
	if (rfq.status !== "published") {
		ctx.main.append(el("p", { class: "muted" }, "Your organization sent no quote. ",
			"The request no longer takes quotes."));
		return;
	}
	const submit = form({ label: "Submit the quote", children: quoteFields(rfq, null) },
		async (formNode) => {
			await api.post("/api/v1/rfqs/" + rfq.id + "/quotes", readQuote(formNode));
			navigate("/rfqs/" + rfq.id + "?notice=quoted", { replace: true });
		});
	ctx.main.append(el("section", { class: "card", "aria-labelledby": "new-quote-title" },
		el("h2", { id: "new-quote-title" }, "Submit a quote"),
		el("p", { class: "muted" }, "You can revise or withdraw it until the deadline, ",
			formatTime(rfq.quote_deadline), "."),
		submit));
}
