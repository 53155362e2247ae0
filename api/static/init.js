// Starts GOV.UK Frontend's components (menus, character counts, error summaries).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();
