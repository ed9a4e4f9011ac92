/** Static assets of the checkout page, served from /pay/assets/ (the CSP allows only same-origin scripts and styles). */
export const CHECKOUT_CSS = `
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f9;color:#17202e;line-height:1.4}
header{background:#1d3f8f;color:#fff;padding:.7rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}
header a{color:#fff;text-decoration:none;font-weight:600}nav.langs a{margin-left:.5rem;font-weight:400;opacity:.8}nav.langs a[aria-current]{opacity:1;text-decoration:underline}
main{max-width:40rem;margin:0 auto;padding:1rem}.card{background:#fff;border-radius:12px;padding:1rem;margin-bottom:1rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:.8rem 0 .4rem}
label{display:block;margin:.7rem 0 .25rem;font-weight:600;font-size:.95rem}
input[type=text],input[type=search],input[type=email],select{width:100%;padding:.6rem;font-size:1rem;border:1px solid #9aa6b8;border-radius:8px;background:#fff}
input:invalid:not(:placeholder-shown){border-color:#c62828}
button,.button{display:inline-block;margin-top:1rem;padding:.75rem 1.2rem;font-size:1rem;border:0;border-radius:8px;background:#1d56d6;color:#fff;text-decoration:none;cursor:pointer;width:100%;text-align:center}
button.secondary,.button.secondary{background:#e3e8f0;color:#17202e}button[disabled]{opacity:.6}
ul.services{list-style:none;padding:0;margin:0}ul.services li a{display:block;padding:.7rem .4rem;border-bottom:1px solid #e3e8f0;color:#17202e;text-decoration:none}
ul.services li a small{color:#5b6678;display:block}.groups{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0}
.groups a{padding:.3rem .7rem;border-radius:999px;background:#e3e8f0;color:#17202e;text-decoration:none;font-size:.9rem}.groups a[aria-current]{background:#1d56d6;color:#fff}
.error{background:#fdecea;color:#8e1b1b;padding:.6rem .8rem;border-radius:8px;margin:.5rem 0}.note{color:#5b6678;font-size:.85rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;padding:.6rem;border:1px solid #d5dbe5;border-radius:8px;margin:.4rem 0;font-weight:400}
.choice input{margin-top:.25rem}table{width:100%;border-collapse:collapse;font-size:.95rem}td,th{text-align:left;padding:.35rem .2rem;border-bottom:1px solid #eef1f5;vertical-align:top}
.line{border:1px solid #d5dbe5;border-radius:8px;padding:.6rem;margin:.5rem 0}.line .row{display:flex;gap:.5rem}.line .row>div{flex:1}
.status{font-size:1.1rem;font-weight:600;padding:.8rem;border-radius:8px}.status.paid{background:#e6f4ea;color:#1e5e2f}.status.waiting,.status.open{background:#fff7e0;color:#6b4e00}
.status.bad{background:#fdecea;color:#8e1b1b}.total{font-size:1.1rem;font-weight:700;margin-top:.6rem}
@media (min-width:40rem){button,.button{width:auto}}
@media print{header,nav,.no-print,button,.button{display:none!important}body{background:#fff}.card{box-shadow:none;border:1px solid #999}}
`;

export const CHECKOUT_JS = `'use strict';
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
        var m = /^(\\d+)(?:[.,](\\d{1,2}))?$/.exec(i.value.trim());
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
`;
