// Admin: live theme preview. Each colour input names the CSS variable it sets.
document.addEventListener("input", (event) => {
  const name = event.target.dataset && event.target.dataset.themeVar;
  if (name && /^#[0-9a-fA-F]{6}$/.test(event.target.value)) {
    document.documentElement.style.setProperty(name, event.target.value);
  }
});
