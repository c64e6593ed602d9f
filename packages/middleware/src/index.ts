// @http-kit/middleware: public API (under construction).
export {};
