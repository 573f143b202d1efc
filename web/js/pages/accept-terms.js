// pages/accept-terms.js - the step that a session restricted with
// acceptance_required must pass: accept the current terms and privacy
// notice (POST /api/v1/legal/accept for each), then go on.

import { api } from "../api.js";
import { el } from "../dom.js";
import { form } from "../forms.js";
import { pageHeading } from "../layout.js";
import { definePage, navigate } from "../router.js";
import { loadUser, signOut } from "../session.js";
import { acceptanceField, checkAcceptances, currentVersions } from "./register.js";

definePage({
	path: "/accept-terms",
	title: "Accept the new terms",
	access: "user",
	async render(ctx) {
		pageHeading(ctx.main, "Our terms have changed",
			"To keep using SSCN, accept the current terms of service and privacy notice. ",
			"Until then you can still set your cookie choices, download your data or delete your account.");
		ctx.main.classList.add("narrow");
		const versions = await currentVersions();
		const accept = form({ label: "Accept and continue", children: [
			acceptanceField("terms", "terms", "terms of service", versions.terms),
			acceptanceField("privacy", "privacy", "privacy notice", versions.privacy),
		], extraActions: el("button", { type: "button", class: "button",
			on: { click: () => signOut() } }, "Sign out") }, async (node) => {
			if (!checkAcceptances(node, ["terms", "privacy"])) {
				return;
			}
			for (const name of ["terms", "privacy"]) {
				await api.post("/api/v1/legal/accept", { document: name, version: versions[name] });
			}
			// A session that also needs MFA enrolment is sent on to it by
			// the next request's 403 mfa_enrollment_required.
			await loadUser();
			navigate("/dashboard", { replace: true });
		});
		ctx.main.append(accept,
			el("p", null, el("a", { href: "/account/privacy" }, "Privacy: download my data or delete my account")));
	},
});
