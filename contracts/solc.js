// Compiles Solidity with the pinned solc-js: standard JSON in on stdin, standard JSON out on
// stdout. solc-js's own CLI prints a notice before its JSON, hence this wrapper.
'use strict';
const path = require('path');
const solc = require('solc');

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
  process.stdout.write(solc.compile(input));
});
