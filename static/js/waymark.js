/* Waymark's one script. It keeps keyboard and screen-reader users in place when htmx
   replaces part of a page, and takes them to a form's error summary. Pages work without
   it; the Content-Security-Policy allows no inline script, so it is loaded from here. */
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  var FIELD = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  /* Focus an element, giving one that is not focusable a tabindex of -1 first, so a
     script can focus it while Tab still passes it by. */
  function focusOn(element) {
    if (!element.matches(FOCUSABLE)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  /* Say something through the page's live region (in base.html). It is emptied first,
     so the same words said twice are heard twice. */
  function announce(text) {
    var live = document.getElementById("announcer");
    if (!live || !text) {
      return;
    }
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = text;
    }, 100);
  }

  function messagesIn(region) {
    var texts = [];
    region.querySelectorAll("[role=status], [role=alert]").forEach(function (element) {
      var text = element.textContent.replace(/\s+/g, " ").trim();
      if (text) {
        texts.push(text);
      }
    });
    return texts.join(" ");
  }

  /* A page that comes back with errors starts at its summary. */
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      focusOn(summary);
    }
  }

  /* A summary's link moves focus to its field, not just the view. */
  function followSummaryLink(event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    field.focus();
    var label = document.querySelector("label[for='" + field.id + "']") || field;
    label.scrollIntoView({ block: "center" });
  }

  /* After htmx replaces a region: an error in it takes focus; otherwise, if focus went
     with the element that held it, focus moves to the new region (to the first field of
     a form that was fetched to be filled in), and its messages are announced. */
  var settled = new WeakSet();

  function afterSettle(event) {
    var detail = event.detail;
    if (!detail || !detail.xhr || settled.has(detail.xhr)) {
      return;
    }
    settled.add(detail.xhr);
    var target = detail.target;
    var region = target && target.isConnected ? target : target && target.id && document.getElementById(target.id);
    region = region || event.target;
    if (!(region instanceof Element) || !region.isConnected) {
      return;
    }
    var summary = region.querySelector("[data-error-summary]");
    var invalid = region.querySelector("[aria-invalid=true]");
    var active = document.activeElement;
    var focusLost = !active || active === document.body || !active.isConnected;
    if (summary || invalid) {
      focusOn(summary || invalid);
    } else if (focusLost) {
      var fetchedForm = detail.requestConfig && detail.requestConfig.verb === "get" && region.querySelector(FIELD);
      focusOn(fetchedForm || region);
    }
    /* A message that took focus itself (autofocus in the new region) is read out as it
       is focused: saying it again through the live region would say it twice. */
    var now = document.activeElement;
    if (!(now && now !== region && region.contains(now) && now.matches("[role=status], [role=alert]"))) {
      announce(messagesIn(region));
    }
  }

  document.addEventListener("DOMContentLoaded", focusErrorSummary);
  document.addEventListener("click", followSummaryLink);
  document.addEventListener("htmx:afterSettle", afterSettle);
})();
