// The terminal page: the terminal takes the keyboard as soon as it exists (a caller types
// right after logging in, without clicking), and when the app ends (ctrl+q) or the server
// closes the socket, the session is over: back to the login page instead of a dead tab.
window.addEventListener("DOMContentLoaded", () => {
  const focusTerminal = () => {
    const input = document.querySelector(".xterm-helper-textarea");
    if (input && document.activeElement !== input) {
      input.focus({ preventScroll: true });
    }
    return input !== null;
  };
  const watch = new MutationObserver(() => {
    if (document.body.classList.contains("-closed")) {
      watch.disconnect();
      window.location.replace("/logout");
      return;
    }
    focusTerminal();
  });
  watch.observe(document.body, {
    attributes: true, attributeFilter: ["class"], childList: true, subtree: true,
  });
  // Back to the page (another window, a click on its margin): the keys go to the terminal.
  window.addEventListener("focus", focusTerminal);
  document.addEventListener("click", focusTerminal);
});
