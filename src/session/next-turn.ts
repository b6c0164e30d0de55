/**
 * Resolves on a later turn of the event loop, after whatever is already waiting (requests, socket messages, due
 * timers), not as a microtask: for work that must let others in before it goes on.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
