// Portal's small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A page showing a secret once (core/shown_once.py): drop the key to it from the address bar, so
  // it is not bookmarked, shared or sent on.
  const address = new URL(window.location.href);
  if (address.searchParams.has("shown")) {
    address.searchParams.delete("shown");
    window.history.replaceState(null, "", address.pathname + address.search + address.hash);
  }

  // Links marked data-dialog open their confirmation page's form in a modal instead of navigating.
  const dialog = document.getElementById("action-dialog");
  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    link.addEventListener("click", async function (event) {
      if (!dialog) return;
      event.preventDefault();
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) { window.location = link.href; return; }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const article = page.querySelector("main article");
      dialog.replaceChildren(document.importNode(article, true));
      dialog.showModal();  // focus moves into it
      dialog.addEventListener("close", function () {  // and back, where the browser left it nowhere
        if (document.activeElement === document.body || document.activeElement === null) link.focus();
      }, { once: true });
    });
  });
  document.addEventListener("click", function (event) {
    const close = event.target.closest("[data-close]");
    if (close && close.closest("dialog")) {
      event.preventDefault();
      close.closest("dialog").close();
    }
  });

  // Buttons marked data-confirm ask first (no inline handlers: the CSP allows no inline script).
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  // Show / hide a secret input.
  document.querySelectorAll("[data-toggle-secret]").forEach(function (button) {
    button.addEventListener("click", function () {
      const input = document.getElementById(button.dataset.toggleSecret);
      const hidden = input.type === "password";
      input.type = hidden ? "text" : "password";
      button.textContent = hidden ? "Hide" : "Show";
    });
  });

  // Copy a secret input's value.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const input = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (error) {
        const type = input.type;
        input.type = "text";
        input.select();
        document.execCommand("copy");
        input.type = type;
      }
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
  });

  // The shown-once dialog is rendered open (for pages without JavaScript); make it modal.
  const fresh = document.getElementById("new-key");
  if (fresh && fresh.open) {
    fresh.close();
    fresh.showModal();
    // Esc would lose the secret for good: ask first.
    fresh.addEventListener("cancel", function (event) {
      if (!window.confirm("Close without it? It cannot be shown again: copy or download it first.")) {
        event.preventDefault();
      }
    });
  }

  // A picker that asks the server who matches as one types (a tenant may have thousands of members).
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    let asked = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(async function () {
        const query = input.value.trim();
        if (query === asked) return;
        asked = query;
        const url = new URL(input.dataset.suggest, window.location.href);
        url.searchParams.set("q", query);
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok || asked !== query) return;  // a newer question is on its way
        const options = (await response.json()).results.map(function (found) {
          const option = document.createElement("option");
          option.value = found.email;
          // Marked in words when the address looks like another here (accounts/addresses.py).
          option.textContent = (found.name || found.email) + (found.lookalike ? " ⚠ looks like another address" : "");
          return option;
        });
        list.replaceChildren(...options);
      }, 150);
    });
  });

  // Workgroup checkboxes only matter when "chosen" is picked.
  const form = document.getElementById("generate-form");
  if (form) {
    const sync = function () {
      const chosen = form.querySelector("input[name=scope][value=chosen]");
      form.querySelectorAll("input[name=workgroups]").forEach(function (box) {
        box.disabled = !(chosen && chosen.checked);
      });
    };
    form.querySelectorAll("input[name=scope]").forEach(function (radio) { radio.addEventListener("change", sync); });
    sync();
  }
})();
