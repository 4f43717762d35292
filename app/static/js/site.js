/* Every page: the header's menu on small screens, the error summary's focus, copy buttons.
   Loaded in <head> (no defer) so that the "js" class is set before the page is drawn:
   without JavaScript the menu simply stays open. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUpMenu() {
    const header = document.querySelector("[data-site-header]");
    const toggle = header && header.querySelector(".site-menu-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    header.classList.add("has-menu");
    const setOpen = (open) => {
      toggle.setAttribute("aria-expanded", String(open));
      header.classList.toggle("is-open", open);
    };
    toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const account = header.querySelector("details.account-menu[open]");
      if (account) {
        account.open = false;
        account.querySelector("summary").focus();
      } else if (header.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // GOV.UK's error summary (or a save refused because someone else saved meanwhile):
  // focused on arrival, so it is read out first; its links move the focus into the field
  // and show the field's label above it.
  function setUpErrorSummary() {
    const summary = document.querySelector("[data-error-summary], [data-conflict]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const input = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      const caption = input.closest("fieldset")?.querySelector("legend")
        || document.querySelector(`label[for="${CSS.escape(input.id)}"]`) || input;
      caption.scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // Filter panels that fold on a phone stand open beside the results on a wide screen.
  function openWide() {
    if (!window.matchMedia("(min-width: 60em)").matches) return;
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }

  // The occupation picker's search box: it only hides the occupations that do not match
  // (ticked ones stay), so the checkboxes remain the form's one source of truth.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function setUpOccupationPickers() {
    document.querySelectorAll("[data-occupation-picker]").forEach((picker) => {
      const box = picker.querySelector(".occupation-picker__search");
      const input = box.querySelector("input");
      const status = box.querySelector("[data-occupation-status]");
      box.hidden = false;
      let timer = 0;
      input.addEventListener("input", () => {
        const wanted = fold(input.value.trim());
        let found = 0;
        picker.querySelectorAll(".occupation-picker__group").forEach((group) => {
          let shown = 0;
          group.querySelectorAll(".choice").forEach((choice) => {
            const match = !wanted || choice.querySelector("input").checked
              || fold(choice.textContent).includes(wanted);
            choice.hidden = !match;
            shown += match ? 1 : 0;
          });
          group.hidden = shown === 0;
          found += shown;
        });
        window.clearTimeout(timer);
        timer = window.setTimeout(() => {
          status.textContent = found === 1 ? input.dataset.foundOne
            : input.dataset.foundMany.replace("{n}", String(found));
        }, 400);
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault();  // searching is not sending
      });
    });
  }

  // GOV.UK's character count: a field's limit shown while typing, instead of maxlength,
  // which would cut a pasted text without a word. The server checks the limit anyway.
  function setUpCharacterCounts() {
    const texts = document.body.dataset;
    document.querySelectorAll("[data-maxlength]").forEach((input) => {
      const limit = Number(input.dataset.maxlength);
      const shown = document.createElement("p");
      shown.className = "field__count";
      shown.id = `${input.id}-count`;
      shown.setAttribute("aria-hidden", "true");
      const spoken = document.createElement("p");
      spoken.className = "visually-hidden";
      spoken.setAttribute("aria-live", "polite");
      input.after(shown, spoken);
      let timer = 0;
      const update = (speak) => {
        const left = limit - input.value.length;
        const count = Math.abs(left);
        const words = left >= 0 ? [texts.charsLeftOne, texts.charsLeft]
          : [texts.charsOverOne, texts.charsOver];
        const text = words[count === 1 ? 0 : 1].replace("{n}", String(count));
        shown.textContent = text;
        shown.classList.toggle("field__count--over", left < 0);
        window.clearTimeout(timer);
        if (speak) timer = window.setTimeout(() => { spoken.textContent = text; }, 1000);
      };
      // Only long limits are worth a running count; short fields show it near the end.
      const visible = () => limit >= 120 || input.value.length > limit * 0.8;
      update(false);
      shown.hidden = !visible();
      input.addEventListener("input", () => {
        shown.hidden = !visible();
        update(!shown.hidden);
      });
    });
  }

  // Copy buttons (macros/copy.html): shown only where JavaScript can copy; the page's
  // live region says whether it worked, and the address stays selected if it did not.
  function announceCopy(worked) {
    const status = document.querySelector("[data-copy-status]");
    if (!status) return;
    status.textContent = "";
    const text = worked ? status.dataset.copied : status.dataset.copyFailed;
    window.setTimeout(() => { status.textContent = text; }, 50);
  }
  function copy(button) {
    const input = document.getElementById(button.dataset.copy);
    if (!input) return;
    const fallback = () => {
      input.focus();
      input.select();
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      announceCopy(copied);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(() => announceCopy(true), fallback);
    } else {
      fallback();
    }
  }
  function setUpCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-copy]");
      if (button) copy(button);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpCopyButtons();
    setUpMenu();
    setUpCharacterCounts();
    openWide();
    setUpOccupationPickers();
    setUpErrorSummary();
  });
})();
