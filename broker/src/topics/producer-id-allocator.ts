import { join } from 'node:path';
import { readFileIfExists, writeFileAtomically } from '../log/atomic-file.js';
import { StorageError } from '../log/storage-error.js';
import { nodeDisk } from '../io/node-disk.js';

/**
 * Hands out producer ids for InitProducerId. Ids are reserved in blocks persisted to the log
 * directory, so ids are never reused across restarts (a reused id would look like a retried
 * producer to the partitions' producer state). Kafka's controller does the same with blocks of 1000.
 */
const BLOCK_SIZE = 1000;
const FILE_NAME = 'fjord-producer-ids.json';

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  private constructor(private readonly logDir: string) {}

  static async open(logDir: string): Promise<ProducerIdAllocator> {
    const allocator = new ProducerIdAllocator(logDir);
    const path = join(logDir, FILE_NAME);
    const text = await readFileIfExists(nodeDisk, path, 'the producer id block', 'Fix the file or its disk and start again.', 'utf8');
    if (text === null) return allocator;
    const saved = parseSaved(text);
    if (saved === null) {
      throw new StorageError(
        path,
        `damaged producer id block: expected {"nextBlockStart": <id>}, found ${JSON.stringify(text.slice(0, 80))}`,
        'Restore it, or write {"nextBlockStart": N} with N above every producer id in use; do not delete it (ids would be reused).',
      );
    }
    allocator.next = allocator.blockEnd = saved;
    return allocator;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      if (!this.reserving) {
        const nextBlockEnd = this.blockEnd + BLOCK_SIZE;
        this.reserving = writeFileAtomically(nodeDisk, join(this.logDir, FILE_NAME), JSON.stringify({ nextBlockStart: nextBlockEnd })).then(
          () => {
            this.blockEnd = nextBlockEnd;
            this.reserving = null;
          },
          (error) => {
            this.reserving = null;
            throw error;
          },
        );
      }
      await this.reserving;
    }
    return this.next++;
  }
}

function parseSaved(text: string): number | null {
  try {
    const saved = JSON.parse(text) as { nextBlockStart?: unknown } | null;
    const next = saved?.nextBlockStart;
    return typeof next === 'number' && Number.isSafeInteger(next) && next >= 0 ? next : null;
  } catch {
    return null;
  }
}
