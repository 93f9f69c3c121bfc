// Runs a CLI command's function in-process and collects what it printed with console.log.
import { vi } from 'vitest';

export async function stdout(command: () => Promise<number>): Promise<{ code: number; lines: string[] }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await command();
    return { code, lines: log.mock.calls.map((c) => c.join(' ')) };
  } finally {
    log.mockRestore();
  }
}
