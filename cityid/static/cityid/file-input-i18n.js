// The USWDS file input writes its words in English ("Drag file here or choose from folder", "Change file"):
// this puts the page's own translations (the JSON block #cityid-file-input-words) in their place, at load
// and each time the widget redraws itself.
(function () {
  "use strict";
  var block = document.getElementById("cityid-file-input-words");
  if (!block || document.documentElement.lang.indexOf("en") === 0) { return; }
  var words = JSON.parse(block.textContent);
  var patterns = [
    [/^Drag file here or$/, words.drag_file],
    [/^Drag files here or$/, words.drag_files],
    [/^choose from folder$/, words.choose],
    [/^Choose from folder$/, words.choose_cap],
    [/^Change file$/, words.change_file],
    [/^Change files$/, words.change_files],
    [/^Selected file$/, words.selected_file],
    [/^(\d+) files selected$/, words.files_selected],
    [/^Error: This is not a valid file type\.$/, words.invalid_error],
    [/^This is not a valid file type\.$/, words.invalid],
    [/^No file selected\.$/, words.no_file],
    [/^No files selected\.$/, words.no_files],
    [/^You have selected the file: (.*)$/, words.selected_the_file]
  ];
  function translate(text) {
    var trimmed = text.trim();
    for (var i = 0; i < patterns.length; i++) {
      var found = patterns[i][0].exec(trimmed);
      if (found && patterns[i][1]) {
        return text.replace(trimmed, patterns[i][1].replace("%s", found[1] || ""));
      }
    }
    return null;
  }
  function fix(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var done = translate(node.nodeValue);
      if (done !== null && done !== node.nodeValue) { node.nodeValue = done; }
    }
    root.querySelectorAll("[aria-label]").forEach(function (el) {
      var label = translate(el.getAttribute("aria-label"));
      if (label !== null && label !== el.getAttribute("aria-label")) { el.setAttribute("aria-label", label); }
    });
  }
  // USWDS builds the widget on DOMContentLoaded and redraws it on every choice: watch the whole body.
  function fixAll() {
    document.querySelectorAll(".usa-file-input").forEach(fix);
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fixAll(); });
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  document.addEventListener("DOMContentLoaded", fixAll);
  fixAll();
}());
