// pages/legal.js - the published legal documents (GET /api/v1/legal/NAME),
// shown as plain text with their version.

import { api } from "../api.js";
import { el, formatDate } from "../dom.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";

export const LEGAL_DOCUMENTS = {
	terms: "Terms of service",
	privacy: "Privacy notice",
	cookies: "Cookie policy",
	nda: "Non-disclosure agreement",
	dpa: "Data processing agreement",
};

definePage({
	path: "/legal/:name",
	title: (ctx) => LEGAL_DOCUMENTS[ctx.params.name] || "Legal document",
	access: "public",
	async render(ctx) {
		const name = ctx.params.name;
		pageHeading(ctx.main, LEGAL_DOCUMENTS[name] || "Legal document");
		const document = await api.get("/api/v1/legal/" + encodeURIComponent(name),
			{ anonymous: true });
		ctx.main.append(
			el("p", { class: "muted" }, "Version ", document.version, ", published ",
				formatDate(document.published_at), "."),
			el("pre", { class: "document" }, document.text));
	},
});

definePage({
	path: "/legal",
	title: "Legal documents",
	access: "public",
	render(ctx) {
		pageHeading(ctx.main, "Legal documents");
		ctx.main.append(el("ul", null, Object.entries(LEGAL_DOCUMENTS).map(([name, label]) =>
			el("li", null, el("a", { href: "/legal/" + name }, label)))));
	},
});
