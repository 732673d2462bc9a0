/**
 * Sends a message to the parent process and resolves once it is handed to the IPC channel: a child that exits
 * right after a plain `process.send` loses the message.
 */
export const sendToParent = (message: unknown): Promise<void> => new Promise((resolve) => process.send?.(message, () => resolve()))
