#!/usr/bin/env node
// http-kit-load: command line (under construction).
export {};
