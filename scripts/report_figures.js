// Writes each plot of an attnsweep HTML report as an SVG file, rendered by the same Vega-Lite the
// report embeds (node_modules, installed by scripts/setup.sh): the images of docs/results.md.
// Usage: node scripts/report_figures.js REPORT.html OUT_DIR [PREFIX]
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

// The browser bundles (UMD): their packages are ES modules that `require` cannot load, and run as
// plain scripts they define the globals `vega` and `vegaLite`, as in the report.
for (const bundle of ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js']) {
  const file = path.join(__dirname, '..', 'node_modules', bundle);
  vm.runInThisContext(fs.readFileSync(file, 'utf8'), {filename: file});
}
const {vega, vegaLite} = globalThis;

async function main() {
  const [report, outDir, prefix = ''] = process.argv.slice(2);
  if (!report || !outDir) {
    console.error('usage: node scripts/report_figures.js REPORT.html OUT_DIR [PREFIX]');
    process.exit(2);
  }
  const html = fs.readFileSync(report, 'utf8');
  const match = html.match(/<script type="application\/json" id="attnsweep-specs">([^]*?)<\/script>/);
  if (!match) throw new Error(`${report}: no plot specifications (not an attnsweep report?)`);
  fs.mkdirSync(outDir, {recursive: true});
  for (const item of JSON.parse(match[1])) {
    const view = new vega.View(vega.parse(vegaLite.compile(item.spec).spec), {renderer: 'none'});
    const svg = await view.toSVG();
    const file = path.join(outDir, `${prefix}${item.id.replace(/^plot-/, '')}.svg`);
    fs.writeFileSync(file, svg);
    console.log(file);
  }
}

main().catch((error) => {
  console.error(error.message || error);
  process.exit(1);
});
