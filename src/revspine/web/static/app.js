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
