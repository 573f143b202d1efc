// pages/supplier-edit.js - edit the supplier profile of the caller's own
// organization, with certificate files uploaded as documents (purpose
// "certificate") before the profile is saved.

import { api, ApiError } from "../api.js";
import { el } from "../dom.js";
import { field, form, value } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";
import { categories, categoryChoices } from "../sourcing.js";

const FILE_TYPES = ["application/pdf", "image/png", "image/jpeg"];

const IDENTIFIER_SCHEMES = [
	{ value: "VAT", label: "VAT number" },
	{ value: "EORI", label: "EORI number" },
	{ value: "DUNS", label: "D-U-N-S number" },
	{ value: "LEI", label: "LEI" },
	{ value: "company_register", label: "Company register number" },
];

const PERIODS = [
	{ value: "month", label: "per month" },
	{ value: "week", label: "per week" },
	{ value: "year", label: "per year" },
];

// A repeatable group of fields ("capacities", "identifiers",
// "certifications").  Inputs are named like "capacities[2].unit", because
// the server names its field problems that way.  Rows are renumbered
// before each save, so the names follow the order on the page.
function repeater({ prefix, legend, addLabel, build, items }) {
	const rows = el("div", { class: "repeat-rows" });
	const addRow = (item) => {
		const row = el("fieldset", { class: "repeat-row" },
			el("legend", null, legend),
			build(item || {}).map((spec) => fieldFor(prefix, spec)),
			el("button", { type: "button", class: "button button-danger",
				on: { click: () => row.remove() } }, "Remove"));
		row.dataset.prefix = prefix;
		rows.append(row);
		return row;
	};
	for (const item of items) {
		addRow(item);
	}
	renumber(rows);
	const add = el("button", { type: "button", class: "button", on: { click: () => {
		const row = addRow(null);
		renumber(rows);
		row.querySelector("input, select").focus();
	} } }, addLabel);
	return el("div", { class: "repeater", "data-repeater": prefix }, rows, add);
}

function fieldFor(prefix, spec) {
	const name = prefix + "[0]." + spec.key;
	const node = spec.type === "hidden" ?
		el("div", { hidden: true }, el("input", { type: "hidden", name, value: spec.value })) :
		field({ ...spec, name });
	node.dataset.key = spec.key;
	return node;
}

function renumber(rows) {
	[...rows.children].forEach((row, index) => {
		for (const wrapper of row.querySelectorAll("[data-key]")) {
			const name = `${row.dataset.prefix}[${index}].${wrapper.dataset.key}`;
			for (const node of wrapper.querySelectorAll("[name]")) {
				node.name = name;
			}
			for (const slot of wrapper.querySelectorAll("[data-error-for]")) {
				slot.dataset.errorFor = name;
			}
		}
	});
}

function rowsOf(formNode, prefix) {
	const rows = formNode.querySelector(`[data-repeater="${prefix}"] .repeat-rows`);
	renumber(rows);
	return [...rows.children];
}

function rowValue(row, key) {
	const node = row.querySelector(`[data-key="${key}"] [name]`);
	return node.type === "file" ? node.files[0] || null : node.value.trim();
}

function capacityFields(list) {
	return (item) => [
		{ key: "category", label: "Category", type: "select", value: item.category || "",
			choices: categoryChoices(list), required: true },
		{ key: "quantity", label: "Quantity", type: "number", value: item.quantity,
			required: true, attrs: { min: "0", step: "any" } },
		{ key: "unit", label: "Unit", value: item.unit, required: true, attrs: { maxlength: "20" } },
		{ key: "per", label: "Period", type: "select", value: item.per || "month", choices: PERIODS },
	];
}

function identifierFields(item) {
	return [
		{ key: "scheme", label: "Scheme", type: "select", value: item.scheme || "VAT",
			choices: IDENTIFIER_SCHEMES },
		{ key: "id", label: "Identifier", value: item.id, required: true,
			hint: "Without spaces, such as DE123456789." },
	];
}

function certificationFields(item) {
	return [
		{ key: "id", type: "hidden", value: item.id || "" },
		{ key: "document_id", type: "hidden", value: item.document_id || "" },
		{ key: "scheme", label: "Scheme", value: item.scheme, required: true,
			hint: "Such as ISO 9001:2015." },
		{ key: "certificate_no", label: "Certificate number", value: item.certificate_no, required: true },
		{ key: "issuer", label: "Issuer", value: item.issuer, required: true },
		{ key: "valid_from", label: "Valid from", type: "date", value: item.valid_from, required: true },
		{ key: "valid_until", label: "Valid until", type: "date", value: item.valid_until, required: true },
		{ key: "file", label: item.document_id ? "Replace the certificate file" : "Certificate file",
			type: "file", attrs: { accept: FILE_TYPES.join(",") },
			hint: (item.document_id ? "A file is stored. " : "") + "PDF, PNG or JPEG, up to 10 MiB." },
	];
}

// Upload file as a certificate document of the organization and return
// its id.  A rejected file is reported on the file field of row index.
async function uploadCertificate(organizationId, file, index) {
	try {
		const documentInfo = await api.post("/api/v1/documents", { purpose: "certificate",
			owner_id: organizationId, filename: file.name, content_type: file.type });
		await api.put("/api/v1/documents/" + documentInfo.id + "/content", file,
			{ contentType: file.type });
		return documentInfo.id;
	} catch (error) {
		if (error.name !== "ApiError") {
			throw error;
		}
		throw new ApiError({ status: error.status, code: error.code, message: error.message,
			requestId: error.requestId,
			fields: { [`certifications[${index}].file`]: "was not stored: " + error.message } });
	}
}

