#!/usr/bin/env node
// Runs the built collector (dist/). `npm run build -w @reprise/collector` produces it.
import { main } from '../dist/cli.js';

main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
