/*
 * Comment threads, progressively enhanced. Without this script every link
 * still works: Reply opens ?replyto=<id>#respond, where the page renders the
 * form with its parent set.
 *
 * With it, Reply moves the comment form under the comment being answered,
 * sets the form's hidden parent field and says "Replying to …"; Cancel reply
 * moves the form back. Forms marked data-confirm ask before they are sent.
 *
 * On load, the comment form's errors (a refused or invalid comment) or the
 * message beside a comment (posted, held, updated, removed) take the focus.
 */
(function () {
  "use strict";

  var respond = document.getElementById("respond");
  var home = document.getElementById("respond-home");
  var form = document.getElementById("comment-form");
  var context = document.getElementById("reply-context");
  var contextText = document.getElementById("reply-context-text");
  var cancel = document.getElementById("cancel-reply");

  function focusBody() {
    var body = form.querySelector("textarea");
    if (body) {
      body.focus({ preventScroll: true });
    }
  }

  function replyTo(commentId, name, focus) {
    var comment = document.getElementById("comment-" + commentId);
    if (!comment) {
      return false;
    }
    // Under the comment's own text, before its replies.
    var card = comment.querySelector(".comment-card");
    comment.insertBefore(respond, card ? card.nextSibling : comment.firstChild);
    form.elements.parent.value = commentId;
    contextText.textContent = context.getAttribute("data-label").replace("{name}", function () {
      return name; // a function, so that "$&" in a name is not a replacement pattern
    });
    context.hidden = false;
    respond.classList.add("is-replying");
    if (focus) {
      respond.scrollIntoView({ block: "nearest" });
      focusBody();
    }
    return true;
  }

  function cancelReply() {
    home.parentNode.insertBefore(respond, home.nextSibling);
    form.elements.parent.value = "";
    contextText.textContent = "";
    context.hidden = true;
    respond.classList.remove("is-replying");
    focusBody();
  }

  if (respond && home && form && context && contextText && cancel && form.elements.parent) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest("a.comment-reply-link");
      if (!link) {
        return;
      }
      if (replyTo(link.getAttribute("data-comment-id"), link.getAttribute("data-author-name"), true)) {
        event.preventDefault();
      }
    });
    cancel.addEventListener("click", function (event) {
      event.preventDefault();
      cancelReply();
    });
    // A page opened with ?replyto= (or shown again after an error in a reply):
    // put the form under the comment it answers.
    var parentId = form.elements.parent.value;
    var target = parentId && document.getElementById("comment-" + parentId);
    if (target) {
      var replyLink = target.querySelector(":scope > .comment-card a.comment-reply-link");
      if (replyLink) {
        replyTo(parentId, replyLink.getAttribute("data-author-name"), false);
      }
    }
  }

  // A comment refused or invalid comes back with the page at the form (its action ends in
  // #respond): focus the errors (or the first field in error), so they are seen and read out.
  // A message about a comment (published, held, updated) is shown beside it: focus it too.
  // The browser focuses the address's #fragment, or clears the focus, once the page is parsed,
  // after this deferred script: the focus moves on the first frame after DOMContentLoaded.
  var firstError = document.getElementById("comment-form-errors") ||
    (form && form.querySelector("[aria-invalid=true], .is-invalid"));
  var focusTarget = firstError || document.querySelector(".comment-notice");
  if (focusTarget) {
    document.addEventListener("DOMContentLoaded", function () {
      requestAnimationFrame(function () {
        focusTarget.focus();
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
