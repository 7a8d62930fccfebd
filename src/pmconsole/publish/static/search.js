// Pagefind's own search box, over the index `pmconsole log publish` built beside this file.
window.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") return;  // the index is missing: the page still reads
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
});
