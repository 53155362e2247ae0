// Shows, as the value, category and light-touch answers change, which procurement route the
// request will take. The server alone knows the thresholds: this only asks it and shows the
// answer. Without JavaScript the same words appear on the "check your answers" page.

const form = document.querySelector("form[data-route-hint]");
const output = form && form.querySelector("[data-route-hint-output]");
const WAIT_MS = 300;

function show(advice) {
  output.replaceChildren();
  if (!advice || !advice.route) {
    return;
  }
  const box = document.createElement("div");
  box.className = "govuk-inset-text govuk-!-margin-top-0";
  const label = document.createElement("p");
  label.className = "govuk-body govuk-!-font-weight-bold";
  label.textContent = `Route: ${advice.label}`;
  const band = document.createElement("p");
  band.className = "govuk-body";
  band.textContent = `For whole-life values ${advice.band}, including VAT.`;
  const meaning = document.createElement("p");
  meaning.className = "govuk-body govuk-!-margin-bottom-0";
  meaning.textContent = advice.meaning;
  box.append(label, band, meaning);
  output.append(box);
}

if (form && output) {
  let timer = 0;
  let pending = null;
  let asked = "";

  const ask = async () => {
    const data = new FormData(form);
    const query = new URLSearchParams({
      value: String(data.get("estimated_value_pence") || ""),
      category: String(data.get("category") || ""),
      light_touch: data.get("light_touch") === "yes" ? "yes" : "",
    }).toString();
    if (query === asked) {
      return;
    }
    asked = query;
    pending?.abort();
    pending = new AbortController();
    try {
      const answer = await fetch(`/app/requests/route?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      });
      show(answer.ok ? await answer.json() : null);
    } catch (error) {
      if (error.name !== "AbortError") {
        show(null);
      }
    }
  };

  const soon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, WAIT_MS);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  ask();
}
