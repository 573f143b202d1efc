// pages/rfq-detail.js - one request for quotation: its terms, and below
// them the buyer's tools (publish, invite, cancel, compare and award) or
// the supplier's (NDA gate, quote), and the link to the message threads.

import { api } from "../api.js";
import { el, formatDate, formatTime } from "../dom.js";
import { showPageNotice } from "../errors.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { buyerSections } from "../rfq-buyer.js";
import { ndaGate, supplierQuoteSection } from "../rfq-supplier.js";
import { RFQ_STATUS, categories, categoryName, facts, statusBadge } from "../sourcing.js";

const NOTICES = {
	created: "The draft is saved. Invite suppliers and publish it when it is complete.",
	saved: "The changes are saved.",
	published: "The request is published. Invited suppliers get a mail.",
	invited: "The suppliers are invited.",
	closed: "The request is closed. You can compare the quotes and award one.",
	cancelled: "The request is cancelled.",
	awarded: "The quote is awarded. The suppliers get a mail with the decision.",
	quoted: "Your quote is submitted.",
	revised: "Your quote is updated.",
	withdrawn: "Your quote is withdrawn.",
};

function overview(rfq, list) {
	return el("section", { class: "card", "aria-label": "Terms" },
		el("p", null, statusBadge(RFQ_STATUS, rfq.status)),
		facts([
			["Buyer", rfq.buyer ? rfq.buyer.name : null],
			["Category", rfq.category ? categoryName(list, rfq.category) : null],
			["Quantity", rfq.quantity !== null && rfq.quantity !== undefined ?
				String(rfq.quantity) + (rfq.unit ? " " + rfq.unit : "") : null],
			["Currency", rfq.currency],
			["Delivery country", rfq.delivery_country],
			["Needed by", formatDate(rfq.need_by)],
			["Quote deadline", formatTime(rfq.quote_deadline)],
			["Who may quote", rfq.visibility === "invited" ? "Invited suppliers only" : "Every supplier"],
			["Non-disclosure agreement", rfq.nda_required ?
				"Required" + (rfq.nda_version ? " (version " + rfq.nda_version + ")" : "") : "Not required"],
			["Bidding", rfq.sealed ? "Sealed until the deadline" : "Open"],
			["Published", formatTime(rfq.published_at)],
			["Closed", formatTime(rfq.closed_at)],
			["Awarded", formatTime(rfq.awarded_at)],
			["Cancelled", formatTime(rfq.cancelled_at)],
			["Reason for cancelling", rfq.cancel_reason],
		]),
		el("h2", null, "Description"),
		rfq.description ? el("p", { class: "preformatted" }, rfq.description) :
			el("p", { class: "muted" }, "No description."));
}

definePage({
	path: "/rfqs/:id",
	title: "Request for quotation",
	access: ["buyer", "supplier"],
	async render(ctx) {
		const path = "/api/v1/rfqs/" + encodeURIComponent(ctx.params.id);
		let rfq;
		try {
			rfq = await api.get(path);
		} catch (error) {
			if (error.name !== "ApiError" || error.code !== "nda_required") {
				throw error;
			}
			pageHeading(ctx.main, "Non-disclosure agreement");
			await ndaGate(ctx, error);
			return;
		}

		document.title = rfq.title + " - SSCN";
		pageHeading(ctx.main, rfq.title);
		if (NOTICES[ctx.query.get("notice")]) {
			showPageNotice(ctx.main, NOTICES[ctx.query.get("notice")]);
		}
		ctx.main.append(overview(rfq, await categories()));

		if (ctx.roles.has("buyer")) {
			await buyerSections(ctx, rfq);
		} else {
			await supplierQuoteSection(ctx, rfq);
		}
		if (rfq.status !== "draft") {
			ctx.main.append(el("p", null, el("a", { class: "button", href: "/rfqs/" + rfq.id + "/messages" },
				ctx.roles.has("buyer") ? "Messages with suppliers" : "Messages with the buyer")));
		}
	},
});
