// pages/rfq-form.js - create a request for quotation, and edit a draft or
// amend a published one.  Edits send the RFQ's ETag in If-Match, so a
// change made meanwhile in another window is refused instead of lost.

import { api } from "../api.js";
import { el } from "../dom.js";
import { field, form, input, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";
import { categories, categoryChoices, fromLocalInput, toLocalInput } from "../sourcing.js";

// The fields a published RFQ still takes (an amendment); the API rejects
// any other.
const AMENDABLE = new Set(["description", "quantity", "unit", "currency", "need_by",
	"quote_deadline"]);

const FIELD_NAMES = ["title", "description", "category", "quantity", "unit", "currency",
	"delivery_country", "need_by", "quote_deadline", "visibility", "nda_required", "sealed"];

function rfqFields(list, rfq) {
	const current = rfq || {};
	return [
		field({ name: "title", label: "Title", required: true, value: current.title,
			attrs: { maxlength: "200" } }),
		field({ name: "description", label: "Description", type: "textarea", rows: 8,
			value: current.description,
			hint: "What you need: material, tolerances, packaging, documents. Plain text or Markdown." }),
		field({ name: "category", label: "Category", type: "select", value: current.category || "",
			choices: categoryChoices(list), hint: "Needed to publish." }),
		el("div", { class: "field-row" },
			field({ name: "quantity", label: "Quantity", type: "number", value: current.quantity,
				attrs: { min: "0", step: "any", inputmode: "decimal" }, hint: "Needed to publish." }),
			field({ name: "unit", label: "Unit", value: current.unit,
				attrs: { maxlength: "20" }, hint: "Such as pcs, kg or boxes." })),
		el("div", { class: "field-row" },
			field({ name: "currency", label: "Currency", value: current.currency || "EUR",
				attrs: { maxlength: "3", pattern: "[A-Z]{3}" }, hint: "ISO 4217 code, such as EUR." }),
			field({ name: "delivery_country", label: "Delivery country",
				value: current.delivery_country, attrs: { maxlength: "2", pattern: "[A-Z]{2}" },
				hint: "ISO 3166-1 code, such as DE." })),
		el("div", { class: "field-row" },
			field({ name: "quote_deadline", label: "Quote deadline", type: "datetime-local",
				value: toLocalInput(current.quote_deadline),
				hint: "In your time zone. Quotes are accepted until then." }),
			field({ name: "need_by", label: "Needed by", type: "date", value: current.need_by,
				hint: "A day after the quote deadline." })),
		field({ name: "visibility", label: "Who may quote", type: "select",
			value: current.visibility || "public", choices: [
				{ value: "public", label: "Every supplier (public)" },
				{ value: "invited", label: "Only invited suppliers" }] }),
		field({ name: "nda_required", label: "Suppliers must accept the non-disclosure agreement first",
			type: "checkbox", value: current.nda_required }),
		field({ name: "sealed", label: "Sealed bidding: keep quotes closed until the deadline",
			type: "checkbox", value: current.sealed }),
	];
}

// Read the form into an RFQ body.  Empty optional fields are left out
// when creating and sent as null (cleared) when editing a draft.
function readRfq(formNode, { names, clearEmpty }) {
	const body = {};
	for (const name of names) {
		const raw = value(formNode, name);
		if (typeof raw === "boolean") {
			body[name] = raw;
		} else if (raw === "") {
			if (clearEmpty && name !== "title") {
				body[name] = null;
			}
		} else if (name === "quantity") {
			body[name] = Number(raw);
		} else if (name === "quote_deadline") {
			body[name] = fromLocalInput(raw);
		} else if (name === "currency" || name === "delivery_country") {
			body[name] = raw.toUpperCase();
		} else {
			body[name] = raw;
		}
	}
	return body;
}

function sameValue(name, a, b) {
	if (name === "quote_deadline") {
		return new Date(a).getTime() === new Date(b).getTime();
	}
	if (name === "quantity") {
		return Number(a) === Number(b);
	}
	return a === b;
}

// Keep only the fields that differ from the stored RFQ, so that the audit
// row names only real changes and an untouched term asks no supplier to
// reconfirm.
function dropUnchanged(body, rfq) {
	for (const name of Object.keys(body)) {
		if (sameValue(name, body[name], rfq[name])) {
			delete body[name];
		}
	}
}

definePage({
	path: "/rfqs/new",
	title: "New request for quotation",
	access: ["buyer"],
	async render(ctx) {
		pageHeading(ctx.main, "New request for quotation",
			"Save a draft first. You can invite suppliers and publish it from its page.");
		const list = await categories();
		const node = form({ label: "Save draft", children: rfqFields(list, null),
			extraActions: el("a", { class: "button", href: "/dashboard" }, "Cancel") },
		async (formNode) => {
			const body = readRfq(formNode, { names: FIELD_NAMES, clearEmpty: false });
			const rfq = await api.post("/api/v1/rfqs", body);
			navigate("/rfqs/" + rfq.id + "?notice=created");
		});
		ctx.main.append(el("div", { class: "card" }, node));
	},
});

definePage({
	path: "/rfqs/:id/edit",
	title: "Edit request for quotation",
	access: ["buyer"],
	async render(ctx) {
		const path = "/api/v1/rfqs/" + encodeURIComponent(ctx.params.id);
		const response = await api.get(path, { response: true });
		const etag = response.headers.get("ETag");
		const rfq = await response.json();
		const amending = rfq.status === "published";

		pageHeading(ctx.main, amending ? "Amend the request for quotation" : "Edit the draft",
			amending ? "A published request takes changes of the description, quantity, unit, " +
				"currency, dates only. Changing the terms asks every supplier to reconfirm its quote." :
				"A draft takes any change.");
		if (rfq.status !== "draft" && !amending) {
			ctx.main.append(el("p", null, "This request can no longer be changed. ",
				el("a", { href: "/rfqs/" + rfq.id }, "Back to the request"), "."));
			return;
		}

		const list = await categories();
		const names = amending ? FIELD_NAMES.filter((name) => AMENDABLE.has(name)) : FIELD_NAMES;
		const node = form({ label: amending ? "Save the amendment" : "Save changes",
			children: rfqFields(list, rfq),
			extraActions: el("a", { class: "button", href: "/rfqs/" + rfq.id }, "Cancel") },
		async (formNode) => {
			const body = readRfq(formNode, { names, clearEmpty: !amending });
			if (amending) {
				dropUnchanged(body, rfq);
			}
			await api.patch(path, body, { headers: { "If-Match": etag } });
			navigate("/rfqs/" + rfq.id + "?notice=saved");
		});
		if (amending) {
			for (const name of FIELD_NAMES.filter((item) => !AMENDABLE.has(item))) {
				input(node, name).disabled = true;
			}
		}
		ctx.main.append(el("div", { class: "card" }, node));
	},
});
