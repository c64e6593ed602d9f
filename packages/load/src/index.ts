// @http-kit/load: public API (under construction).
export {};
