import { Module, type DynamicModule, type InjectionToken, type OptionalFactoryDependency } from '@nestjs/common';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { Database } from './database.js';
import { createCheckpointer } from './checkpointer.js';
import { PERSISTENCE_OPTIONS, type PersistenceOptions } from './persistence.options.js';
import { ApprovalStore } from './approval.store.js';
import { CheckpointStore } from './checkpoint.store.js';
import { RunStore } from './run.store.js';
import { ThreadStore } from './thread.store.js';
import { AssistantStore } from './assistant.store.js';
import { CronStore } from './cron.store.js';
import { ItemStore } from './item.store.js';

export interface PersistenceModuleAsyncOptions {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: any[]) => PersistenceOptions | Promise<PersistenceOptions>;
}

/** Postgres for the whole app: pool, migrations, stores and the LangGraph checkpointer. */
@Module({})
export class PersistenceModule {
  static forRootAsync(options: PersistenceModuleAsyncOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      providers: [
        { provide: PERSISTENCE_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: Database,
          inject: [PERSISTENCE_OPTIONS],
          useFactory: (opts: PersistenceOptions) => Database.connect(opts),
        },
        { provide: PostgresSaver, inject: [Database], useFactory: createCheckpointer },
        ThreadStore,
        RunStore,
        ApprovalStore,
        CheckpointStore,
        AssistantStore,
        ItemStore,
        CronStore,
      ],
      exports: [Database, PostgresSaver, ThreadStore, RunStore, ApprovalStore, CheckpointStore, AssistantStore, ItemStore, CronStore],
    };
  }
}
