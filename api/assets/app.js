// perfledger dashboards: the theme (set before first paint: this file is
// loaded in <head>), and in-place swaps of the server-rendered fragments on
// sort, paging and filter (fetch + replace + history.pushState). Every page
// works without it: links and forms are plain.
(function () {
  "use strict";
  var KEY = "perfledger-theme";
  var root = document.documentElement;
  root.classList.add("js");

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function preferred() {
    var s = stored();
    if (s === "light" || s === "dark") { return s; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  root.setAttribute("data-theme", preferred());

  function setupTheme() {
    var button = document.querySelector("[data-testid=theme-toggle]");
    if (!button) { return; }
    function label() {
      var dark = root.getAttribute("data-theme") === "dark";
      button.textContent = dark ? "Light theme" : "Dark theme";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
    }
    button.hidden = false;
    label();
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: not remembered */ }
      label();
    });
  }

  // The custom from/to fields show only with "Custom range".
  function setupPeriod(scope) {
    var selects = scope.querySelectorAll("[data-period-select]");
    Array.prototype.forEach.call(selects, function (select) {
      var form = select.form;
      function sync() {
        var custom = select.value === "custom";
        Array.prototype.forEach.call(form.querySelectorAll("[data-custom-range]"), function (field) {
          field.hidden = !custom;
        });
      }
      select.addEventListener("change", sync);
      sync();
    });
  }

  // Fetches a fragment and puts it in place of `target`.
  function swap(target, partialUrl, pageUrl, push) {
    var node = document.querySelector(target);
    if (!node) { window.location.href = pageUrl; return; }
    node.setAttribute("aria-busy", "true");
    fetch(partialUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(target) || holder.firstElementChild;
        if (!fresh) { throw new Error("empty fragment"); }
        node.replaceWith(fresh);
        if (push) { history.pushState({ target: target, partial: partialUrl }, "", pageUrl); }
      })
      .catch(function () { window.location.href = pageUrl; });
  }

  function query(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { params.append(key, value); });
    return params.toString();
  }

  function setupSwaps() {
    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
      var link = event.target.closest && event.target.closest("a[data-swap]");
      if (!link) { return; }
      event.preventDefault();
      swap(link.getAttribute("data-swap"), link.getAttribute("data-swap-url"), link.href, true);
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-swap]")) { return; }
      event.preventDefault();
      var qs = query(form);
      swap(form.getAttribute("data-swap"), form.getAttribute("data-swap-url") + "?" + qs, form.action + "?" + qs, true);
    });
    window.addEventListener("popstate", function (event) {
      if (event.state && event.state.target) {
        swap(event.state.target, event.state.partial, window.location.href, false);
      } else {
        window.location.reload();
      }
    });
  }

  // The goal form: the target's unit and the metric's direction follow the chosen metric.
  function setupGoalForm() {
    var select = document.querySelector("[data-goal-metric]");
    if (!select) { return; }
    var unit = select.form.querySelector("[data-goal-unit]");
    var hint = select.form.querySelector("[data-goal-hint]");
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option) { return; }
      if (unit) { unit.textContent = option.getAttribute("data-unit") || ""; }
      if (hint) {
        hint.textContent = option.textContent.split(" — ")[0] + ": " + (option.getAttribute("data-hint") || "") +
          ". The goal is met when the value reaches the target by the deadline.";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTheme();
    setupPeriod(document);
    setupSwaps();
    setupGoalForm();
  });
})();
