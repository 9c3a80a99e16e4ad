(function () {
  'use strict';
  var severity = document.getElementById('filter-severity');
  var check = document.getElementById('filter-check');
  var namespace = document.getElementById('filter-namespace');
  var onlyNew = document.getElementById('filter-new');
  var shown = document.getElementById('shown-count');
  var form = document.getElementById('filters');

  // A large report carries its findings as JSON (strings and fixes written once): a group's findings become
  // DOM nodes when it is opened, a finding's details when that is opened, so the page holds only what a
  // person has opened. Values only ever become text, never markup.
  var island = document.getElementById('finding-details');
  var data = island ? JSON.parse(island.textContent) : null;
  var S = data ? data.s : null;

  // What the filters compare, one entry per finding in page order, and each finding's element (built
  // later in a large report). Each finding's enclosing groups (a check group, and a chunk of it in large
  // reports) are found once.
  var findings = [];
  var facts = [];
  var containers = [];
  function container(node) {
    if (node.sgauditIndex === undefined) {
      node.sgauditIndex = containers.length;
      containers.push(node);
    }
    return node.sgauditIndex;
  }
  if (data) {
    data.b.forEach(function (b) {
      findings.push(null);
      facts.push({ severity: S[b[0]], ns: 'ns:' + S[b[3]], change: S[b[4]], check: '', owners: [] });
    });
    Array.prototype.forEach.call(document.querySelectorAll('details.check-group'), function (group) {
      var checkId = group.getAttribute('data-check');
      var groupIndex = container(group);
      var ranges = group.hasAttribute('data-from') ? [group] : group.querySelectorAll('details.chunk');
      Array.prototype.forEach.call(ranges, function (range) {
        var rangeIndex = container(range);
        for (var i = Number(range.getAttribute('data-from')); i < Number(range.getAttribute('data-to')); i++) {
          facts[i].check = checkId;
          facts[i].owners = rangeIndex === groupIndex ? [groupIndex] : [rangeIndex, groupIndex];
        }
      });
    });
  } else {
    findings = Array.prototype.slice.call(document.querySelectorAll('details.finding'));
    facts = findings.map(function (finding, index) {
      var owners = [];
      var checkId = '';
      for (var node = finding.parentElement; node; node = node.parentElement) {
        if (node.classList && (node.classList.contains('check-group') || node.classList.contains('chunk'))) {
          owners.push(container(node));
          if (!checkId && node.hasAttribute('data-check')) checkId = node.getAttribute('data-check');
        }
      }
      finding.sgauditIndex = index;
      return {
        severity: finding.getAttribute('data-severity'), ns: finding.getAttribute('data-ns'),
        change: finding.getAttribute('data-change'), check: checkId, owners: owners
      };
    });
  }
  var labels = containers.map(function (group) { return group.querySelector(':scope > summary .group-count'); });

  function matches(f, s, c, n, fresh) {
    return (!s || f.severity === s) && (!c || f.check === c) && (!n || f.ns === n) &&
           (!fresh || f.change === 'new');
  }
  function current() {
    return [severity ? severity.value : '', check ? check.value : '', namespace ? namespace.value : '',
            onlyNew ? onlyNew.checked : false];
  }

  function apply() {
    var q = current();
    var counts = containers.map(function () { return 0; });
    var visible = 0;
    for (var i = 0; i < facts.length; i++) {
      var f = facts[i];
      var match = matches(f, q[0], q[1], q[2], q[3]);
      if (findings[i] && findings[i].hidden === match) findings[i].hidden = !match;
      if (match) {
        visible++;
        for (var j = 0; j < f.owners.length; j++) counts[f.owners[j]]++;
      }
    }
    containers.forEach(function (group, k) {
      if (group.hidden !== (counts[k] === 0)) group.hidden = counts[k] === 0;
      if (labels[k]) labels[k].textContent = String(counts[k]);
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

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function add(parent, child) { parent.appendChild(child); return child; }
  function space(parent) { parent.appendChild(document.createTextNode(' ')); }

  // The findings of a group or chunk of a large report, built the first time it is opened.
  function build(range) {
    if (!data || range.sgauditBuilt || !range.hasAttribute('data-from')) return;
    range.sgauditBuilt = true;
    var q = current();
    var fragment = document.createDocumentFragment();
    for (var i = Number(range.getAttribute('data-from')); i < Number(range.getAttribute('data-to')); i++) {
      var b = data.b[i];
      var finding = el('details', 'finding');
      finding.id = 'f-' + S[b[2]];
      finding.setAttribute('data-severity', S[b[0]]);
      finding.setAttribute('data-ns', 'ns:' + S[b[3]]);
      if (S[b[4]]) finding.setAttribute('data-change', S[b[4]]);
      var summary = add(finding, el('summary'));
      add(summary, el('span', 'sev sev-' + S[b[0]], S[b[0]]));
      if (S[b[4]] === 'new') { space(summary); add(summary, el('span', 'badge new', 'new')); }
      if (b[8] >= 0) { space(summary); add(summary, el('span', 'badge suppressed', 'suppressed')); }
      space(summary);
      add(summary, el('span', 'title', S[b[1]]));
      finding.sgauditIndex = i;
      finding.hidden = !matches(facts[i], q[0], q[1], q[2], q[3]);
      findings[i] = finding;
      fragment.appendChild(finding);
    }
    range.appendChild(fragment);
  }

  function fact(list, label, value, asCode) {
    add(list, el('dt', '', label));
    var dd = add(list, el('dd'));
    if (asCode) add(dd, el('code', '', value)); else dd.textContent = value;
  }

  // A finding's details in a large report, built the first time it is opened (the same markup as the
  // template writes for a small one).
  function fill(finding) {
    if (!data || !finding || finding.sgauditFilled || finding.sgauditIndex === undefined) return;
    finding.sgauditFilled = true;
    var b = data.b[finding.sgauditIndex];
    var f = facts[finding.sgauditIndex];
    var body = el('div', 'finding-body');
    var list = add(body, el('dl', 'facts'));
    fact(list, 'Check', f.check, true);
    if (S[b[3]]) fact(list, 'Namespace', S[b[3]]);
    if (S[b[5]]) fact(list, 'Node', S[b[5]]);
    if (S[b[6]]) fact(list, 'Port', S[b[6]]);
    fact(list, 'Fingerprint', S[b[2]], true);
    if (b[8] >= 0) fact(list, 'Suppressed', S[b[8]]);
    if (S[b[7]]) add(body, el('p', 'detail', S[b[7]]));
    var i, ul, li;
    if (b[9].length) {
      add(body, el('h4', '', 'Subjects'));
      ul = add(body, el('ul', 'subjects'));
      for (i = 0; i < b[9].length; i += 3) {
        li = add(ul, el('li'));
        add(li, el('span', 'kind', S[b[9][i]]));
        space(li);
        if (S[b[9][i + 1]]) add(li, el('span', 'ns', S[b[9][i + 1]] + '/'));
        add(li, el('span', 'name', S[b[9][i + 2]]));
      }
    }
    if (b[10].length) {
      add(body, el('h4', '', 'Deciding rule'));
      ul = add(body, el('ul', 'rules'));
      for (i = 0; i < b[10].length; i++) add(ul, el('li', '', S[b[10][i]]));
    }
    if (b[11].length) {
      add(body, el('h4', '', 'Evidence'));
      ul = add(body, el('ul', 'evidence'));
      for (i = 0; i < b[11].length; i += 3) {
        li = add(ul, el('li'));
        add(li, el('span', 'kind', S[b[11][i]]));
        space(li);
        add(li, el('span', 'text', S[b[11][i + 1]]));
        if (S[b[11][i + 2]]) { space(li); add(li, el('span', 'where', S[b[11][i + 2]])); }
      }
    }
    if (b[12].length) {
      add(body, el('h4', '', 'Fixes'));
      for (i = 0; i < b[12].length; i++) {
        var x = data.x[b[12][i]];
        var fix = add(body, el('div', 'fix'));
        var head = add(fix, el('div', 'fix-head'));
        add(head, el('span', 'tool', S[x[0]]));
        space(head);
        add(head, el('span', 'fix-title', S[x[1]]));
        space(head);
        var button = add(head, el('button', 'copy no-print', 'Copy ' + S[x[0]]));
        button.type = 'button';
        button.setAttribute('data-tool', S[x[0]]);
        add(add(fix, el('pre', 'fix-' + S[x[2]])), el('code', '', S[x[3]]));
      }
    }
    finding.appendChild(body);
  }

  // A large matrix's group, built the first time it is opened from the matrix data island (the same markup
  // as the template writes for a small one).
  var matrix = null;
  function buildMatrix(group) {
    var holder = group.querySelector(':scope > div[data-matrix-group]');
    if (!holder || holder.sgauditBuilt) return;
    holder.sgauditBuilt = true;
    if (!matrix) {
      var source = document.getElementById('matrix-data');
      if (!source) return;
      matrix = JSON.parse(source.textContent);
    }
    var M = matrix.s;
    var rows = matrix.g[Number(holder.getAttribute('data-matrix-group'))] || [];
    var table = el('table', 'matrix');
    var head = add(add(table, el('thead')), el('tr'));
    add(head, el('th', '', 'Node')).scope = 'col';
    matrix.c.forEach(function (label) { add(head, el('th', '', M[label])).scope = 'col'; });
    var body = add(table, el('tbody'));
    rows.forEach(function (row) {
      var tr = add(body, el('tr'));
      var single = row[1] === 1;
      var th = add(tr, el('th'));
      th.scope = 'row';
      if (single) {
        th.className = 'node';
        th.textContent = M[row[0]];
      } else {
        th.className = 'node nodes';
        var list = add(th, el('details', 'node-list'));
        add(list, el('summary', '', row[1] + ' nodes'));
        list.appendChild(document.createTextNode(M[row[2]]));
      }
      row[3].forEach(function (c) {
        if (c === 0) { add(tr, el('td', 'cell st-none')); return; }
        var td = add(tr, el('td', 'cell ' + M[c[0]]));
        if (single) td.setAttribute('data-node', M[row[0]]);
        else td.setAttribute('data-nodes', String(row[1]));
        td.setAttribute('data-port', M[c[1]]);
        td.setAttribute('data-internet', M[c[2]]);
        td.title = M[c[3]];
        for (var v = 0; v < c[5].length; v += 3) {
          var verdict = add(td, el('span', 'verdict', M[c[5][v]]));
          if (c[5][v + 2]) { space(verdict); add(verdict, el('span', 'badge suppressed', 'suppressed')); }
          if (c[5][v + 1] >= 0) add(td, el('span', 'sub', M[c[5][v + 1]]));
        }
        if (c[4]) add(td, el('span', 'badge conflict', 'conflict'));
      });
    });
    add(holder, table);
  }

  // 'toggle' does not bubble, so it is caught on the way down.
  document.addEventListener('toggle', function (event) {
    var target = event.target;
    if (!target.open || !target.classList) return;
    if (target.classList.contains('finding')) fill(target);
    else if (target.classList.contains('matrix-group')) buildMatrix(target);
    else build(target);
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll('details.matrix-group[open]'), buildMatrix);
  containers.forEach(function (range) { if (range.open) build(range); });

  // A link to a finding (#f-...) opens the groups around it and the finding itself.
  var byFingerprint = null;
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target && data && id.slice(0, 2) === 'f-') {
      if (!byFingerprint) {
        byFingerprint = {};
        data.b.forEach(function (b, i) { byFingerprint['f-' + S[b[2]]] = i; });
      }
      var index = byFingerprint[id];
      if (index === undefined) return;
      facts[index].owners.forEach(function (k) { build(containers[k]); });
      target = findings[index];
    }
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === 'DETAILS' && !node.open) node.open = true;
    }
    fill(target);
    target.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);
  if (location.hash) reveal();

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

  // A printed report shows every finding the filters show, with its details: open every section (in a
  // large report, build those findings first) for printing, then put them back.
  var reopened = [];
  window.addEventListener('beforeprint', function () {
    containers.forEach(function (range) { if (!range.hidden) build(range); });
    findings.forEach(function (finding) { if (finding && !finding.hidden) fill(finding); });
    reopened = Array.prototype.slice.call(document.querySelectorAll('details:not([open])'));
    reopened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });

  document.body.setAttribute('data-ready', 'true');
})();
