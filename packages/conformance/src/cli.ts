#!/usr/bin/env node
// http-kit-conformance: command line (under construction).
export {};
