// @http-kit/conformance: public API (under construction).
export {};
