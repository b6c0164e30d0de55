/** The Worker the suite runs: the production Worker, with the session class that carries the test hooks. */
export * from "../../../src/index";
export { default } from "../../../src/index";
export { TestSessionDO as SessionDO } from "./test-session-do";
