// sales: the kanban board — HTML5 drag and drop, the keyboard way to move a card, the move dialog
// (which also asks why a deal was lost), collapsible closed columns.
// A move is a POST (htmx.ajax, the CSRF header comes from <body hx-headers>) to the card's
// data-move URL; the answer holds the refreshed columns as out-of-band swaps and the message.
// Without JS the card's "Move to…" link opens the move page (a plain form). No inline script
// anywhere (strict CSP); the texts come from data-msg-* attributes of #board.
// One move at a time: while one is being saved, new drags and drops are refused. A move counts
// as answered only when the answer carries the board's marker header (X-Partnera-Board): a login
// page reached through a redirect (the session ended) puts the card back and says so.
(function () {
  "use strict";

  var dragged = null;      // the card being dragged with the mouse
  var keyboard = null;     // {card, index} while a card is being moved with the keyboard
  var dialogCard = null;   // the card the move dialog is about
  var moving = null;       // {card, parent, next, id, refocus} of the move in flight (one at most)
  var MARKER = "X-Partnera-Board";

  function boardEl() { return document.getElementById("board"); }
  function msg(name, fallback) {
    var board = boardEl();
    return (board && board.getAttribute("data-msg-" + name)) || fallback;
  }
  function announce(text) {
    var live = document.getElementById("board-live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 40);
  }
  function columns() {
    var board = boardEl();
    return board ? Array.prototype.slice.call(board.querySelectorAll(".board-col")) : [];
  }
  function columnOf(el) { return el && el.closest ? el.closest("#board .board-col") : null; }
  function columnOfStage(stage) { return document.getElementById("col-" + stage); }
  function showStatus(text, isError, link) {
    var status = document.getElementById("board-status");
    if (!status) return;
    status.innerHTML = "";
    var box = document.createElement("div");
    box.className = "message board-message" + (isError ? " message-error" : "");
    box.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
    status.appendChild(box);
  }
  function refuseWhileMoving() {
    var text = msg("busy", "The previous move is still being saved. Try again in a moment.");
    showStatus(text, true);
    announce(text);
  }
  // The board's own answer to a move (any status), as opposed to a page reached some other way.
  function isMoveAnswer(xhr) {
    return !!xhr && xhr.status > 0 && xhr.getResponseHeader(MARKER) === "moved";
  }
  function isLoginPage(xhr) {
    var board = boardEl();
    var login = board && board.getAttribute("data-login-url");
    if (!xhr || !xhr.responseURL || !login) return false;
    try {
      return new URL(xhr.responseURL).pathname === new URL(login, window.location.href).pathname;
    } catch (e) {
      return false;
    }
  }

  // --- one move, whichever way it started ---------------------------------------------------

  // Drop `card` on stage `stage`: a lost stage asks why first (the dialog), others go at once.
  function requestMove(card, stage) {
    if (!card || !stage || stage === card.getAttribute("data-stage")) return;
    var col = columnOfStage(stage);
    if (col && col.getAttribute("data-outcome") === "lost") {
      openDialog(card, stage);
      return;
    }
    send(card, stage, "", "");
  }

  function send(card, stage, reason, comment) {
    if (!window.htmx) {  // no htmx: the move page does it
      window.location.href = card.querySelector("[data-move-link]").href;
      return;
    }
    if (moving) {  // one move at a time: the first one's answer decides where its card goes
      refuseWhileMoving();
      return;
    }
    var board = boardEl();
    moving = {card: card, parent: card.parentNode, next: card.nextSibling, id: card.id,
              refocus: document.activeElement === card || card.contains(document.activeElement) ||
                dialogCard === card};
    // Optimistic: the card goes to its new column at once; the answer refreshes both columns.
    var target = document.getElementById("col-cards-" + stage);
    if (target) target.insertBefore(card, target.querySelector(".deal-card") || target.firstChild);
    card.classList.add("is-saving");
    window.htmx.ajax("POST", card.getAttribute("data-move"), {
      source: card, swap: "none",
      values: {stage: stage, version: card.getAttribute("data-version"),
               from: moving.parent && moving.parent.getAttribute("data-stage") || "",
               query: board ? board.getAttribute("data-query") : "",
               lost_reason: reason, lost_comment: comment}
    });
  }

  function putBack(done) {
    var card = done.card;
    card.classList.remove("is-saving");
    if (done.parent && done.parent.isConnected) done.parent.insertBefore(card, done.next);
  }

  // The element that sent the request (when the swap removed it, htmx fires the event on an
  // ancestor still in the page, with that ancestor as detail.elt).
  function sender(event) {
    var config = event.detail.requestConfig;
    return (config && config.elt) || event.detail.elt;
  }

  // 400 (a stage rule, a missing reason) and 409 (someone moved it meanwhile) answers carry the
  // refreshed columns and the message: let htmx swap them like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = sender(event);
    if (!elt || !elt.closest || !elt.closest("[data-board]")) return;
    if (moving && elt === moving.card && !isMoveAnswer(event.detail.xhr)) {
      event.detail.shouldSwap = false;  // not the board's answer to the move (a login page…)
      return;
    }
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = sender(event);
    if (!moving || elt !== moving.card) return;
    var done = moving;
    moving = null;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var answered = isMoveAnswer(xhr) && (status === 200 || status === 400 || status === 409);
    if (!answered) {
      putBack(done);
      var board = boardEl();
      if (status === 401 || (status === 200 && isLoginPage(xhr))) {
        showStatus(msg("session", "Your session has ended, so the move was not saved. Log in again and repeat it."),
          true, {href: (board && board.getAttribute("data-login-url")) || "/", text: msg("login", "Log in")});
      } else {
        showStatus(status === 403 ? msg("forbidden", "You may not move this deal.")
          : status === 404 ? msg("gone", "This deal is no longer there. Reload the board.")
            : msg("failed", "The move did not go through. Try again."), true);
      }
    }
    if (done.refocus) {
      window.setTimeout(function () {
        var fresh = document.getElementById(done.id);
        if (fresh) fresh.focus();
      }, 60);
    }
  });

  // --- the move dialog ("Move to…", and the lost reason) -----------------------------------

  function dialogParts() {
    var dialog = document.getElementById("move-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return null;
    return {
      dialog: dialog,
      stage: dialog.querySelector("#move-stage"),
      lost: dialog.querySelector("#move-lost-fields"),
      reason: dialog.querySelector("#move-lost-reason"),
      comment: dialog.querySelector("#move-lost-comment")
    };
  }

  function syncLostFields(parts) {
    var option = parts.stage.options[parts.stage.selectedIndex];
    var lost = !!option && option.getAttribute("data-outcome") === "lost";
    parts.lost.hidden = !lost;
    parts.reason.required = lost;
  }

  function openDialog(card, stage) {
    var parts = dialogParts();
    if (!parts) {  // an old browser: the move page asks instead
      window.location.href = card.querySelector("[data-move-link]").href;
      return;
    }
    dialogCard = card;
    parts.dialog.querySelector("#move-deal-name").textContent = card.getAttribute("data-title") || "";
    parts.stage.value = stage || card.getAttribute("data-stage");
    parts.reason.value = "";
    parts.comment.value = "";
    syncLostFields(parts);
    parts.dialog.showModal();
    (parts.lost.hidden ? parts.stage : parts.reason).focus();
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "move-stage") syncLostFields(dialogParts());
  });

  document.addEventListener("submit", function (event) {
    if (!event.target.matches || !event.target.matches("#move-dialog-form")) return;
    event.preventDefault();
    var parts = dialogParts();
    var card = dialogCard;
    var lost = !parts.lost.hidden;
    parts.dialog.close();
    dialogCard = null;
    if (!card) return;
    if (parts.stage.value === card.getAttribute("data-stage")) {
      card.focus();
      return;
    }
    send(card, parts.stage.value, lost ? parts.reason.value : "", lost ? parts.comment.value : "");
  });

  function cancelDialog() {
    var card = dialogCard;
    dialogCard = null;
    if (card) {
      announce(msg("cancelled", "Move cancelled."));
      card.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("#board [data-move-link]");
    if (link && dialogParts()) {
      event.preventDefault();
      openDialog(link.closest(".deal-card"), null);
      return;
    }
    if (event.target.closest("[data-move-cancel]")) {
      var parts = dialogParts();
      if (parts) parts.dialog.close();
      cancelDialog();
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var box = dismiss.closest(".board-message");
      if (box) box.remove();
    }
    var collapse = event.target.closest("[data-collapse]");
    if (collapse) {
      var col = collapse.closest(".board-col");
      if (col) {
        var collapsed = col.classList.toggle("collapsed");
        collapse.setAttribute("aria-expanded", collapsed ? "false" : "true");
      }
    }
  });

  // Escape closes the dialog ("cancel" does not bubble).
  document.addEventListener("cancel", function (event) {
    if (event.target.id === "move-dialog") cancelDialog();
  }, true);

  // --- drag and drop ------------------------------------------------------------------------

  function clearTargets() {
    columns().forEach(function (col) { col.classList.remove("drop-target", "kbd-target"); });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("#board .deal-card.can-move") : null;
    if (!card) return;
    if (moving) {
      event.preventDefault();
      refuseWhileMoving();
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    card.classList.add("dragging");
    boardEl().classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
    var board = boardEl();
    if (board) board.classList.remove("is-dragging");
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var col = columnOf(event.target);
    if (!col) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!col.classList.contains("drop-target")) {
      clearTargets();
      col.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var col = columnOf(event.target);
    if (!col) return;
    event.preventDefault();
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    clearTargets();
    requestMove(card, col.getAttribute("data-stage"));
  });

  // --- the keyboard way ---------------------------------------------------------------------
  // Focus a card, Enter (or Space) picks it up, ← → choose the column, Enter drops, Escape
  // cancels; ↑ ↓ go through a column's cards, ← → to the next column's. Each step is announced.

  function stopKeyboard(text) {
    if (!keyboard) return;
    keyboard.card.classList.remove("kbd-moving");
    keyboard = null;
    clearTargets();
    if (text) announce(text);
  }

  // Typing somewhere else (a filter, the quick-add form…) is never a move: the move keys count
  // only on the picked-up card; when focus leaves it, or a pointer goes down elsewhere, the
  // move is cancelled.
  function isEditable(el) {
    return !!el && !!el.closest && !!el.closest("input, select, textarea, [contenteditable]:not([contenteditable=false])");
  }

  document.addEventListener("focusout", function (event) {
    if (keyboard && event.target === keyboard.card) stopKeyboard(msg("cancelled", "Move cancelled."));
  });

  document.addEventListener("pointerdown", function (event) {
    if (keyboard && !keyboard.card.contains(event.target)) stopKeyboard(msg("cancelled", "Move cancelled."));
  });

  document.addEventListener("keydown", function (event) {
    if (document.querySelector("dialog[open]")) return;
    if (keyboard && event.target !== keyboard.card) {
      stopKeyboard(msg("cancelled", "Move cancelled."));
      return;
    }
    if (isEditable(event.target)) return;
    if (keyboard) {
      var cols = columns();
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        var step = event.key === "ArrowRight" ? 1 : -1;
        keyboard.index = Math.max(0, Math.min(cols.length - 1, keyboard.index + step));
        clearTargets();
        cols[keyboard.index].classList.add("kbd-target");
        cols[keyboard.index].scrollIntoView({block: "nearest", inline: "nearest"});
        announce(msg("target", "Drop into: %s").replace("%s", cols[keyboard.index].getAttribute("data-name") || ""));
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        var card = keyboard.card;
        var stage = cols[keyboard.index].getAttribute("data-stage");
        if (stage === card.getAttribute("data-stage")) {
          stopKeyboard(msg("cancelled", "Move cancelled."));
        } else {
          stopKeyboard("");
          requestMove(card, stage);
        }
      } else if (event.key === "Escape" || event.key === "Tab") {
        if (event.key === "Escape") event.preventDefault();
        stopKeyboard(msg("cancelled", "Move cancelled."));
      }
      return;
    }
    var target = event.target;
    if (!target.matches || !target.matches("#board .deal-card")) return;
    if ((event.key === "Enter" || event.key === " ") && target.classList.contains("can-move")) {
      event.preventDefault();
      if (moving) {
        refuseWhileMoving();
        return;
      }
      var all = columns();
      keyboard = {card: target, index: all.indexOf(columnOf(target))};
      target.classList.add("kbd-moving");
      all[keyboard.index].classList.add("kbd-target");
      announce(msg("picked", "Moving %s. Left and right arrows choose the column, Enter drops it, Escape cancels.")
        .replace("%s", target.getAttribute("data-title") || ""));
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var down = event.key === "ArrowDown";
      var sibling = down ? target.nextElementSibling : target.previousElementSibling;
      while (sibling && !sibling.matches(".deal-card")) {
        sibling = down ? sibling.nextElementSibling : sibling.previousElementSibling;
      }
      if (sibling) sibling.focus();
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      var list = columns();
      var way = event.key === "ArrowRight" ? 1 : -1;
      for (var i = list.indexOf(columnOf(target)) + way; i >= 0 && i < list.length; i += way) {
        var next = list[i].querySelector(".deal-card");
        if (next) { next.focus(); break; }
      }
    }
  });
})();
