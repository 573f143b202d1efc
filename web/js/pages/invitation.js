// pages/invitation.js - the link of an organization invitation mail
// (/invitations/accept#token=TOKEN): a signed-in user joins the inviting
// organization; a visitor signs in first or registers with the invitation.

import { api } from "../api.js";
import { el } from "../dom.js";
import { showPageError, showPageNotice } from "../errors.js";
import { pageHeading } from "../layout.js";
import { definePage } from "../router.js";
import { loadUser } from "../session.js";

definePage({
	path: "/invitations/accept",
	title: "Join an organization",
	access: "public",
	async render(ctx) {
		pageHeading(ctx.main, "Join an organization");
		const token = ctx.hash.get("token");
		if (!token) {
			showPageError(ctx.main, { code: "validation_failed",
				message: "This page needs the link from your invitation mail." });
			return;
		}
		if (!ctx.user) {
			const back = "/invitations/accept#token=" + encodeURIComponent(token);
			ctx.main.append(
				el("p", null, "Sign in with the invited e-mail address to join, or create an account with it."),
				el("div", { class: "actions" },
					el("a", { class: "button button-primary",
						href: "/login?next=" + encodeURIComponent(back) }, "Sign in"),
					el("a", { class: "button",
						href: "/register#invitation_token=" + encodeURIComponent(token) }, "Create an account")));
			return;
		}
		const answer = await api.post("/api/v1/invitations/accept", { token });
		await loadUser();
		showPageNotice(ctx.main, "You joined the organization as " + answer.role + ".");
		ctx.main.append(el("p", null, el("a", { href: "/dashboard" }, "Go to your dashboard")));
	},
});
