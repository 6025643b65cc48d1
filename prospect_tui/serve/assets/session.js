// The terminal page: when the app ends (ctrl+q) or the server closes the socket, the
// session is over, so the browser goes back to the login page instead of a dead tab.
window.addEventListener("DOMContentLoaded", () => {
  const watch = new MutationObserver(() => {
    if (document.body.classList.contains("-closed")) {
      watch.disconnect();
      window.location.replace("/logout");
    }
  });
  watch.observe(document.body, { attributes: true, attributeFilter: ["class"] });
});
