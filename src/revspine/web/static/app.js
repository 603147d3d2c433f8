// revspine: the little JavaScript the pages use. No framework, nothing loaded from elsewhere.
"use strict";

function numberRows(group) {
  group.querySelectorAll(":scope > [data-rows] > [data-row]").forEach((row, i) => {
    const no = row.querySelector(":scope > .rowhead [data-rowno]");
    if (no) no.textContent = String(i + 1);
  });
}

function nextIndex(group) {
  // Indices already used in this group's field names (rows removed keep their numbers free).
  const ph = group.dataset.placeholder;
  let max = -1;
  group.querySelectorAll(":scope > [data-rows] > [data-row]").forEach((row) => {
    const named = row.querySelector("[name]");
    if (!named) return;
    const tpl = group.querySelector(":scope > template[data-row-template]");
    const sample = tpl.content.querySelector("[name]").getAttribute("name");
    const before = sample.slice(0, sample.indexOf(ph));
    const name = named.getAttribute("name");
    if (name.startsWith(before)) {
      const n = parseInt(name.slice(before.length), 10);
      if (!Number.isNaN(n)) max = Math.max(max, n);
    }
  });
  return max + 1;
}

document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) {
    const group = add.closest("[data-rowgroup]");
    const tpl = group.querySelector(":scope > template[data-row-template]");
    const html = tpl.innerHTML.replaceAll(group.dataset.placeholder, String(nextIndex(group)));
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const row = holder.firstElementChild;
    group.querySelector(":scope > [data-rows]").appendChild(row);
    numberRows(group);
    row.querySelectorAll("[data-rowgroup]").forEach(numberRows);
    row.querySelector("input, select, textarea")?.focus();
    return;
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    const row = remove.closest("[data-row]");
    const group = row.closest("[data-rowgroup]");
    row.remove();
    numberRows(group);
  }
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-rowgroup]").forEach(numberRows);
  // Compare: use the two ticked assessments when exactly two are ticked.
  const compare = document.querySelector(".compare-form");
  compare?.addEventListener("submit", () => {
    const picked = [...compare.querySelectorAll("input[name=pick]:checked")].map((x) => x.value);
    if (picked.length === 2) { compare.a.value = picked[0]; compare.b.value = picked[1]; }
    compare.querySelectorAll("input[name=pick]").forEach((x) => (x.disabled = true));
  });
});

// Lab rows: the unit select offers the units of the chosen test only (the server checks it too).
function filterUnits(row) {
  const test = row.querySelector("select[name$='.test']");
  const unit = row.querySelector("select[data-lab-unit]");
  if (!test || !unit) return;
  unit.querySelectorAll("optgroup").forEach((g) => {
    const show = !test.value || g.dataset.test === test.value;
    g.hidden = !show;
    g.disabled = !show;
  });
}
document.addEventListener("change", (event) => {
  const row = event.target.closest("[data-row]");
  if (row && event.target.matches("select[name$='.test']")) filterUnits(row);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-row]").forEach(filterUnits);
});

// Assessment and compare pages: the trace (rule ids, inputs, JSON paths) on demand; a link to a folded section opens it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-trace]");
  if (!toggle) return;
  const page = toggle.closest(".rs-assessment, .rs-compare");
  const on = page.classList.toggle("show-trace");
  toggle.setAttribute("aria-pressed", String(on));
  toggle.textContent = on ? "Hide the trace" : "Show the trace";
  if (on) page.querySelectorAll("details.rs-sec").forEach((d) => (d.open = true));
});
function openTarget() {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target) return;
  for (let d = target.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  target.querySelector(":scope > details.rs-sec")?.setAttribute("open", "");
  target.scrollIntoView();
}
window.addEventListener("hashchange", openTarget);
document.addEventListener("DOMContentLoaded", openTarget);

// PDF links: show progress while the server renders, then save the file. Without script the link works as is.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-pdf]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const status = document.querySelector("[data-pdf-status]");
  const started = Date.now();
  link.setAttribute("aria-busy", "true");
  link.classList.add("is-busy");
  const tick = () => { if (status) status.textContent = `Preparing the PDF… ${Math.round((Date.now() - started) / 1000)} s`; };
  tick();
  const timer = setInterval(tick, 500);
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const blob = await response.blob();
    const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const save = document.createElement("a");
    save.href = URL.createObjectURL(blob);
    save.download = match ? match[1] : "revspine.pdf";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(save.href), 60000);
    if (status) status.textContent = `PDF ready (${((Date.now() - started) / 1000).toFixed(1)} s).`;
  } catch (error) {
    if (status) status.textContent = `The PDF could not be made: ${error.message}. Try again.`;
  } finally {
    clearInterval(timer);
    link.removeAttribute("aria-busy");
    link.classList.remove("is-busy");
  }
});

// The handout's print button.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
