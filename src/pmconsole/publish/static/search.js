// Pagefind's own search box over the bundles `pmconsole log publish` built (search_index.py):
// the box loads the first bundle and merges the others, so one search covers every post-mortem.
window.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined") return;  // the index is missing: the page still reads
  var box = document.getElementById("search");
  // Pagefind's results carry paths from the site's root; the site may be served below one.
  var root = new URL(".", document.baseURI).pathname;
  var bundles = (box.getAttribute("data-bundles") || "").split(" ").filter(Boolean);
  new PagefindUI({
    element: "#search", showSubResults: true, showImages: false, baseUrl: root,
    bundlePath: root + bundles[0],
    mergeIndex: bundles.slice(1).map(function (b) { return { bundlePath: root + b, baseUrl: root }; })
  });
});
