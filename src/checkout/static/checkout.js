'use strict';
(function () {
  // Inputs carry their service regexp; the browser checks it before the server does.
  document.querySelectorAll('input[data-regexp]').forEach(function (input) {
    var re; try { re = new RegExp(input.getAttribute('data-regexp'), 'u'); } catch (e) { return; }
    var check = function () { input.setCustomValidity(input.value === '' || re.test(input.value) ? '' : input.getAttribute('data-message') || 'invalid'); };
    input.addEventListener('input', check); check();
  });
  // Search and groups filter the list in place (the server filters too, for pages without scripts).
  var search = document.getElementById('service-search');
  if (search) search.addEventListener('input', function () {
    var q = search.value.trim().toLowerCase();
    document.querySelectorAll('ul.services li').forEach(function (li) {
      li.hidden = q !== '' && li.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
  // One submission per form: a second click does nothing.
  document.querySelectorAll('form').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
      setTimeout(function () { form.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = true; }); }, 0);
    });
  });
  // Invoice: the total follows the lines.
  var total = document.getElementById('invoice-total');
  if (total) {
    var sum = function () {
      var cents = 0;
      document.querySelectorAll('input[data-line-amount]').forEach(function (i) {
        var m = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(i.value.trim());
        if (m) cents += Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
      });
      total.textContent = (cents / 100).toFixed(2);
    };
    document.querySelectorAll('input[data-line-amount]').forEach(function (i) { i.addEventListener('input', sum); });
    sum();
  }
  document.querySelectorAll('[data-print]').forEach(function (b) { b.addEventListener('click', function () { window.print(); }); });
  // The card form goes to the acquirer by itself.
  var auto = document.querySelector('form[data-autosubmit]');
  if (auto) auto.submit();
})();
