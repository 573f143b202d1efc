// password-meter.js - the password strength meter, fed by POST
// /api/v1/auth/password/check while the user types.  The server applies
// the same policy at registration, reset and change, so the meter shows
// exactly the problems the server would report.

import { api } from "./api.js";
import { el, replace } from "./dom.js";
import { PASSWORD_PROBLEMS } from "./errors.js";

const SCORE_WORDS = ["very weak", "weak", "fair", "good", "strong"];
const CHECK_DELAY_MS = 300;

// Attach a meter below the password input.  context() returns the optional
// {email, full_name} that the rules compare with.  Returns the meter
// element.
export function attachStrengthMeter(passwordInput, context = () => ({})) {
	const meter = el("meter", { min: "0", max: "4", low: "2", high: "3", optimum: "4",
		value: "0", "aria-hidden": "true" });
	const status = el("p", { class: "hint", "aria-live": "polite" },
		"Use at least 8 characters with upper- and lower-case letters and a digit.");
	const node = el("div", { class: "strength" }, meter, status);
	passwordInput.after(node);
	status.id = passwordInput.id + "-strength";
	const describedBy = passwordInput.getAttribute("aria-describedby");
	passwordInput.setAttribute("aria-describedby",
		describedBy ? describedBy + " " + status.id : status.id);

	let timer = null;
	let sequence = 0;
	passwordInput.addEventListener("input", () => {
		clearTimeout(timer);
		timer = setTimeout(async () => {
			const current = ++sequence;
			const password = passwordInput.value;
			if (!password) {
				meter.value = 0;
				replace(status, "");
				return;
			}
			try {
				const extra = Object.fromEntries(Object.entries(context())
					.filter(([, value]) => value));
				const result = await api.post("/api/v1/auth/password/check",
					{ password, ...extra }, { anonymous: true });
				if (current !== sequence) {
					return;
				}
				meter.value = result.score;
				const problems = result.problems.map((code) => PASSWORD_PROBLEMS[code] || code);
				replace(status, "Strength: " + SCORE_WORDS[result.score] + ". ",
					result.acceptable ? "This password is accepted." :
						"The password " + problems.join(", ") + ".");
				node.dataset.acceptable = String(result.acceptable);
			} catch (error) {
				if (current === sequence) {
					replace(status, "The strength check is not available: " +
						(error.message || "request failed") + ".");
				}
			}
		}, CHECK_DELAY_MS);
	});
	return node;
}
