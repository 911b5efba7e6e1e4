/* Copy buttons: <button data-copy="text to copy" hidden> or data-copy-from="id of an input".
   The buttons start hidden and are shown here, so without JavaScript nothing is offered
   that cannot work; the address stays on the page to select by hand. A status beside the
   button (data-copy-status="id", aria-live="polite") says that it worked, in words. */
(function () {
  "use strict";

  function textOf(button) {
    var from = button.getAttribute("data-copy-from");
    if (from) {
      var field = document.getElementById(from);
      return field ? field.value : "";
    }
    return button.getAttribute("data-copy") || "";
  }

  function say(button, message) {
    var status = document.getElementById(button.getAttribute("data-copy-status") || "");
    if (status) {
      status.textContent = "";
      // A change after the clearing is announced again, even with the same words.
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    document.body.removeChild(area);
    return done;
  }

  function copy(button) {
    var text = textOf(button);
    var copied = button.getAttribute("data-copied") || "Link copied.";
    var failed = "Copying didn’t work here: select the address and copy it.";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(button, copied); },
        function () { say(button, fallback(text) ? copied : failed); }
      );
    } else {
      say(button, fallback(text) ? copied : failed);
    }
  }

  function start() {
    var buttons = document.querySelectorAll("[data-copy], [data-copy-from]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
