// Compiles Solidity with the pinned solc-js: standard JSON in on stdin, standard JSON out on
// stdout. solc-js's own CLI prints a notice before its JSON, hence this wrapper. Imports of
// npm packages (`@layerzerolabs/…`, `@hyperlane-xyz/…`, `@openzeppelin/…`) are read from the
// repository's node_modules, installed from package-lock.json.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const modules = path.join(__dirname, '..', 'node_modules');

function findImports(p) {
  const file = path.join(modules, p);
  if (!path.normalize(file).startsWith(modules + path.sep) || !fs.existsSync(file)) {
    return { error: `${p}: not in ${modules} (run 'make deps')` };
  }
  return { contents: fs.readFileSync(file, 'utf8') };
}

const pinned = require(path.join(__dirname, '..', 'package.json')).devDependencies.solc;
if (!solc.version().startsWith(pinned + '+')) {
  process.stderr.write(`solc ${solc.version()} is not the pinned ${pinned}: run 'make deps'\n`);
  process.exit(2);
}

if (process.argv[2] === '--version') {
  process.stdout.write(solc.version() + '\n');
  process.exit(0);
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  process.stdout.write(solc.compile(input, { import: findImports }));
});
