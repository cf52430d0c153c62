#!/usr/bin/env node
// Thin entry: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
import('../dist/cli/main.js');
