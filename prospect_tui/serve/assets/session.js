// The terminal page: the keyboard goes to the terminal as soon as it shows (keys typed
// right after logging in must not fall on the page body). When the app ends (ctrl+q) or
// the server closes the socket, the session is over: back to the login page. When the
// server closes it because the user opened the session elsewhere (code 4001), the page
// says so and stays: logging out here would end the session just opened there. When it
// ended after --idle-minutes without a key (code 4002), the page says so and offers to
// resume (the login session is still open: reloading starts a new app).
const TAKEN_OVER = 4001;
const IDLE_ENDED = 4002;
let closedBecause = null;

// textual.js opens the socket at window load: watch how it closes.
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("close", (event) => {
      closedBecause = event;
    });
  }
};

function focusTerminal() {
  const textarea = document.querySelector("#terminal .xterm-helper-textarea");
  if (textarea) {
    textarea.focus({ preventScroll: true });
  }
  return textarea !== null;
}

window.addEventListener("load", () => {
  // textual.js makes the terminal in its own load handler, registered before this one.
  if (!focusTerminal()) {
    const appears = new MutationObserver(() => {
      if (focusTerminal()) {
        appears.disconnect();
      }
    });
    appears.observe(document.getElementById("terminal"), { childList: true, subtree: true });
  }
});

window.addEventListener("DOMContentLoaded", () => {
  const body = document.body;
  const watch = new MutationObserver(() => {
    if (body.classList.contains("-loaded") && !body.classList.contains("-closed")) {
      focusTerminal();
    }
    if (!body.classList.contains("-closed")) {
      return;
    }
    watch.disconnect();
    const code = closedBecause === null ? null : closedBecause.code;
    if (code === TAKEN_OVER || code === IDLE_ENDED) {
      const notice = document.querySelector(".ended");
      notice.textContent = closedBecause.reason || notice.textContent;
      document.querySelector(".resume").hidden = code !== IDLE_ENDED;
    } else {
      window.location.replace("/logout");
    }
  });
  watch.observe(body, { attributes: true, attributeFilter: ["class"] });
});

// Back to the page from another window: the keys go to the terminal again.
window.addEventListener("focus", focusTerminal);
