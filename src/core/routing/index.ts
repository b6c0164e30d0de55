export * from "./breaker";
export * from "./health";
export * from "./order";
export * from "./policy";
export * from "./state";
export * from "./sticky";
