// pages/index.js - the list of page modules.  Each module registers its
// pages with definePage() when imported, so adding a page is one module
// and one line here.  The first matching path wins.

import "./landing.js";
import "./legal.js";
import "./forbidden.js";
import "./login.js";
import "./register.js";
import "./password.js";
import "./accept-terms.js";
import "./invitation.js";
import "./security.js";
import "./privacy.js";
import "./dashboard.js";
import "./rfqs.js";
import "./rfq-form.js";
import "./messages.js";
import "./rfq-detail.js";
import "./suppliers.js";
import "./supplier-edit.js";
import "./admin-users.js";
import "./admin-access-review.js";
import "./admin-audit.js";
import "./admin-incidents.js";
