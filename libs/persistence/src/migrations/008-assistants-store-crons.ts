import type { Migration } from './migration.js';

/**
 * The Platform API's own records, each inside its tenant: assistants a tenant created (the
 * graphs of langgraph.json stay system assistants, not rows) with every version kept; the
 * long-term memory store (items by namespace and key); and crons, each with the next time it
 * is due, which replicas claim with FOR UPDATE SKIP LOCKED so a tick fires once.
 * (Numbered 8: 7 is left to the other half of issue 15.)
 */
export const assistantsStoreCrons: Migration = {
  id: 8,
  name: 'assistants-store-crons',
  sql: `
    CREATE TABLE riser.assistants (
      assistant_id  uuid PRIMARY KEY,
      tenant        text NOT NULL,
      created_by    text NOT NULL,
      graph_id      text NOT NULL,
      version       integer NOT NULL DEFAULT 1,
      name          text NOT NULL,
      description   text,
      config        jsonb NOT NULL DEFAULT '{}'::jsonb,
      context       jsonb NOT NULL DEFAULT '{}'::jsonb,
      metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX assistants_by_tenant ON riser.assistants (tenant, created_at DESC);

    CREATE TABLE riser.assistant_versions (
      assistant_id  uuid NOT NULL REFERENCES riser.assistants (assistant_id) ON DELETE CASCADE,
      version       integer NOT NULL,
      graph_id      text NOT NULL,
      name          text NOT NULL,
      description   text,
      config        jsonb NOT NULL DEFAULT '{}'::jsonb,
      context       jsonb NOT NULL DEFAULT '{}'::jsonb,
      metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at    timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (assistant_id, version)
    );

    CREATE TABLE riser.store_items (
      tenant      text NOT NULL,
      namespace   text[] NOT NULL,
      key         text NOT NULL,
      value       jsonb NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant, namespace, key)
    );

    CREATE TABLE riser.crons (
      cron_id           uuid PRIMARY KEY,
      tenant            text NOT NULL,
      owner_sub         text NOT NULL,
      assistant_id      text NOT NULL,
      thread_id         text REFERENCES riser.threads (thread_id) ON DELETE CASCADE,
      schedule          text NOT NULL,
      timezone          text,
      end_time          timestamptz,
      payload           jsonb NOT NULL DEFAULT '{}'::jsonb,
      metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
      on_run_completed  text NOT NULL DEFAULT 'delete',
      enabled           boolean NOT NULL DEFAULT true,
      next_run_date     timestamptz,
      last_run_id       uuid,
      fired             integer NOT NULL DEFAULT 0,
      created_at        timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX crons_by_tenant ON riser.crons (tenant, created_at DESC);
    CREATE INDEX crons_due ON riser.crons (next_run_date) WHERE enabled;
  `,
};