function fileProblem(file, index) {
	if (!FILE_TYPES.includes(file.type)) {
		return new ApiError({ status: 415, code: "unsupported_media_type",
			message: "The file type is not accepted.",
			fields: { [`certifications[${index}].file`]: "must be a PDF, PNG or JPEG file" } });
	}
	return null;
}

// Read the form into a profile body.  Returns {body, uploads}: uploads
// lists the certificate files still to store, as {index, row, file}.
function readProfile(formNode) {
	const body = {
		description: value(formNode, "description"),
		website: value(formNode, "website") || null,
		categories: [...formNode.querySelectorAll('[name="categories"]:checked')].map((box) => box.value),
		regions: value(formNode, "regions").split(/[\s,]+/).filter(Boolean)
			.map((code) => code.toUpperCase()),
	};
	body.capacities = rowsOf(formNode, "capacities").map((row) => ({
		category: rowValue(row, "category"), quantity: Number(rowValue(row, "quantity")),
		unit: rowValue(row, "unit"), per: rowValue(row, "per") }));
	body.identifiers = rowsOf(formNode, "identifiers").map((row) => ({
		scheme: rowValue(row, "scheme"), id: rowValue(row, "id") }));

	const uploads = [];
	body.certifications = rowsOf(formNode, "certifications").map((row, index) => {
		const entry = {};
		for (const key of ["id", "scheme", "certificate_no", "issuer", "valid_from", "valid_until",
			"document_id"]) {
			const text = rowValue(row, key);
			if (text !== "") {
				entry[key] = text;
			}
		}
		const file = rowValue(row, "file");
		if (file) {
			const problem = fileProblem(file, index);
			if (problem) {
				throw problem;
			}
			uploads.push({ index, row, file });
		}
		return entry;
	});
	return { body, uploads };
}

// Store the files of uploads and put their document ids into body.
async function storeUploads(organizationId, body, uploads) {
	for (const { index, row, file } of uploads) {
		const id = await uploadCertificate(organizationId, file, index);
		body.certifications[index].document_id = id;
		row.querySelector('[data-key="document_id"] [name]').value = id;
		row.querySelector('[data-key="file"] [name]').value = "";
	}
}

function categoryBoxes(list, chosen) {
	const selected = new Set(chosen.map((category) => category.code));
	return el("fieldset", { class: "checkbox-grid" },
		el("legend", null, "Categories"),
		el("p", { class: "hint" }, "Up to 20. Buyers filter the directory by these."),
		list.map((category) => {
			const id = "category-" + category.code;
			return el("div", { class: "field-checkbox" },
				el("input", { type: "checkbox", id, name: "categories", value: category.code,
					checked: selected.has(category.code) }),
				el("label", { for: id }, category.name));
		}),
		el("p", { class: "field-error", "data-error-for": "categories", hidden: true }));
}

definePage({
	path: "/suppliers/:id/edit",
	title: "Edit supplier profile",
	access: ["supplier"],
	async render(ctx) {
		const organization = ctx.user.organization;
		if (!organization || organization.id !== ctx.params.id ||
		    !["owner", "admin"].includes(organization.role)) {
			pageHeading(ctx.main, "Edit supplier profile");
			ctx.main.append(el("p", null, "Only an owner or admin of this supplier can edit its profile."));
			return;
		}
		const [list, profile] = await Promise.all([categories(),
			api.get("/api/v1/suppliers/" + encodeURIComponent(ctx.params.id))]);
		pageHeading(ctx.main, "Edit supplier profile", profile.name);

		const node = form({ label: "Save the profile", children: [
			field({ name: "description", label: "Description", type: "textarea", rows: 10,
				value: profile.description_md,
				hint: "Markdown: *emphasis*, lists with *, links. Up to 20000 characters." }),
			field({ name: "website", label: "Website", type: "url", value: profile.website,
				hint: "An https address." }),
			categoryBoxes(list, profile.categories),
			field({ name: "regions", label: "Delivery regions", value: profile.regions.join(", "),
				hint: "ISO 3166-1 country codes separated by commas, such as DE, AT, PL." }),
			el("h2", null, "Capacities"),
			repeater({ prefix: "capacities", legend: "Capacity", addLabel: "Add a capacity",
				build: capacityFields(list), items: profile.capacities }),
			el("h2", null, "Identifiers"),
			repeater({ prefix: "identifiers", legend: "Identifier", addLabel: "Add an identifier",
				build: identifierFields, items: profile.identifiers }),
			el("h2", null, "Certifications"),
			el("p", { class: "hint" }, "A changed certification shows as claimed until an operator verifies it again."),
			repeater({ prefix: "certifications", legend: "Certification", addLabel: "Add a certification",
				build: certificationFields, items: profile.certifications }),
		], extraActions: el("a", { class: "button", href: "/suppliers/" + profile.id }, "Cancel") },
		async (formNode) => {
			const { body, uploads } = readProfile(formNode);
			const path = "/api/v1/suppliers/" + profile.id + "/profile";
			// A certificate document needs a saved profile as its owner.  A
			// new supplier therefore saves the profile without the
			// certifications first, which leaves the stored ones as they are.
			if (uploads.length > 0 && !profile.updated_at) {
				const { certifications, ...rest } = body;
				profile.updated_at = (await api.put(path, rest)).updated_at;
			}
			await storeUploads(profile.id, body, uploads);
			await api.put(path, body);
			navigate("/suppliers/" + profile.id);
		});
		ctx.main.append(el("div", { class: "card" }, node));
	},
});
