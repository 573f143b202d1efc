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
