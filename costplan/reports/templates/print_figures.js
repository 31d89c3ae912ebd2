/* Figures on paper. A plotly figure is drawn at the width its box has on screen (1,180 px in
   a wide window), while printing lays the page out at the paper's width (688 px on A4 with
   14 mm margins): without a redraw, the figure's right part (its legend, its last bars) is
   cut off by the page. When the page is laid out for print, each figure is redrawn at the
   width of its printed box; back on screen, it follows its window again. */
(function () {
  if (!window.matchMedia) return;
  function each(fn) {
    if (!window.Plotly) return;
    document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
      try { fn(gd); } catch (e) { /* a figure that cannot be redrawn keeps its drawing */ }
    });
  }
  function toPaper() {
    each(function (gd) {
      var box = gd.parentElement || gd;
      var width = Math.floor(box.clientWidth);
      if (width > 0) window.Plotly.relayout(gd, {width: width});
    });
  }
  function toScreen() {
    each(function (gd) { window.Plotly.relayout(gd, {width: null, autosize: true}); });
  }
  var media = window.matchMedia('print');
  var onChange = function (e) { if (e.matches) { toPaper(); } else { toScreen(); } };
  if (media.addEventListener) { media.addEventListener('change', onChange); } else { media.addListener(onChange); }
  window.addEventListener('afterprint', toScreen);
})();
