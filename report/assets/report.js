(function () {
  'use strict';
  var findings = Array.prototype.slice.call(document.querySelectorAll('details.finding'));
  var severity = document.getElementById('filter-severity');
  var check = document.getElementById('filter-check');
  var namespace = document.getElementById('filter-namespace');
  var onlyNew = document.getElementById('filter-new');
  var shown = document.getElementById('shown-count');
  var form = document.getElementById('filters');

  // Each finding's enclosing groups (a check group, and a chunk of it in large reports), found once.
  var containers = [];
  var owners = findings.map(function (finding) {
    var list = [];
    for (var node = finding.parentElement; node; node = node.parentElement) {
      if (node.classList && (node.classList.contains('check-group') || node.classList.contains('chunk'))) {
        if (node.sgauditIndex === undefined) {
          node.sgauditIndex = containers.length;
          containers.push(node);
        }
        list.push(node.sgauditIndex);
      }
    }
    return list;
  });

  function apply() {
    var s = severity ? severity.value : '';
    var c = check ? check.value : '';
    var n = namespace ? namespace.value : '';
    var fresh = onlyNew ? onlyNew.checked : false;
    var counts = containers.map(function () { return 0; });
    var visible = 0;
    for (var i = 0; i < findings.length; i++) {
      var d = findings[i].dataset;
      var match = (!s || d.severity === s) && (!c || d.check === c) && (!n || d.ns === n) &&
                  (!fresh || d.change === 'new');
      if (findings[i].hidden === match) findings[i].hidden = !match;
      if (match) {
        visible++;
        for (var j = 0; j < owners[i].length; j++) counts[owners[i][j]]++;
      }
    }
    containers.forEach(function (group, k) {
      group.hidden = counts[k] === 0;
      var label = group.querySelector(':scope > summary .group-count');
      if (label) label.textContent = String(counts[k]);
    });
    if (shown) shown.textContent = String(visible);
    document.body.setAttribute('data-shown', String(visible));
  }

  [severity, check, namespace, onlyNew].forEach(function (control) {
    if (control) control.addEventListener('change', apply);
  });
  if (form) {
    form.addEventListener('submit', function (event) { event.preventDefault(); });
    form.addEventListener('reset', function () { setTimeout(apply, 0); });
  }

  function copied(button, ok) {
    var label = button.textContent;
    button.textContent = ok ? 'Copied' : 'Select and copy by hand';
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  function copyBySelection(pre) {
    var selection = window.getSelection();
    var range = document.createRange();
    range.selectNodeContents(pre);
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    selection.removeAllRanges();
    return ok;
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.copy') : null;
    if (!button) return;
    var pre = button.closest('.fix').querySelector('pre');
    var text = pre.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); },
                                               function () { copied(button, copyBySelection(pre)); });
    } else {
      copied(button, copyBySelection(pre));
    }
  });

  // A printed report shows everything: open every section for printing, then put them back.
  var reopened = [];
  window.addEventListener('beforeprint', function () {
    reopened = Array.prototype.slice.call(document.querySelectorAll('details:not([open])'));
    reopened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });

  document.body.setAttribute('data-ready', 'true');
})();
