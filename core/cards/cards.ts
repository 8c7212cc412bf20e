/**
 * Card production and management (证件制作 / 证件管理 / 扫码核验) as one engine service: print jobs
 * and their worker (print-jobs.ts, print-queue.ts), the card lifecycle (lifecycle.ts), numbers
 * (numbering.ts) and signed QR tokens (verify.ts).
 */
import type { AuditLog } from '../audit.ts';
import type { TesseraConfig } from '../config.ts';
import { loadSigningKeys } from '../crypto/secrets.ts';
import type { SensitiveData } from '../crypto/sensitive.ts';
import type { Database } from '../db/connection.ts';
import type { Events } from '../events/events.ts';
import type { Photos } from '../photos/photos.ts';
import type { Records } from '../records/records.ts';
import type { SharedRenderBrowser } from '../render/shared.ts';
import type { Tasks } from '../tasks/tasks.ts';
import { CardLifecycle } from './lifecycle.ts';
import { PrintJobs } from './print-jobs.ts';
import { PrintQueue } from './print-queue.ts';
import { CardSigner } from './verify.ts';
import type { VerifyKey } from './views.ts';

export type * from './views.ts';

export class Cards {
  readonly signer: CardSigner;
  readonly queue: PrintQueue;
  readonly printJobs: PrintJobs;
  readonly lifecycle: CardLifecycle;

  constructor(
    private readonly config: TesseraConfig,
    db: Database,
    services: {
      events: Events;
      records: Records;
      photos: Photos;
      sensitive: SensitiveData;
      audit: AuditLog;
      tasks: Tasks;
      renderer: SharedRenderBrowser;
    },
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.signer = new CardSigner(() => loadSigningKeys(config.dataDir));
    this.queue = new PrintQueue(db.url, log);
    this.printJobs = new PrintJobs(
      db,
      services.events,
      services.records,
      services.sensitive,
      services.photos.blobs,
      services.audit,
      services.tasks,
      services.renderer,
      this.queue,
      this.signer,
      config.cards.publicUrl,
      log,
    );
    this.lifecycle = new CardLifecycle(
      db,
      services.events,
      services.records,
      services.sensitive,
      services.audit,
      this.printJobs,
      this.signer,
    );
  }

  /** The server's part: the queue, and the worker unless TESSERA_PRINT_WORKER=off. */
  async start(): Promise<void> {
    await this.queue.start();
    if (this.config.cards.printWorker) {
      await this.printJobs.startWorker();
      this.log('证件制作队列已启动（本进程处理制作任务）');
    }
  }

  /** Stops the worker (a job rendering here goes back on the queue) and the queue's connections. */
  async stop(): Promise<void> {
    await this.printJobs.stopWorker();
  }

  /** The token printed in a card's QR code (deterministic: Ed25519). */
  verifyToken(cardId: number): Promise<string> {
    return this.lifecycle.tokenOf(cardId);
  }

  verifyKey(): VerifyKey {
    return this.signer.publicKey();
  }
}
