import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../log/atomic-file.js';

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
    try {
      const saved = JSON.parse(await readFile(join(logDir, FILE_NAME), 'utf8')) as { nextBlockStart: number };
      allocator.next = allocator.blockEnd = saved.nextBlockStart;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return allocator;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      if (!this.reserving) {
        const nextBlockEnd = this.blockEnd + BLOCK_SIZE;
        this.reserving = writeFileAtomically(join(this.logDir, FILE_NAME), JSON.stringify({ nextBlockStart: nextBlockEnd })).then(
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
